//! Keeping secrets out of everything we print, log or write. (A stand-in with the
//! signature `harden` promised; replaced by theirs on merge.)

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remember a secret (a token read from env/config/credentials) so that it is never shown.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.len() >= 4
        && let Ok(mut secrets) = SECRETS.lock()
        && !secrets.iter().any(|s| s == secret)
    {
        secrets.push(secret.to_string());
    }
}

/// Replace every registered secret, and any `Authorization: <value>` / `Bearer <value>`,
/// with `***`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(secrets) = SECRETS.lock() {
        for secret in secrets.iter() {
            out = out.replace(secret.as_str(), "***");
        }
    }
    for marker in ["Bearer ", "Authorization: "] {
        let mut from = 0;
        while let Some(at) = out[from..].find(marker) {
            let start = from + at + marker.len();
            let end = out[start..].find(char::is_whitespace).map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    out
}
