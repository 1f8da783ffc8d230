//! Staying inside a registry's upload budget: crates.io's published limits, the least
//! time a plan needs under them, and optional pacing of our own uploads (`--rate-limit`).

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// A budget of `burst` uploads at once, then one per `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub burst: u32,
    pub every: Duration,
}

impl Budget {
    /// crates.io, per account: 30 new versions at once, then one a minute.
    pub const CRATES_IO_NEW_VERSIONS: Budget = Budget { burst: 30, every: Duration::from_secs(60) };
    /// crates.io, per account: 5 new crates at once, then one every ten minutes.
    pub const CRATES_IO_NEW_CRATES: Budget = Budget { burst: 5, every: Duration::from_secs(600) };

    /// The least time `uploads` take from a full budget: the last one's start.
    pub(crate) fn least_time(self, uploads: usize) -> Duration {
        self.every * (uploads as u32).saturating_sub(self.burst)
    }
}

/// The dry run's forecast of what the uploads will cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    pub new_crates: usize,
    pub new_versions: usize,
    /// At crates.io's limits, from a full budget; the two limits count separately.
    pub least_seconds_at_crates_io: u64,
}

impl Estimate {
    pub(crate) fn crates_io(new_crates: usize, new_versions: usize) -> Estimate {
        let least = Budget::CRATES_IO_NEW_CRATES
            .least_time(new_crates)
            .max(Budget::CRATES_IO_NEW_VERSIONS.least_time(new_versions));
        Estimate { new_crates, new_versions, least_seconds_at_crates_io: least.as_secs() }
    }
}

/// `--rate-limit` and the `rate-limit` key: `none`, `crates-io`, or `BURST/SECONDSs`
/// (e.g. `10/30s`: ten uploads at once, then one every 30 seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
#[non_exhaustive]
pub enum RateLimit {
    #[default]
    None,
    CratesIo,
    Custom(Budget),
}

impl FromStr for RateLimit {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<RateLimit> {
        match text {
            "none" => return Ok(RateLimit::None),
            "crates-io" => return Ok(RateLimit::CratesIo),
            _ => {}
        }
        let usage = || format!("invalid rate limit `{text}`: use `none`, `crates-io`, or BURST/SECONDSs like `10/30s`");
        let (burst, every) = text.split_once('/').with_context(usage)?;
        let burst: u32 = burst.parse().ok().filter(|b| *b > 0).with_context(usage)?;
        let Some(seconds) = every.strip_suffix('s').and_then(|s| s.parse::<u64>().ok()) else {
            bail!(usage());
        };
        Ok(RateLimit::Custom(Budget { burst, every: Duration::from_secs(seconds) }))
    }
}

impl TryFrom<String> for RateLimit {
    type Error = String;

    fn try_from(text: String) -> Result<RateLimit, String> {
        text.parse().map_err(|e: anyhow::Error| e.to_string())
    }
}

/// As the config writes it (`crates-io`, `10/30s`), so a plan shows it that way.
impl serde::Serialize for RateLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimit::None => f.write_str("none"),
            RateLimit::CratesIo => f.write_str("crates-io"),
            RateLimit::Custom(b) => write!(f, "{}/{}s", b.burst, b.every.as_secs()),
        }
    }
}

/// Hands out upload slots inside the budget; shared by the upload threads.
pub struct Pacer {
    start: Instant,
    new_crates: Option<Arc<Mutex<Bucket>>>,
    new_versions: Option<Arc<Mutex<Bucket>>>,
}

/// A leaky bucket kept as the theoretical time of the next upload (GCRA): an upload may
/// go once that time is less than `burst - 1` intervals away.
struct Bucket {
    budget: Budget,
    next: Duration,
}

impl Pacer {
    pub fn new(limit: RateLimit) -> Pacer {
        let bucket = |budget| Some(Arc::new(Mutex::new(Bucket { budget, next: Duration::ZERO })));
        let (new_crates, new_versions) = match limit {
            RateLimit::None => (None, None),
            RateLimit::CratesIo => (bucket(Budget::CRATES_IO_NEW_CRATES), bucket(Budget::CRATES_IO_NEW_VERSIONS)),
            RateLimit::Custom(budget) => {
                let shared = bucket(budget);
                (shared.clone(), shared)
            }
        };
        Pacer { start: Instant::now(), new_crates, new_versions }
    }

    /// Takes the next slot for an upload and returns how long to wait for it.
    pub fn reserve(&self, new_crate: bool) -> Duration {
        let bucket = if new_crate { &self.new_crates } else { &self.new_versions };
        let Some(bucket) = bucket else { return Duration::ZERO };
        let mut bucket = bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bucket.reserve(self.start.elapsed())
    }
}

impl Bucket {
    fn reserve(&mut self, now: Duration) -> Duration {
        let next = self.next.max(now);
        let tolerance = self.budget.every * self.budget.burst.saturating_sub(1);
        let at = next.saturating_sub(tolerance).max(now);
        self.next = next + self.budget.every;
        at - now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_limits() {
        assert_eq!("none".parse::<RateLimit>().unwrap(), RateLimit::None);
        assert_eq!("crates-io".parse::<RateLimit>().unwrap(), RateLimit::CratesIo);
        let custom = "10/30s".parse::<RateLimit>().unwrap();
        assert_eq!(custom, RateLimit::Custom(Budget { burst: 10, every: Duration::from_secs(30) }));
        assert_eq!(custom.to_string(), "10/30s");
        for bad in ["fast", "0/1s", "10/30", "x/1s"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn crates_io_estimate() {
        assert_eq!(Estimate::crates_io(5, 30).least_seconds_at_crates_io, 0);
        assert_eq!(Estimate::crates_io(6, 0).least_seconds_at_crates_io, 600);
        assert_eq!(Estimate::crates_io(0, 32).least_seconds_at_crates_io, 120);
        assert_eq!(Estimate::crates_io(7, 32).least_seconds_at_crates_io, 1200);
    }

    #[test]
    fn bucket_allows_a_burst_then_one_per_interval() {
        let mut bucket = Bucket { budget: Budget { burst: 3, every: Duration::from_secs(10) }, next: Duration::ZERO };
        let waits: Vec<u64> = (0..5).map(|_| bucket.reserve(Duration::ZERO).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 10, 20]);
        // Time refills it: 100 s later the burst is back.
        let waits: Vec<u64> = (0..4).map(|_| bucket.reserve(Duration::from_secs(100)).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 10]);
    }
}
