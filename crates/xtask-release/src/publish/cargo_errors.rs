//! What a failed `cargo publish` said, read for the shared retry policy
//! (`crate::ops::retry`): a rate limit and the wait the registry asked for, a transient
//! failure worth another try, a version already there, or the end of the run.

use std::time::{Duration, SystemTime};

use crate::ops::retry::requested_wait_in_text;

/// What a failed upload means for the run, read from cargo's error output (cargo prints
/// the registry's status, and its headers and body when the body is not JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 429: wait as long as the registry asks (`None`: it did not say), then try again.
    RateLimited(Option<Duration>),
    /// 5xx, a dropped connection or a timeout: try again after a backoff.
    Transient,
    /// The registry already has this version; the index says whether it is ours.
    AlreadyExists,
    /// Anything else stops the run.
    Fatal,
}

/// Curl error codes cargo prints as `[N]` that a second attempt can cure: could not
/// connect (7), partial transfer (18), timeout (28), TLS handshake (35), empty reply
/// (52), send and receive failures (55, 56).
const TRANSIENT_CURL_CODES: [&str; 7] = ["[7]", "[18]", "[28]", "[35]", "[52]", "[55]", "[56]"];

pub fn classify(cargo_stderr: &str, now: SystemTime) -> Failure {
    match http_status(cargo_stderr) {
        Some(429) => Failure::RateLimited(requested_wait_in_text(cargo_stderr, now)),
        Some(500..=599) => Failure::Transient,
        Some(409) => Failure::AlreadyExists,
        // Cargo's own check against the index ("crate a@0.1.0 already exists on `local`
        // index"), and crates.io's older answer ("... is already uploaded").
        _ if cargo_stderr.contains(" already exists on ") || cargo_stderr.contains("already uploaded") => {
            Failure::AlreadyExists
        }
        Some(_) => Failure::Fatal,
        None if TRANSIENT_CURL_CODES.iter().any(|code| cargo_stderr.contains(code))
            || cargo_stderr.contains("Connection reset")
            || cargo_stderr.contains("timed out") =>
        {
            Failure::Transient
        }
        None => Failure::Fatal,
    }
}

/// The HTTP status in cargo's two phrasings: `(status 429 Too Many Requests)` for a JSON
/// error body and `failed to get a 200 OK response, got 500` for any other body.
fn http_status(text: &str) -> Option<u16> {
    ["(status ", "200 OK response, got "].iter().find_map(|marker| {
        let at = text.find(marker)? + marker.len();
        text.get(at..at + 3)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn crates_io_rate_limit_message() {
        let stderr = "error: failed to publish a v0.1.0 to registry at http://127.0.0.1:1\n\nCaused by:\n  \
            the remote server responded with an error (status 429 Too Many Requests): You have published too many \
            new crates in a short period of time. Please try again after Thu, 01 Jan 1970 00:10:00 GMT or email \
            help@crates.io to have your limit increased.\n";
        assert_eq!(classify(stderr, at(60)), Failure::RateLimited(Some(Duration::from_secs(540))));
    }

    #[test]
    fn rate_limit_with_a_retry_after_header() {
        let stderr = "Caused by:\n  failed to get a 200 OK response, got 429\n  headers:\n  \tHTTP/1.1 429 Too Many \
            Requests\n  \tretry-after: 3\n  \t\n  body:\n  slow down\n";
        assert_eq!(classify(stderr, at(0)), Failure::RateLimited(Some(Duration::from_secs(3))));
        assert_eq!(classify("(status 429 Too Many Requests): no", at(0)), Failure::RateLimited(None));
    }

    #[test]
    fn server_errors_and_dropped_connections_are_transient() {
        let json = "the remote server responded with an error (status 503 Service Unavailable): down";
        let plain = "failed to get a 200 OK response, got 500\n  headers:\n";
        let reset = "  [56] Failure when receiving data from the peer (Recv failure: Connection reset by peer)";
        let empty = "  [52] Empty reply from server";
        for stderr in [json, plain, reset, empty] {
            assert_eq!(classify(stderr, at(0)), Failure::Transient, "{stderr}");
        }
    }

    #[test]
    fn duplicates_and_other_errors() {
        let dup = "the remote server responded with an error (status 409 Conflict): crate version already exists";
        assert_eq!(classify(dup, at(0)), Failure::AlreadyExists);
        let checked = "error: crate b3@0.1.0 already exists on `local` index";
        assert_eq!(classify(checked, at(0)), Failure::AlreadyExists);
        assert_eq!(classify("error: failed to write: file already exists", at(0)), Failure::Fatal);
        let auth = "the remote server responded with an error (status 403 Forbidden): must be an owner";
        assert_eq!(classify(auth, at(0)), Failure::Fatal);
        assert_eq!(classify("error: no token found for `local`", at(0)), Failure::Fatal);
    }
}
