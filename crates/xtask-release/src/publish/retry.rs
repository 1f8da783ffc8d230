//! When to try an upload again: what a failed `cargo publish` said, bounded exponential
//! backoff with jitter, and the registry's own wait from `Retry-After` or crates.io's
//! "Please try again after <HTTP-date>".

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        Some(429) => Failure::RateLimited(requested_wait(cargo_stderr, now)),
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

/// How long the registry asked us to wait: the date in crates.io's message, or a
/// `Retry-After` header that cargo printed.
pub fn requested_wait(text: &str, now: SystemTime) -> Option<Duration> {
    let marker = "try again after ";
    if let Some(at) = text.find(marker) {
        let rest = &text[at + marker.len()..];
        if let Some(until) = rest.get(..29).and_then(parse_http_date) {
            return Some(until.duration_since(now).unwrap_or_default());
        }
    }
    text.lines().find_map(|line| {
        let (name, value) = line.trim().split_once(':')?;
        name.eq_ignore_ascii_case("retry-after").then(|| parse_retry_after(value.trim(), now))?
    })
}

/// A `Retry-After` value: delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    match value.parse::<u64>() {
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => Some(parse_http_date(value)?.duration_since(now).unwrap_or_default()),
    }
}

/// An IMF-fixdate (RFC 7231 §7.1.1.1), the one HTTP-date form servers may send:
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut parts = text.split_ascii_whitespace();
    let weekday = parts.next()?;
    let (day, month, year, time, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !weekday.ends_with(',') || zone != "GMT" || day.len() != 2 || year.len() != 4 {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let day: u32 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|n| if n.len() == 2 { n.parse::<u64>().ok() } else { None });
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + hour * 3600 + minute * 60 + second))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Exponential backoff with jitter, for a bounded number of attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    retries_left: u32,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration, retries: u32) -> Backoff {
        Backoff { next: first, max, retries_left: retries }
    }

    /// The wait before the next attempt, or `None` when the retries are used up. The
    /// wait is between half and all of the current step ("equal jitter"), so parallel
    /// uploads that failed together do not come back together.
    pub fn next_delay(&mut self) -> Option<Duration> {
        self.retries_left = self.retries_left.checked_sub(1)?;
        let step = self.next;
        self.next = (self.next * 2).min(self.max);
        let half = step / 2;
        let spread = half.as_millis() as u64 + 1;
        Some(half + Duration::from_millis(random_u64() % spread))
    }
}

/// A random number without a dependency: std seeds every `RandomState` from the OS.
fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn parses_imf_fixdate() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(at(784_111_777)));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(at(0)));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT"), Some(at(1_709_251_199)));
    }

    #[test]
    fn rejects_other_date_forms() {
        for text in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(text), None, "{text}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("7", at(0)), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", at(20)), Some(Duration::from_secs(40)));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", at(90)), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", at(0)), None);
    }

    // The texts below are what cargo 1.95 printed against a fault server.
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

    #[test]
    fn backoff_grows_with_jitter_and_stops() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(3), 3);
        let delays: Vec<Duration> = std::iter::from_fn(|| backoff.next_delay()).collect();
        assert_eq!(delays.len(), 3);
        let bounds = [(500, 1000), (1000, 2000), (1500, 3000)];
        for (delay, (lo, hi)) in delays.iter().zip(bounds) {
            assert!((lo..=hi).contains(&(delay.as_millis() as u64)), "{delays:?}");
        }
    }
}
