//! The one retry policy of every HTTP client (the sparse index, the registry, GitHub):
//! which answers are worth another try, how long the server asked us to wait
//! (`Retry-After` in seconds or as an HTTP-date, GitHub's rate-limit reset, crates.io's
//! "try again after `<HTTP-date>`"), and bounded exponential backoff with jitter when it
//! did not say.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::date::parse_http_date;

/// Whether an HTTP status may be gone on the next try: a timeout (408), a rate limit
/// (429) or a server error (5xx).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

/// How long the server asked us to wait before the next try, from its headers (`header`
/// looks one up by lower-case name) and body: `Retry-After`, an exhausted
/// `x-ratelimit-remaining` with its `x-ratelimit-reset` time, or crates.io's "try again
/// after `<HTTP-date>`". `None` when it did not say.
pub fn requested_wait<'a>(header: impl Fn(&str) -> Option<&'a str>, body: &str, now: SystemTime) -> Option<Duration> {
    if let Some(wait) = header("retry-after").and_then(|value| parse_retry_after(value, now)) {
        return Some(wait);
    }
    let number = |name: &str| header(name)?.trim().parse::<u64>().ok();
    if let (Some(0), Some(reset)) = (number("x-ratelimit-remaining"), number("x-ratelimit-reset")) {
        // A second past the reset, so the next try lands after it.
        let reset = UNIX_EPOCH + Duration::from_secs(reset.saturating_add(1));
        return Some(reset.duration_since(now).unwrap_or_default());
    }
    try_again_after(body, now)
}

/// The same, from a text that quotes the answer's header lines and body as cargo prints
/// them in an error (`retry-after: 3` on a line of its own).
pub fn requested_wait_in_text(text: &str, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.trim().split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then_some(value.trim())
        })
    };
    requested_wait(header, text, now)
}

/// A `Retry-After` value: delay-seconds or an HTTP-date (a date in the past is no wait).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    match value.parse::<u64>() {
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => Some(parse_http_date(value)?.duration_since(now).unwrap_or_default()),
    }
}

/// crates.io's 429 message: "... Please try again after Thu, 01 Jan 1970 00:10:00 GMT or
/// email help@crates.io ...".
fn try_again_after(text: &str, now: SystemTime) -> Option<Duration> {
    let marker = "try again after ";
    let at = text.find(marker)? + marker.len();
    // An IMF-fixdate is always 29 characters long.
    let until = parse_http_date(text.get(at..at + 29)?)?;
    Some(until.duration_since(now).unwrap_or_default())
}

/// The error when a server asked for a longer wait than `max-retry-wait`: which wait, until
/// when, and how to go on. Waiting a day inside a CI job helps no one; a run stopped here
/// is resumed by running the same command again, which skips what is done.
pub fn too_long(who: &str, asked: Duration, now: SystemTime) -> String {
    let until = (now + asked).duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let until = super::date::iso_datetime(i64::try_from(until).unwrap_or(i64::MAX / 2));
    format!(
        "{who} asked to wait {}s (until {until}), longer than `max-retry-wait` allows ({}s); run the same \
         command again after that time (what is done is skipped), or raise `max-retry-wait` to wait it out",
        asked.as_secs(),
        super::http::limits().max_retry_wait.as_secs()
    )
}

/// Whether a server's wait is beyond `max-retry-wait`: `Some(wait)` to stop with
/// [`too_long`] instead of waiting.
pub fn beyond_bound(asked: Option<Duration>) -> Option<Duration> {
    asked.filter(|asked| *asked > super::http::limits().max_retry_wait)
}

/// The wait after a 429 that did not say how long: a minute, or `max-retry-wait` when
/// that is shorter, the bound on every wait a server asks for.
pub fn unasked_rate_limit_wait() -> Duration {
    rate_limit_default(super::http::limits().max_retry_wait)
}

fn rate_limit_default(max_wait: Duration) -> Duration {
    Duration::from_secs(60).min(max_wait)
}

/// The tries of one request: the server's own wait when it gave one and it is short
/// enough, else exponential backoff with jitter, for a bounded number of retries.
#[derive(Debug, Clone)]
pub struct Retries {
    backoff: Backoff,
    /// A server that asks for a longer wait than this is not waited for: its answer is
    /// reported instead.
    max_wait: Duration,
}

impl Retries {
    pub fn new(backoff: Backoff, max_wait: Duration) -> Retries {
        Retries { backoff, max_wait }
    }

    /// The wait before the next try after a failure for which the server asked `asked`
    /// (`None`: it did not say), or `None` to give up: the retries are used up, or the
    /// server asked for longer than `max_wait`.
    pub fn next(&mut self, asked: Option<Duration>) -> Option<Duration> {
        let backoff = self.backoff.next_delay()?;
        match asked {
            Some(asked) if asked > self.max_wait => None,
            Some(asked) => Some(asked),
            None => Some(backoff),
        }
    }
}

/// Exponential backoff with jitter, for a bounded number of attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
    retries_left: u32,
}

impl Backoff {
    /// `retries` waits, the first about `first`, each twice the one before, up to `max`.
    pub fn new(first: Duration, max: Duration, retries: u32) -> Backoff {
        Backoff { next: first, max, retries_left: retries }
    }

    /// The wait before the next attempt, or `None` when the retries are used up. The
    /// wait is between half and all of the current step ("equal jitter"), so clients that
    /// failed together do not come back together.
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

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 599] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 201, 204, 400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("7", at(0)), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 7 ", at(0)), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", at(20)), Some(Duration::from_secs(40)));
        assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", at(90)), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", at(0)), None);
    }

    #[test]
    fn what_the_server_asked_for() {
        let date = [("retry-after", "Thu, 01 Jan 1970 00:01:00 GMT")];
        assert_eq!(requested_wait(headers(&date), "", at(30)), Some(Duration::from_secs(30)));
        let reset = [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1010")];
        assert_eq!(requested_wait(headers(&reset), "", at(1_000)), Some(Duration::from_secs(11)));
        let left = [("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "1010")];
        assert_eq!(requested_wait(headers(&left), "", at(1_000)), None);
        let body = "{\"errors\":[{\"detail\":\"Please try again after Thu, 01 Jan 1970 00:10:00 GMT or email\"}]}";
        assert_eq!(requested_wait(headers(&[]), body, at(60)), Some(Duration::from_secs(540)));
        assert_eq!(requested_wait(headers(&[]), "slow down", at(60)), None);
    }

    #[test]
    fn header_lines_quoted_in_a_text() {
        let text = "failed to get a 200 OK response, got 429\n  headers:\n  \tRetry-After: 3\n  body:\n  slow down\n";
        assert_eq!(requested_wait_in_text(text, at(0)), Some(Duration::from_secs(3)));
        assert_eq!(requested_wait_in_text("got 429\n  body:\n  no\n", at(0)), None);
    }

    #[test]
    fn a_wait_too_long_says_until_when_and_how_to_go_on() {
        let text = too_long("the registry", Duration::from_secs(86_400), at(0));
        assert!(
            text.starts_with("the registry asked to wait 86400s (until 1970-01-02T00:00:00Z), longer than"),
            "{text}"
        );
        assert!(text.contains("run the same command again after that time"), "{text}");
        assert_eq!(beyond_bound(Some(Duration::from_secs(86_400))), Some(Duration::from_secs(86_400)));
        assert_eq!(beyond_bound(Some(Duration::from_secs(3))), None);
        assert_eq!(beyond_bound(None), None);
    }

    #[test]
    fn a_429_that_names_no_wait_waits_a_minute_or_max_retry_wait_when_shorter() {
        assert_eq!(rate_limit_default(Duration::from_secs(300)), Duration::from_secs(60));
        assert_eq!(rate_limit_default(Duration::from_secs(7)), Duration::from_secs(7));
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

    #[test]
    fn the_server_s_wait_unless_too_long_and_never_past_the_retries() {
        let mut retries =
            Retries::new(Backoff::new(Duration::from_secs(1), Duration::from_secs(8), 2), Duration::from_secs(60));
        assert_eq!(retries.next(Some(Duration::from_secs(7))), Some(Duration::from_secs(7)));
        let backoff = retries.next(None).unwrap();
        assert!(backoff >= Duration::from_secs(1) && backoff <= Duration::from_secs(2), "{backoff:?}");
        assert_eq!(retries.next(None), None, "used up");
        let mut retries =
            Retries::new(Backoff::new(Duration::from_secs(1), Duration::from_secs(8), 2), Duration::from_secs(60));
        assert_eq!(retries.next(Some(Duration::from_secs(61))), None, "too long to wait");
    }
}
