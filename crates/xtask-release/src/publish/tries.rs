//! The tries of one upload, whether through the registry's web API or `cargo publish`:
//! a 429 is waited out (up to `max-retry-wait`), a server error or dropped connection is
//! tried again with backoff after checking the index, anything else stops the run.

use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};

use super::cargo_errors::Failure;
use super::index::Index;
use super::order::{Crate, Plan};
use super::upload::{countdown, names};
use crate::ops::retry::{self, Backoff};
use crate::report::Reporter;

/// A 429 more often than this for one crate means the budget is not coming back soon.
const MAX_RATE_LIMITED: u32 = 20;

/// An upload the registry did not take.
pub(super) struct Refused {
    pub failure: Failure,
    /// One line saying why, for the retry status and a wait that is too long.
    pub reason: String,
    /// The error when this answer ends the run, and when it ends it after every retry.
    pub error: String,
    pub error_after_retries: String,
}

/// Uploads `krate` by `attempt` until it is taken (`Ok(None)`), retrying as the module
/// says. `attempt` deals with its own success, including "the registry has it already".
pub(super) fn upload(
    out: &dyn Reporter,
    plan: &Plan,
    index: &Index,
    krate: &Crate,
    retries: u32,
    mut attempt: impl FnMut() -> Result<Option<Refused>>,
) -> Result<()> {
    let what = names(&[krate]);
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), retries);
    let mut rate_limited = 0;
    loop {
        let Some(Refused { failure, reason, error, error_after_retries }) = attempt()? else {
            return Ok(());
        };
        match failure {
            Failure::AlreadyExists => return Ok(()),
            Failure::RateLimited(Some(wait)) if retry::beyond_bound(Some(wait)).is_some() => {
                let who = format!("{} ({reason})", plan.registry.display());
                bail!("cannot publish {what}: {}", retry::too_long(&who, wait, SystemTime::now()));
            }
            Failure::RateLimited(wait) if rate_limited < MAX_RATE_LIMITED => {
                rate_limited += 1;
                wait_rate_limit(out, plan, &what, wait);
            }
            Failure::Transient => {
                // The upload may have gone through before the connection dropped.
                if index.find(&krate.name, &krate.version)?.is_some() {
                    return Ok(());
                }
                let Some(delay) = backoff.next_delay() else { bail!(error_after_retries) };
                out.status("Retrying", &format!("{what} in {:.1}s after: {reason}", delay.as_secs_f64()));
                std::thread::sleep(delay);
            }
            Failure::RateLimited(_) | Failure::Fatal => bail!(error),
        }
    }
}

/// Waits out a 429 for `what` (one crate or a batch): the registry's own time, else
/// [`retry::unasked_rate_limit_wait`].
pub(super) fn wait_rate_limit(out: &dyn Reporter, plan: &Plan, what: &str, wait: Option<Duration>) {
    // A second past the registry's time, so the retry lands after it.
    let wait = wait.unwrap_or_else(retry::unasked_rate_limit_wait) + Duration::from_secs(1);
    countdown(out, &format!("{what}: rate limited by {}", plan.registry.display()), wait);
}
