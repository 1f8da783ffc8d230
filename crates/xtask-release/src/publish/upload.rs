//! The upload phase: worker threads take the crates whose dependencies are visible in
//! the index, upload them with `cargo publish --no-verify`, and confirm each in the index
//! before anything that depends on it goes.
//!
//! A worker takes a batch (`batch::batches`) as one `cargo publish -p a -p b ...`: one cargo
//! process for several crates instead of one each. Cargo uploads the crates of a batch in
//! dependency order and waits for each to reach the index before its dependents (for up
//! to `index-timeout`, like ours); we then confirm every crate in the index ourselves
//! before anything in another batch that depends on it goes. When a batch fails, its
//! crates go again one by one, in order, each with the retries below.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{self, ChildStderr, Command, Stdio};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, anyhow, bail};
use cargo_metadata::camino::Utf8PathBuf;
use xshell::Shell;

use super::batch;
use super::cargo_errors::{self, Failure};
use super::index::Index;
use super::order::{Crate, Plan, State};
use super::pace::Pacer;
use super::run::{CrateResult, Options, Status, different_content, published_files, registry_args};
use super::tries;
use crate::ops::cargo;
use crate::ops::redact::redact;
use crate::ops::retry;
use crate::report::Reporter;
use crate::workspace::Workspace;

pub struct Uploads<'a> {
    out: &'a dyn Reporter,
    root: Utf8PathBuf,
    target_dir: Utf8PathBuf,
    plan: &'a Plan,
    index: &'a Index,
    options: &'a Options,
    /// The sha256 of each crate's package from the preflight.
    checksums: BTreeMap<String, String>,
    /// Those packages' bytes, to compare file by file with what the registry has when its
    /// checksum differs (`cargo publish` packages again, at a commit of its own).
    tarballs: BTreeMap<String, Vec<u8>>,
    pacer: Pacer,
    board: Mutex<Board<'a>>,
    changed: Condvar,
    /// Keeps a block of cargo output in GitHub Actions in one piece.
    /// Whether this cargo takes a batch in one run (1.90 and later); older cargo goes one
    /// by one from the start instead of failing every batch first.
    together: bool,
    print: Mutex<()>,
}

/// Which crates are waiting, under way or done, how many workers are busy, and the
/// error that stopped the run.
struct Board<'a> {
    progress: BTreeMap<&'a str, Progress>,
    busy: usize,
    error: Option<anyhow::Error>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    Running,
    Done,
}

impl<'a> Uploads<'a> {
    /// Keeps the preflight's packages, to compare with the registry's file by file.
    pub fn with_tarballs(mut self, tarballs: BTreeMap<String, Vec<u8>>) -> Uploads<'a> {
        self.tarballs = tarballs;
        self
    }

    fn stem(&self, krate: &Crate) -> String {
        format!("{}-{}", krate.name, krate.version)
    }

    pub fn new(
        out: &'a dyn Reporter,
        ws: &Workspace,
        plan: &'a Plan,
        index: &'a Index,
        options: &'a Options,
        checksums: BTreeMap<String, String>,
    ) -> Uploads<'a> {
        let progress = plan.crates.iter().map(|c| (c.name.as_str(), Progress::Waiting)).collect();
        Uploads {
            out,
            root: ws.root.clone(),
            target_dir: ws.target_dir.clone(),
            plan,
            index,
            options,
            checksums,
            tarballs: BTreeMap::new(),
            pacer: Pacer::new(options.rate_limit),
            board: Mutex::new(Board { progress, busy: 0, error: None }),
            changed: Condvar::new(),
            print: Mutex::new(()),
            together: Shell::new().map(|sh| cargo::publishes_several(&sh)).unwrap_or(false),
        }
    }

    /// Publishes the plan; fills in `results` and returns the error that stopped the run.
    pub fn run(self, results: &mut BTreeMap<&str, CrateResult>) -> Option<anyhow::Error> {
        let finished = Mutex::new(Vec::new());
        let jobs = self.options.jobs.min(self.plan.to_upload().count()).max(1);
        std::thread::scope(|scope| {
            for slot in 0..jobs {
                let (uploads, finished) = (&self, &finished);
                scope.spawn(move || {
                    while let Some(batch) = uploads.next_batch(jobs) {
                        let started = Instant::now();
                        for (krate, result) in uploads.publish(slot, batch) {
                            let seconds = started.elapsed().as_secs_f64();
                            let status = uploads.finish(krate, result, seconds);
                            lock(finished).push((krate.name.as_str(), status, seconds));
                        }
                        lock(&uploads.board).busy -= 1;
                    }
                });
            }
        });
        for (name, status, seconds) in finished.into_inner().unwrap_or_else(|p| p.into_inner()) {
            if let Some(result) = results.get_mut(name) {
                (result.status, result.seconds) = (status, seconds);
            }
        }
        self.board.into_inner().unwrap_or_else(|p| p.into_inner()).error
    }

    /// This worker's batch (`batch::batches`) among the idle workers; `None` once the run
    /// stopped or nothing left could become ready.
    fn next_batch(&self, workers: usize) -> Option<Vec<&'a Crate>> {
        let mut board = lock(&self.board);
        loop {
            if board.error.is_some() {
                return None;
            }
            let waiting: Vec<&'a Crate> =
                self.plan.crates.iter().filter(|c| board.progress[c.name.as_str()] == Progress::Waiting).collect();
            let done: BTreeSet<&str> =
                board.progress.iter().filter(|(_, p)| **p == Progress::Done).map(|(name, _)| *name).collect();
            let idle = workers.saturating_sub(board.busy);
            if let Some(batch) = batch::batches(&waiting, &done, idle, workers).into_iter().next() {
                for krate in &batch {
                    board.progress.insert(krate.name.as_str(), Progress::Running);
                }
                board.busy += 1;
                return Some(batch);
            }
            if !board.progress.values().any(|p| *p == Progress::Running) {
                return None;
            }
            board = self.changed.wait(board).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn finish(&self, krate: &'a Crate, result: Result<Status>, seconds: f64) -> Status {
        let what = format!("{} v{}", krate.name, krate.version);
        let status = match result {
            Ok(Status::Skipped) => {
                self.out.status("Skipped", &format!("{what}: already on {}", self.plan.registry.display()));
                Status::Skipped
            }
            Ok(status) => {
                self.out.status("Published", &format!("{what} in {seconds:.1}s"));
                status
            }
            Err(err) => {
                lock(&self.board).error.get_or_insert(err);
                Status::Failed
            }
        };
        lock(&self.board).progress.insert(krate.name.as_str(), Progress::Done);
        self.changed.notify_all();
        status
    }

    /// Publishes a batch: what the registry has is skipped, the rest goes in one cargo
    /// run, and after a failure one by one, in order, up to the first crate that fails
    /// (its dependents in the batch could not resolve it, and the run stops anyway).
    fn publish(&self, slot: usize, batch: Vec<&'a Crate>) -> Vec<(&'a Crate, Result<Status>)> {
        let mut done = Vec::new();
        let mut todo = Vec::new();
        for krate in batch {
            match self.on_registry(krate) {
                Ok(true) => done.push((krate, Ok(Status::Skipped))),
                Ok(false) => todo.push(krate),
                // The rest of the batch may depend on this crate; the run stops anyway.
                Err(err) => {
                    done.push((krate, Err(err)));
                    return done;
                }
            }
        }
        if todo.len() > 1 && self.together && self.upload_together(slot, &todo) {
            for krate in todo.drain(..) {
                done.push((krate, self.wait_until_visible(krate).map(|()| Status::Published)));
            }
        }
        for krate in todo {
            let result = self.publish_one(slot, krate);
            let failed = result.is_err();
            done.push((krate, result));
            if failed {
                break;
            }
        }
        done
    }

    /// Whether the registry has this version already, with our checksum; an error when
    /// it has other content. Asked right before each upload: an earlier run, or one going
    /// on at the same time, may have published it since the plan was made.
    fn on_registry(&self, krate: &Crate) -> Result<bool> {
        match self.index.find(&krate.name, &krate.version)? {
            Some(entry) if entry.cksum == self.checksums[&krate.name] => Ok(true),
            Some(entry) => match self.tarballs.get(&krate.name) {
                // The same files but for the commit and checksums they record: ours.
                Some(bytes) => published_files(self.plan, krate, &entry.cksum, bytes, &self.stem(krate))
                    .map(|_| true)
                    .map_err(|conflict| anyhow!(conflict)),
                None => Err(anyhow!(different_content(krate, self.plan, &entry.cksum, &self.checksums[&krate.name]))),
            },
            None => Ok(false),
        }
    }

    fn publish_one(&self, slot: usize, krate: &Crate) -> Result<Status> {
        if self.on_registry(krate)? {
            return Ok(Status::Skipped);
        }
        self.pace(&[krate]);
        self.upload(slot, krate)?;
        self.wait_until_visible(krate)?;
        Ok(Status::Published)
    }

    /// Waits for the slots of these uploads inside `--rate-limit`.
    fn pace(&self, crates: &[&Crate]) {
        let pause = crates.iter().map(|c| self.pacer.reserve(c.state == State::NewCrate)).max().unwrap_or_default();
        if !pause.is_zero() {
            let why = format!("{}: pacing uploads at {}", names(crates), self.options.rate_limit);
            countdown(self.out, &why, pause);
        }
    }

    /// One cargo run for the batch; `false` when it failed, after waiting out a 429 or a
    /// short backoff, so the crates go one by one next.
    fn upload_together(&self, slot: usize, crates: &[&Crate]) -> bool {
        self.pace(crates);
        self.out.status("Uploading", &names(crates));
        let output = match self.cargo_publish(slot, crates) {
            Ok(output) if output.status.success() => return true,
            Ok(output) => output,
            // Cargo did not start; the one-by-one path reports why, with its crate.
            Err(_) => return false,
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = cargo_reason(&stderr);
        self.out.status("Retrying", &format!("{} one by one after: {reason}", names(crates)));
        match cargo_errors::classify(&stderr, SystemTime::now()) {
            // One by one, the first crate stops the run with the wait asked for.
            Failure::RateLimited(wait) if retry::beyond_bound(wait).is_some() => {}
            Failure::RateLimited(wait) => tries::wait_rate_limit(self.out, self.plan, &names(crates), wait),
            Failure::Transient => std::thread::sleep(Duration::from_secs(1)),
            Failure::AlreadyExists | Failure::Fatal => {}
        }
        false
    }

    /// `cargo publish` for one crate, tried again on server errors, dropped connections
    /// and 429s.
    fn upload(&self, slot: usize, krate: &Crate) -> Result<()> {
        let what = names(&[krate]);
        tries::upload(self.out, self.plan, self.index, krate, self.options.retries, || {
            self.out.status("Uploading", &what);
            let output = self.cargo_publish(slot, &[krate])?;
            if output.status.success() {
                return Ok(None);
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            // `AlreadyExists`: ours from an earlier attempt whose answer was lost, or
            // someone else's: the checksum in the index tells.
            Ok(Some(tries::Refused {
                failure: cargo_errors::classify(&stderr, SystemTime::now()),
                reason: cargo_reason(&stderr),
                error: cargo_failed(&what, &stderr, ""),
                error_after_retries: cargo_failed(&what, &stderr, " and again after every retry"),
            }))
        })
    }

    /// Runs `cargo publish --no-verify` (the preflight verified) with a target dir per
    /// worker: cargo holds a lock in the target dir from packaging until the end of its
    /// own index wait, which would serialise parallel uploads. Cargo waits for each crate
    /// of the batch to reach the index before uploading its dependents; `publish.timeout`
    /// makes that wait as patient as ours (cargo's default gives up after a minute).
    /// `--locked`: the preflight's `cargo package` brought Cargo.lock up to date and each
    /// package's own Cargo.lock is resolved from it, so the upload must see the same one,
    /// or fail before uploading rather than send something other than what was verified.
    fn cargo_publish(&self, slot: usize, crates: &[&Crate]) -> Result<process::Output> {
        let sh = Shell::new()?;
        sh.change_dir(&self.root);
        let packages: Vec<&str> = crates.iter().flat_map(|c| ["-p", c.name.as_str()]).collect();
        let registry_args = registry_args(self.plan);
        let target_dir = self.target_dir.join("xtask-release").join(format!("publish-{slot}"));
        let timeout = format!("publish.timeout={}", self.options.index_timeout.as_secs());
        let group = format!("cargo publish {}", packages.join(" "));
        // The one cargo we start with the token: only it can get it (another credential
        // provider, a git index), and it runs no crate code (`--no-verify`).
        let command = cargo::authenticated(&sh)
            .args(["publish", "--no-verify", "--locked"])
            .args(&packages)
            .args(registry_args)
            .arg("--target-dir")
            .arg(&target_dir)
            .args(["--config", &timeout]);
        let output = self
            .run_following(command.into())
            .with_context(|| format!("cannot run cargo publish for {}", names(crates)))?;
        {
            let _print = lock(&self.print);
            let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            self.out.tool_output(&group, &format!("{stdout}{stderr}"));
        }
        Ok(output)
    }

    /// Runs cargo, saying each `Uploaded NAME vVERSION` of cargo's as it comes: a batch may
    /// take an index wait per crate, which must not look like a hang.
    fn run_following(&self, mut command: Command) -> std::io::Result<process::Output> {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let (stdout, stderr) = std::thread::scope(|scope| {
            let stdout = scope.spawn(|| {
                let mut bytes = Vec::new();
                if let Some(mut stdout) = stdout {
                    let _ = stdout.read_to_end(&mut bytes);
                }
                bytes
            });
            let stderr = self.follow(stderr);
            (stdout.join().unwrap_or_default(), stderr)
        });
        Ok(process::Output { status: child.wait()?, stdout, stderr })
    }

    /// All of cargo's stderr, with its `Uploaded` lines repeated as our status lines.
    fn follow(&self, stderr: Option<ChildStderr>) -> Vec<u8> {
        let mut text = Vec::new();
        let Some(stderr) = stderr else { return text };
        let mut stderr = BufReader::new(stderr);
        let mut line_start = 0;
        while stderr.read_until(b'\n', &mut text).is_ok_and(|read| read > 0) {
            let line = String::from_utf8_lossy(&text[line_start..]);
            if let Some((what, _)) = line.trim_start().strip_prefix("Uploaded ").and_then(|r| r.split_once(" to ")) {
                self.out.status("Uploaded", what);
            }
            line_start = text.len();
        }
        text
    }

    /// Polls the index, sooner at first, until the version shows with our checksum.
    fn wait_until_visible(&self, krate: &Crate) -> Result<()> {
        let timeout = self.options.index_timeout;
        let deadline = Instant::now() + timeout;
        let mut interval = Duration::from_millis(100);
        while !self.on_registry(krate)? {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "`{}` v{} was uploaded but {} did not list it within {}s; run the same command again once \
                     it shows (or raise `index-timeout` in [{}.publish])",
                    krate.name,
                    krate.version,
                    self.index.file_url(&krate.name),
                    timeout.as_secs(),
                    self.options.table
                );
            }
            std::thread::sleep(interval.min(left));
            interval = (interval * 3 / 2).min(Duration::from_secs(2));
        }
        Ok(())
    }
}

pub(super) fn names(crates: &[&Crate]) -> String {
    crates.iter().map(|c| format!("{} v{}", c.name, c.version)).collect::<Vec<_>>().join(", ")
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking upload thread must not hide the others' results.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Cargo's own error, from its `error:` line on (the progress lines before it say nothing).
/// Redacted: cargo quotes the registry's answer, which may echo our token.
fn cargo_failed(what: &str, stderr: &str, again: &str) -> String {
    let error = stderr.find("error:").map_or(stderr, |at| &stderr[at..]).trim_end();
    format!("cannot publish {what}: cargo publish failed{again}:\n{}", redact(error))
}

/// The first line of cargo's cause, for a retry message, redacted.
fn cargo_reason(stderr: &str) -> String {
    let cause = stderr.split_once("Caused by:").map_or(stderr, |(_, rest)| rest);
    redact(cause.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("unknown error"))
}

/// Waits `total`, saying so every few seconds on stderr, so a long wait in CI does not
/// look like a hang.
pub(super) fn countdown(out: &dyn Reporter, why: &str, total: Duration) {
    let until = Instant::now() + total;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        out.status("Waiting", &format!("{why}; {}s left", left.as_secs_f64().ceil()));
        std::thread::sleep(left.min(Duration::from_secs(5)));
    }
}
