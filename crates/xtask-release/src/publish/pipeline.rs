//! The upload phase through the registry's web API, pipelined: up to `--jobs` workers
//! upload the preflight's own `.crate` files, each as soon as every crate of the plan it
//! depends on was accepted by the registry. A registry checks, when it takes an upload,
//! that each dependency exists in its database (crates.io does, before it answers); its
//! index follows later. So the index is waited for once, at the end: the run succeeds
//! only when every crate shows there with the checksum of the file we verified.
//! `index-wait = "each"` waits for each crate instead, before its dependents go, for a
//! registry that resolves dependencies from its index at upload time.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};

use super::cargo_errors::Failure;
use super::index::Index;
use super::order::{Crate, Plan, State};
use super::pace::Pacer;
use super::run::{CrateResult, IndexWait, Options, Package, Status, different_content};
use super::tries;
use super::upload::{countdown, lock, names};
use super::web_api::{Api, Refused};
use crate::report::Reporter;

pub struct Pipeline<'a> {
    out: &'a dyn Reporter,
    plan: &'a Plan,
    index: &'a Index,
    api: &'a Api,
    options: &'a Options,
    packages: &'a BTreeMap<String, Package>,
    pacer: Pacer,
    board: Mutex<Board<'a>>,
    changed: Condvar,
}

struct Board<'a> {
    progress: BTreeMap<&'a str, Progress>,
    /// When each crate's turn began, and the seconds until the index listed it.
    started: BTreeMap<&'a str, Instant>,
    seconds: BTreeMap<&'a str, f64>,
    error: Option<anyhow::Error>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    Uploading,
    /// The registry took it (or had it already); the index may not show it yet.
    Accepted,
    /// The index lists it with our checksum.
    Confirmed(Status),
    Failed,
}

impl<'a> Pipeline<'a> {
    pub fn new(
        out: &'a dyn Reporter,
        plan: &'a Plan,
        index: &'a Index,
        api: &'a Api,
        options: &'a Options,
        packages: &'a BTreeMap<String, Package>,
    ) -> Pipeline<'a> {
        let progress = plan.crates.iter().map(|c| (c.name.as_str(), Progress::Waiting)).collect();
        Pipeline {
            out,
            plan,
            index,
            api,
            options,
            packages,
            pacer: Pacer::new(options.rate_limit),
            board: Mutex::new(Board { progress, started: BTreeMap::new(), seconds: BTreeMap::new(), error: None }),
            changed: Condvar::new(),
        }
    }

    /// Uploads the plan, then confirms every accepted crate in the index; fills in
    /// `results` and returns the error that stopped the run.
    pub fn run(self, results: &mut BTreeMap<&str, CrateResult>) -> Option<anyhow::Error> {
        let jobs = self.options.jobs.min(self.plan.to_upload().count()).max(1);
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                scope.spawn(|| {
                    while let Some(krate) = self.next_ready() {
                        let result = self.publish(krate);
                        self.finish(krate, result);
                    }
                });
            }
        });
        // STEP: every crate the registry took must show in the index with our checksum.
        if let Err(err) = self.confirm_accepted() {
            lock(&self.board).error.get_or_insert(err);
        }
        let board = self.board.into_inner().unwrap_or_else(|p| p.into_inner());
        for (name, progress) in &board.progress {
            let Some(result) = results.get_mut(*name) else { continue };
            result.status = match progress {
                Progress::Confirmed(status) => *status,
                Progress::Failed => Status::Failed,
                Progress::Accepted => Status::Uploaded,
                Progress::Waiting | Progress::Uploading => Status::NotPublished,
            };
            result.seconds = board.seconds.get(name).copied().unwrap_or_default();
        }
        board.error
    }

    /// The next crate whose dependencies in the plan are all accepted (or confirmed, with
    /// `index-wait = "each"`), in plan order; `None` once the run stopped or nothing is
    /// left that could become ready.
    fn next_ready(&self) -> Option<&'a Crate> {
        let mut board = lock(&self.board);
        loop {
            if board.error.is_some() {
                return None;
            }
            let ready = |dep: &String| match board.progress.get(dep.as_str()) {
                Some(Progress::Confirmed(_)) => true,
                Some(Progress::Accepted) => self.options.index_wait == IndexWait::End,
                _ => false,
            };
            let next = self
                .plan
                .crates
                .iter()
                .find(|c| board.progress[c.name.as_str()] == Progress::Waiting && c.after.iter().all(ready));
            if let Some(krate) = next {
                board.progress.insert(krate.name.as_str(), Progress::Uploading);
                board.started.insert(krate.name.as_str(), Instant::now());
                return Some(krate);
            }
            if !board.progress.values().any(|p| *p == Progress::Uploading) {
                return None;
            }
            board = self.changed.wait(board).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn finish(&self, krate: &'a Crate, result: Result<Progress>) {
        let mut board = lock(&self.board);
        let progress = match result {
            Ok(progress) => progress,
            Err(err) => {
                board.error.get_or_insert(err);
                Progress::Failed
            }
        };
        if let Progress::Confirmed(Status::Published) = progress {
            let seconds = board.started.get(krate.name.as_str()).map_or(0.0, |s| s.elapsed().as_secs_f64());
            board.seconds.insert(krate.name.as_str(), seconds);
            self.out.status("Published", &format!("{} v{} in {seconds:.1}s", krate.name, krate.version));
        }
        board.progress.insert(krate.name.as_str(), progress);
        drop(board);
        self.changed.notify_all();
    }

    /// One crate: skipped when the registry has it with our checksum, else uploaded
    /// (and, with `index-wait = "each"`, waited for in the index).
    fn publish(&self, krate: &'a Crate) -> Result<Progress> {
        let what = names(&[krate]);
        if let State::Published { .. } = krate.state {
            // The preflight compared its checksum with ours.
            self.out.status("Skipped", &format!("{what}: already on {}", self.plan.registry.display()));
            return Ok(Progress::Confirmed(Status::Skipped));
        }
        let package = &self.packages[&krate.name];
        let tarball = package.read()?;
        self.pace(krate);
        self.upload(krate, package, &tarball)?;
        if self.options.index_wait == IndexWait::Each {
            self.wait_until_visible(&[krate], false)?;
            return Ok(Progress::Confirmed(Status::Published));
        }
        Ok(Progress::Accepted)
    }

    fn pace(&self, krate: &Crate) {
        let pause = self.pacer.reserve(krate.state == State::NewCrate);
        if !pause.is_zero() {
            let why = format!("{}: pacing uploads at {}", names(&[krate]), self.options.rate_limit);
            countdown(self.out, &why, pause);
        }
    }

    /// `PUT /api/v1/crates/new`, tried again on server errors, dropped connections and 429s.
    fn upload(&self, krate: &Crate, package: &Package, tarball: &[u8]) -> Result<()> {
        let what = names(&[krate]);
        tries::upload(self.out, self.plan, self.index, krate, self.options.retries, || {
            self.out.status("Uploading", &what);
            let Refused { failure, message } = match self.api.publish(&package.metadata, tarball) {
                Ok(warnings) => {
                    for warning in warnings {
                        self.out.warn(&format!("{what}: {warning}"));
                    }
                    self.out.status("Uploaded", &what);
                    return Ok(None);
                }
                Err(refused) => refused,
            };
            if failure == Failure::AlreadyExists {
                // Ours from an earlier attempt whose answer was lost, or someone else's:
                // the checksum in the index tells, when the run confirms it.
                self.out.status("Uploaded", &format!("{what}: the registry has it already ({message})"));
                return Ok(None);
            }
            Ok(Some(tries::Refused {
                failure,
                error: format!("cannot publish {what}: {message}"),
                error_after_retries: format!("cannot publish {what}: {message} (and again after every retry)"),
                reason: message,
            }))
        })
    }

    /// Whether the index lists the crate with our checksum; an error when it lists other
    /// content.
    fn on_registry(&self, krate: &Crate) -> Result<bool> {
        let ours = &self.packages[&krate.name].sha256;
        match self.index.find(&krate.name, &krate.version)? {
            Some(entry) if entry.cksum == *ours => Ok(true),
            Some(entry) => Err(anyhow!(different_content(krate, self.plan, &entry.cksum, ours))),
            None => Ok(false),
        }
    }

    /// `on_registry` for each crate, a few index files at a time: after a large set the
    /// confirmation must not cost one round trip per crate.
    fn on_registry_all(&self, crates: &[&Crate]) -> Vec<Result<bool>> {
        const AT_ONCE: usize = 16;
        crates
            .chunks(AT_ONCE)
            .flat_map(|chunk| {
                std::thread::scope(|scope| {
                    let checks: Vec<_> = chunk.iter().map(|k| scope.spawn(move || self.on_registry(k))).collect();
                    checks
                        .into_iter()
                        .map(|check| check.join().unwrap_or_else(|_| Err(anyhow!("an index lookup panicked"))))
                        .collect::<Vec<_>>()
                })
            })
            .collect()
    }

    /// Every accepted crate, confirmed in the index (also after an error, so the result
    /// says which uploads are there).
    fn confirm_accepted(&self) -> Result<()> {
        let accepted: Vec<&Crate> = {
            let board = lock(&self.board);
            self.plan.crates.iter().filter(|c| board.progress[c.name.as_str()] == Progress::Accepted).collect()
        };
        if accepted.is_empty() {
            return Ok(());
        }
        let progress =
            self.out.progress("Waiting", &format!("for {} to show in the index", plural_crates(accepted.len())));
        let visible = self.wait_until_visible(&accepted, true);
        progress.finish(visible.is_ok());
        visible
    }

    /// Polls the index, sooner at first, until every crate shows with our checksum; with
    /// `mark`, each is marked confirmed as it does.
    fn wait_until_visible(&self, crates: &[&'a Crate], mark: bool) -> Result<()> {
        let timeout = self.options.index_timeout;
        let deadline = Instant::now() + timeout;
        let mut interval = Duration::from_millis(100);
        let mut left: Vec<&Crate> = crates.to_vec();
        loop {
            let mut still = Vec::new();
            for (krate, listed) in left.iter().copied().zip(self.on_registry_all(&left)) {
                if listed? {
                    if mark {
                        self.finish(krate, Ok(Progress::Confirmed(Status::Published)));
                    }
                } else {
                    still.push(krate);
                }
            }
            left = still;
            let Some(first) = left.first() else { return Ok(()) };
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                bail!(
                    "{} uploaded but {} did not list {} within {}s; run the same command again once it shows (or \
                     raise `index-timeout` in [{}.publish])",
                    names(&left),
                    self.index.file_url(&first.name),
                    if left.len() == 1 { "it" } else { "them" },
                    timeout.as_secs(),
                    self.options.table
                );
            }
            std::thread::sleep(interval.min(remaining));
            interval = (interval * 3 / 2).min(Duration::from_secs(2));
        }
    }
}

fn plural_crates(n: usize) -> String {
    crate::output::plural(n, "crate")
}
