//! Deploy verification: poll a health endpoint until it answers 2xx with the expected
//! version, backing off between tries, and report the last answer when giving up.

use std::time::{Duration, Instant};

use super::{Check, Finding};
use crate::ops::http::{self, Size};
use crate::ops::redact::redact;

/// How much of the last answer a report shows.
const SHOWN: usize = 200;

pub fn check(url: &str, expected: &str, timeout: Duration) -> Finding {
    let agent = http::agent(Size::Small);
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(250);
    let mut tries = 0;
    loop {
        tries += 1;
        let last = match agent.get(url).header("Cache-Control", "no-cache").call() {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let body = response.body_mut().with_config().limit(1 << 20).read_to_string().unwrap_or_default();
                if (200..300).contains(&status) && reports(&body, expected) {
                    return Finding::ok(Check::Health, url, format!("answers {status} with version {expected}"));
                }
                format!("HTTP {status}: {}", shorten(&body))
            }
            Err(err) => format!("no answer: {}", http::describe(Size::Small, &err)),
        };
        let now = Instant::now();
        if now >= deadline {
            return Finding::problem(
                Check::Health,
                url,
                format!(
                    "did not report version {expected} within {}s ({tries} tries); last answer: {}",
                    timeout.as_secs(),
                    redact(&last)
                ),
            );
        }
        std::thread::sleep(delay.min(deadline - now));
        delay = (delay * 2).min(Duration::from_secs(15));
    }
}

/// Whether a body reports `version`: as the value of a `version` field anywhere in a JSON
/// document, else as a whole word of the text (so 1.2.3 is not found in 1.2.30).
fn reports(body: &str, version: &str) -> bool {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        return json_version(&json, version);
    }
    body.match_indices(version).any(|(at, _)| {
        let before = body[..at].chars().next_back();
        let after = body[at + version.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+');
        !part(before) && !part(after)
    })
}

fn json_version(value: &serde_json::Value, version: &str) -> bool {
    match value {
        serde_json::Value::Object(map) => map.iter().any(|(key, v)| {
            let named =
                key.eq_ignore_ascii_case("version") && v.as_str().is_some_and(|s| s.trim_start_matches('v') == version);
            named || json_version(v, version)
        }),
        serde_json::Value::Array(items) => items.iter().any(|v| json_version(v, version)),
        _ => false,
    }
}

fn shorten(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}...", &body[..at]),
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::reports;

    #[test]
    fn version_in_json_or_text() {
        assert!(reports(r#"{"status":"ok","build":{"version":"1.2.3"}}"#, "1.2.3"));
        assert!(reports(r#"{"version":"v1.2.3"}"#, "1.2.3"));
        assert!(!reports(r#"{"version":"1.2.30","note":"1.2.3"}"#, "1.2.3"));
        assert!(reports("widget 1.2.3 (abc)\n", "1.2.3"));
        assert!(!reports("widget 1.2.30\n", "1.2.3"));
        assert!(!reports("widget 11.2.3\n", "1.2.3"));
    }
}
