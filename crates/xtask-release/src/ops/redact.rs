//! Secrets never shown: tokens are registered when read, and every text from outside
//! passes through `redact` before it is printed. (A stand-in with the signatures `harden`
//! promised; theirs replaces it.)

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remember a secret (a token read from env/config/credentials) so that it is never shown.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
    }
}

/// Replace every registered secret, and any `Authorization: <value>` / `Bearer <value>`,
/// with `***`.
pub fn redact(text: &str) -> String {
    let mut text = text.to_string();
    for secret in SECRETS.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        text = text.replace(secret.as_str(), "***");
    }
    for marker in ["Authorization: ", "authorization: ", "Bearer "] {
        let mut from = 0;
        while let Some(at) = text[from..].find(marker) {
            let start = from + at + marker.len();
            let end = text[start..].find(char::is_whitespace).map_or(text.len(), |e| start + e);
            text.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    text
}
