//! The one redactor: secrets we know (registry and GitHub tokens), any
//! `Authorization: …` / `Bearer …` value and the credentials in a URL
//! (`https://user:SECRET@host`, `x-access-token:SECRET@`) become `***` in every text that
//! came from outside (HTTP bodies, cargo's and git's output) before it is printed, put in
//! JSON, a summary or a log. A server that echoes our request headers, or a remote URL
//! with a token in it, must not get a token shown.

use std::sync::Mutex;

/// What a registered secret and an authorization value are replaced with.
pub const MASK: &str = "***";

/// Shorter "secrets" are not masked: they would shred ordinary words in every message,
/// and no registry or GitHub token is that short.
const MIN_SECRET_LEN: usize = 6;

/// The environment variables that hold tokens of ours or of the tools we run; their
/// values are registered when the CLI starts, whatever the command.
const TOKEN_VARS: &[&str] = &["GITHUB_TOKEN", "GH_TOKEN", "CARGO_REGISTRY_TOKEN"];

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remember a secret (a token read from env/config/credentials) so that it is never shown,
/// in each form it can come back in: as it is, escaped inside a JSON string (a server
/// that echoes our headers as JSON writes `"` as `\"`), and percent-encoded (as a query
/// or form value).
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for form in forms(secret) {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// The secret as it is, JSON-escaped and percent-encoded (each once, when it differs).
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_start_matches('"').trim_end_matches('"').to_string();
    let mut forms = vec![secret.to_string(), json, percent_encoded(secret)];
    forms.sort();
    forms.dedup();
    forms
}

/// Everything but RFC 3986's unreserved characters as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Registers the tokens in the environment: `GITHUB_TOKEN`, `GH_TOKEN`,
/// `CARGO_REGISTRY_TOKEN` and every `CARGO_REGISTRIES_<NAME>_TOKEN`.
pub fn register_env() {
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let named = TOKEN_VARS.contains(&name) || (name.starts_with("CARGO_REGISTRIES_") && name.ends_with("_TOKEN"));
        if let (true, Some(value)) = (named, value.to_str()) {
            register(value);
        }
    }
}

/// Replace every registered secret, any `Authorization: <value>` / `Bearer <value>`, and
/// the credentials of every URL, with `***`. Every text that came from outside (HTTP bodies, cargo's/git's output) passes
/// through this before it is printed, put in JSON, a summary or a log.
pub fn redact(text: &str) -> String {
    let mut text = text.to_string();
    {
        let secrets = SECRETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for secret in secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), MASK);
            }
        }
    }
    let text = mask_url_credentials(&text);
    let text = mask_after(&text, "x-access-token", access_token_value);
    let text = mask_after(&text, "authorization", authorization_value);
    mask_after(&text, "bearer", bearer_value)
}

/// Masks the user information of every `scheme://user:password@host` (the password) and
/// `scheme://token@host` (all of it): a remote URL may carry a token that was never
/// registered, e.g. one a CI system wrote into `.git/config`. `git@` of ssh URLs stays.
fn mask_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let (before, tail) = rest.split_at(found + 3);
        out.push_str(before);
        let end = tail.find(|c: char| c.is_whitespace() || ends_authority(c)).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if at > 0 => {
                match authority[..at].split_once(':') {
                    Some((user, _)) => out.push_str(&format!("{user}:{MASK}")),
                    None if &authority[..at] == "git" => out.push_str("git"),
                    None => out.push_str(MASK),
                }
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Where the authority of a URL ends: its path, query or fragment, or the end of a
/// quoted or bracketed URL.
fn ends_authority(c: char) -> bool {
    matches!(c, '/' | '?' | '#' | '"' | '`' | '<' | '>' | '\\')
}

/// After `x-access-token` (GitHub's user name for a token in a URL): `:` and the token,
/// up to the `@` of the host or the end of the word.
fn access_token_value(rest: &str) -> Option<(usize, usize)> {
    let value = rest.strip_prefix(':')?;
    let len = value.find(|c: char| c == '@' || c.is_whitespace() || ends_value(c)).unwrap_or(value.len());
    (len > 0 && !value.starts_with(MASK)).then_some((1, 1 + len))
}

/// Masks, after each case-insensitive whole-word `keyword`, the byte range that `value`
/// finds in the rest of the text.
fn mask_after(text: &str, keyword: &str, value: fn(&str) -> Option<(usize, usize)>) -> String {
    // ASCII lowering keeps every byte offset, so offsets into `lower` are offsets into `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(keyword) {
        let start = from + found;
        let end = start + keyword.len();
        from = end;
        let word_before = text[..start].chars().next_back().is_some_and(is_word);
        if word_before || text[end..].chars().next().is_some_and(is_word) {
            continue;
        }
        if let Some((value_start, value_end)) = value(&text[end..]) {
            out.push_str(&text[done..end + value_start]);
            out.push_str(MASK);
            done = end + value_end;
            from = done;
        }
    }
    out.push_str(&text[done..]);
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A value ends where a header line, a JSON or HTML string or a list item would.
fn ends_value(c: char) -> bool {
    matches!(c, '\r' | '\n' | '"' | '\'' | '\\' | ',' | ';' | '<' | '>' | '}' | ']' | '&')
}

/// After `authorization`: an optional closing quote, `:` or `=`, then the value up to the
/// end of its line or string (a scheme and its credentials, or a bare token).
fn authorization_value(rest: &str) -> Option<(usize, usize)> {
    let after_quote = rest.strip_prefix(['"', '\'']).map_or(0, |_| 1);
    let separated = rest[after_quote..].trim_start_matches([' ', '\t']);
    let separator = separated.strip_prefix([':', '='])?;
    let value = separator.trim_start_matches([' ', '\t', '"', '\'']);
    let start = rest.len() - value.len();
    let len = value.find(ends_value).unwrap_or(value.len());
    let len = value[..len].trim_end().len();
    (len > 0).then_some((start, start + len))
}

/// After `bearer`: spaces, then one word of credentials.
fn bearer_value(rest: &str) -> Option<(usize, usize)> {
    let value = rest.trim_start_matches([' ', '\t']);
    if value.len() == rest.len() {
        return None;
    }
    let start = rest.len() - value.len();
    let len = value.find(|c: char| c.is_whitespace() || ends_value(c)).unwrap_or(value.len());
    (len > 0 && !value.starts_with(MASK)).then_some((start, start + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_everywhere() {
        register("canary-registered-0123");
        register("ab");
        assert_eq!(redact("x canary-registered-0123 y canary-registered-0123"), "x *** y ***");
        assert_eq!(redact("ab stays"), "ab stays", "too short to be a token");
    }

    #[test]
    fn a_secret_is_masked_escaped_and_encoded_too() {
        register(r#"tok"en\with/odd"#);
        let text = r#"raw tok"en\with/odd json "tok\"en\\with/odd" url tok%22en%5Cwith%2Fodd"#;
        assert_eq!(redact(text), r#"raw *** json "***" url ***"#);
    }

    #[test]
    fn authorization_values_are_masked_in_headers_json_and_prose() {
        let cases = [
            ("Authorization: Bearer abc.def\nHost: x", "Authorization: ***\nHost: x"),
            ("authorization: sometoken\r\n", "authorization: ***\r\n"),
            (r#"{"authorization":"tok123","host":"h"}"#, r#"{"authorization":"***","host":"h"}"#),
            (r#"{"headers":"authorization: tok\nhost"}"#, r#"{"headers":"authorization: ***\nhost"}"#),
            (r#"{"message":"authorization: tok\nx"}"#, r#"{"message":"authorization: ***\nx"}"#),
            ("AUTHORIZATION = basic Zm9v", "AUTHORIZATION = ***"),
            ("see <b>Authorization: t</b>", "see <b>Authorization: ***</b>"),
            ("bad credentials: Bearer ghs_x, try again", "bad credentials: Bearer ***, try again"),
            ("bearer\ttok", "bearer\t***"),
            ("requires authorization", "requires authorization"),
            ("the bearer of bad news", "the bearer *** bad news"),
            ("unauthorized: nope", "unauthorized: nope"),
            ("Proxy-Authorization: x", "Proxy-Authorization: ***"),
            ("ünïcode Authorization: ü\nok", "ünïcode Authorization: ***\nok"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text:?}");
        }
    }

    #[test]
    fn credentials_in_urls_are_masked_though_never_registered() {
        let cases = [
            (
                "fatal: 'http://user:s3cr3t@127.0.0.1:9/x.git' failed",
                "fatal: 'http://user:***@127.0.0.1:9/x.git' failed",
            ),
            ("https://x-access-token:ghs_abc@github.com/o/r", "https://x-access-token:***@github.com/o/r"),
            ("https://ghp_tokenonly@github.com/o/r.git", "https://***@github.com/o/r.git"),
            ("url = https://u:p@a@host", "url = https://u:***@host"),
            ("'https://u:pw@host'", "'https://u:***@host'"),
            ("ssh://git@github.com/o/r", "ssh://git@github.com/o/r"),
            ("see https://example.com/a@b and mailto:me@x", "see https://example.com/a@b and mailto:me@x"),
            ("a http://u:1@h b https://v:2@i", "a http://u:***@h b https://v:***@i"),
            ("remote: x-access-token:ghs_zzz@github.com", "remote: x-access-token:***@github.com"),
            ("://@host", "://@host"),
            ("ünï https://u:ü@h", "ünï https://u:***@h"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text:?}");
            assert_eq!(redact(expected), expected, "masking twice changes nothing");
        }
    }
}
