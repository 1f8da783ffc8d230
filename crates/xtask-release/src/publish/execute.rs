//! Carrying out a publish plan: a preflight over the whole set before anything is
//! uploaded, then uploads in dependency order, several at once, each confirmed in the
//! sparse index before anything that depends on it goes.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, anyhow, bail};
use cargo_metadata::camino::Utf8PathBuf;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use xshell::{Shell, cmd};

use super::index::{Entry, Index};
use super::pace::{Pacer, RateLimit};
use super::plan::{Crate, Plan, State};
use super::retry::{self, Backoff, Failure};
use crate::context::Ctx;
use crate::ops::cargo;
use crate::output::Output;
use crate::workspace::Workspace;

pub struct Options {
    pub jobs: usize,
    pub index_timeout: Duration,
    pub retries: u32,
    pub rate_limit: RateLimit,
}

/// What happened to each crate of the plan, and the error that stopped the run, if any.
pub struct Outcome {
    pub results: Vec<CrateResult>,
    pub error: Option<anyhow::Error>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrateResult {
    pub name: String,
    pub version: semver::Version,
    pub status: Status,
    /// Wall time from the start of this crate's turn to its version showing in the index.
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Published,
    /// The registry already had this version with the same checksum.
    Skipped,
    Failed,
    /// Not reached: the run stopped first.
    NotPublished,
}

/// A 429 more often than this for one crate means the budget is not coming back soon.
const MAX_RATE_LIMITED: u32 = 20;
/// The wait after a 429 that did not say how long.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

pub fn run(ctx: &Ctx, ws: &Workspace, plan: &Plan, index: &Index, options: &Options) -> Outcome {
    let mut results: BTreeMap<&str, CrateResult> = plan
        .crates
        .iter()
        .map(|c| {
            let result = CrateResult {
                name: c.name.clone(),
                version: c.version.clone(),
                status: Status::NotPublished,
                seconds: 0.0,
            };
            (c.name.as_str(), result)
        })
        .collect();
    let error = match preflight(ctx, ws, plan) {
        Ok(checksums) => {
            let uploads = Uploads::new(ctx.out, ws, plan, index, options, checksums);
            uploads.run(&mut results)
        }
        Err(err) => Some(err),
    };
    let results = plan.crates.iter().filter_map(|c| results.remove(c.name.as_str())).collect();
    Outcome { results, error }
}

/// Everything that can be known before the first upload: a token exists, every crate
/// packages and verifies against the others, and no version on the registry differs
/// from ours. Returns the sha256 of each packaged `.crate`.
fn preflight(ctx: &Ctx, ws: &Workspace, plan: &Plan) -> Result<BTreeMap<String, String>> {
    let registry = &plan.registry;
    // STEP 1: a token, or cargo publish would fail at the first crate.
    match registry.token_source(ws.root.as_std_path())? {
        Some(source) => ctx.out.status("Found", format!("a token for {} in {source}", registry.display())),
        None => bail!("no token for {}: {}", registry.display(), registry.token_help()),
    }
    if plan.crates.is_empty() {
        return Ok(BTreeMap::new());
    }

    // STEP 2: one `cargo package` over the set. Cargo packages workspace members against
    // each other through a local overlay, so this verifies the set as it will be published.
    let _group = ctx.out.group(format!("cargo package ({} crates)", plan.crates.len()));
    ctx.out.status("Verifying", format!("{} crates with cargo package", plan.crates.len()));
    let cargo = cargo::bin();
    let packages: Vec<String> = plan.crates.iter().flat_map(|c| ["-p".to_string(), c.name.clone()]).collect();
    let registry_args = registry_args(plan);
    cmd!(ctx.sh, "{cargo} package {registry_args...} {packages...}")
        .quiet()
        .run()
        .context("cargo package failed, so nothing was uploaded; fix the error cargo printed above")?;

    // STEP 3: what we would upload, against what the registry has.
    let mut checksums = BTreeMap::new();
    let mut conflicts = Vec::new();
    for krate in &plan.crates {
        let path = ws.target_dir.join("package").join(format!("{}-{}.crate", krate.name, krate.version));
        let sha = sha256_file(&path)?;
        if let State::Published { cksum } = &krate.state
            && *cksum != sha
        {
            conflicts.push(different_content(krate, plan, cksum, &sha));
        }
        checksums.insert(krate.name.clone(), sha);
    }
    if !conflicts.is_empty() {
        bail!("nothing was uploaded:\n  {}", conflicts.join("\n  "));
    }
    Ok(checksums)
}

fn registry_args(plan: &Plan) -> Vec<String> {
    plan.registry.name.iter().flat_map(|name| ["--registry".to_string(), name.clone()]).collect()
}

fn different_content(krate: &Crate, plan: &Plan, theirs: &str, ours: &str) -> String {
    format!(
        "`{name}` v{} is already on {} with different content (index cksum {theirs}, local package {ours}); \
         a published version cannot be replaced: bump the version of `{name}`; if only the commit differs (the \
         package records it in .cargo_vcs_info.json), publish from the commit it was published from, or leave it \
         out with --exclude {name}",
        krate.version,
        plan.registry.display(),
        name = krate.name,
    )
}

fn sha256_file(path: &Utf8PathBuf) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the packaged crate {path}"))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// The upload phase: worker threads take the next crate whose dependencies are visible.
struct Uploads<'a> {
    out: Output,
    root: Utf8PathBuf,
    target_dir: Utf8PathBuf,
    plan: &'a Plan,
    index: &'a Index,
    options: &'a Options,
    checksums: BTreeMap<String, String>,
    pacer: Pacer,
    board: Mutex<Board<'a>>,
    changed: Condvar,
    /// Keeps a crate's block of cargo output in GitHub Actions in one piece.
    print: Mutex<()>,
}

struct Board<'a> {
    progress: BTreeMap<&'a str, Progress>,
    error: Option<anyhow::Error>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Waiting,
    Running,
    Done,
}

impl<'a> Uploads<'a> {
    fn new(
        out: Output,
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
            pacer: Pacer::new(options.rate_limit),
            board: Mutex::new(Board { progress, error: None }),
            changed: Condvar::new(),
            print: Mutex::new(()),
        }
    }

    fn run(self, results: &mut BTreeMap<&str, CrateResult>) -> Option<anyhow::Error> {
        let finished = Mutex::new(Vec::new());
        let jobs = self.options.jobs.min(self.plan.to_upload().count()).max(1);
        std::thread::scope(|scope| {
            for slot in 0..jobs {
                let (uploads, finished) = (&self, &finished);
                scope.spawn(move || {
                    while let Some(krate) = uploads.next_ready() {
                        let started = Instant::now();
                        let result = uploads.publish(slot, krate);
                        let seconds = started.elapsed().as_secs_f64();
                        let status = uploads.finish(krate, result, seconds);
                        lock(finished).push((krate.name.as_str(), status, seconds));
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

    /// The first crate in plan order whose dependencies are all done; `None` once the
    /// run stopped or nothing is left that could become ready.
    fn next_ready(&self) -> Option<&'a Crate> {
        let mut board = lock(&self.board);
        loop {
            if board.error.is_some() {
                return None;
            }
            let ready = self.plan.crates.iter().find(|c| {
                board.progress[c.name.as_str()] == Progress::Waiting
                    && c.after.iter().all(|d| board.progress.get(d.as_str()) == Some(&Progress::Done))
            });
            if let Some(krate) = ready {
                board.progress.insert(krate.name.as_str(), Progress::Running);
                return Some(krate);
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
                self.out.status("Skipped", format!("{what}: already on {}", self.plan.registry.display()));
                Status::Skipped
            }
            Ok(status) => {
                self.out.status("Published", format!("{what} in {seconds:.1}s"));
                status
            }
            Err(err) => {
                let mut board = lock(&self.board);
                board.error.get_or_insert(err);
                Status::Failed
            }
        };
        let mut board = lock(&self.board);
        board.progress.insert(krate.name.as_str(), Progress::Done);
        self.changed.notify_all();
        status
    }

    fn publish(&self, slot: usize, krate: &Crate) -> Result<Status> {
        let ours = &self.checksums[&krate.name];
        // The registry decides, right before the upload: an earlier run, or one going on
        // at the same time, may have published this version since the plan was made.
        if let Some(entry) = self.index.find(&krate.name, &krate.version)? {
            self.compare(krate, &entry, ours)?;
            return Ok(Status::Skipped);
        }
        let pause = self.pacer.reserve(krate.state == State::NewCrate);
        if !pause.is_zero() {
            let why = format!("{} v{}: pacing uploads at {}", krate.name, krate.version, self.options.rate_limit);
            countdown(self.out, &why, pause);
        }
        self.upload(slot, krate)?;
        self.wait_until_visible(krate, ours)?;
        Ok(Status::Published)
    }

    /// `cargo publish`, tried again on server errors, dropped connections and 429s.
    fn upload(&self, slot: usize, krate: &Crate) -> Result<()> {
        let what = format!("{} v{}", krate.name, krate.version);
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), self.options.retries);
        let mut rate_limited = 0;
        loop {
            self.out.status("Uploading", &what);
            let output = self.cargo_publish(slot, krate)?;
            if output.status.success() {
                return Ok(());
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            match retry::classify(&stderr, SystemTime::now()) {
                // Ours from an earlier attempt whose answer was lost, or someone else's:
                // the checksum in the index tells.
                Failure::AlreadyExists => return Ok(()),
                Failure::RateLimited(wait) if rate_limited < MAX_RATE_LIMITED => {
                    rate_limited += 1;
                    // A second past the registry's time, so the retry lands after it.
                    let wait = wait.unwrap_or(DEFAULT_RATE_LIMIT_WAIT) + Duration::from_secs(1);
                    countdown(self.out, &format!("{what}: rate limited by {}", self.plan.registry.display()), wait);
                }
                Failure::Transient => {
                    // The upload may have gone through before the connection dropped.
                    if self.index.find(&krate.name, &krate.version)?.is_some() {
                        return Ok(());
                    }
                    let Some(delay) = backoff.next_delay() else {
                        bail!(cargo_failed(&what, &stderr, "and again after every retry"));
                    };
                    let reason = cargo_reason(&stderr);
                    self.out.status("Retrying", format!("{what} in {:.1}s after: {reason}", delay.as_secs_f64()));
                    std::thread::sleep(delay);
                }
                Failure::RateLimited(_) | Failure::Fatal => bail!(cargo_failed(&what, &stderr, "")),
            }
        }
    }

    /// Runs `cargo publish --no-verify` for one crate (the preflight verified it) with its
    /// own target dir per slot: cargo holds a lock in the target dir from packaging until
    /// the end of its own index wait, which would serialise parallel uploads.
    fn cargo_publish(&self, slot: usize, krate: &Crate) -> Result<std::process::Output> {
        let sh = Shell::new()?;
        sh.change_dir(&self.root);
        let cargo = cargo::bin();
        let name = &krate.name;
        let registry_args = registry_args(self.plan);
        let target_dir = self.target_dir.join("xtask-release").join(format!("publish-{slot}"));
        let output = cmd!(sh, "{cargo} publish --no-verify -p {name} {registry_args...} --target-dir {target_dir}")
            .quiet()
            .ignore_status()
            .output()
            .with_context(|| format!("cannot run cargo publish for `{name}`"))?;
        if self.out.github() {
            let _print = lock(&self.print);
            let _group = self.out.group(format!("cargo publish -p {name}"));
            println!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        }
        Ok(output)
    }

    /// Polls the index, sooner at first, until the version shows with our checksum.
    fn wait_until_visible(&self, krate: &Crate, ours: &str) -> Result<()> {
        let timeout = self.options.index_timeout;
        let deadline = Instant::now() + timeout;
        let mut interval = Duration::from_millis(100);
        loop {
            if let Some(entry) = self.index.find(&krate.name, &krate.version)? {
                return self.compare(krate, &entry, ours);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "`{}` v{} was uploaded but {} did not list it within {}s; run the same command again once \
                     it shows (or raise `index-timeout` in [workspace.metadata.release.publish])",
                    krate.name,
                    krate.version,
                    self.index.file_url(&krate.name),
                    timeout.as_secs()
                );
            }
            std::thread::sleep(interval.min(left));
            interval = (interval * 3 / 2).min(Duration::from_secs(2));
        }
    }

    fn compare(&self, krate: &Crate, entry: &Entry, ours: &str) -> Result<()> {
        if entry.cksum == ours {
            return Ok(());
        }
        Err(anyhow!(different_content(krate, self.plan, &entry.cksum, ours)))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking upload thread must not hide the others' results.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Cargo's own error, from its `error:` line on (the progress lines before it say nothing).
fn cargo_failed(what: &str, stderr: &str, again: &str) -> String {
    let error = stderr.find("error:").map_or(stderr, |at| &stderr[at..]).trim_end();
    format!("cannot publish {what}: cargo publish failed{}{again}:\n{error}", if again.is_empty() { "" } else { " " })
}

/// The first line of cargo's cause, for a retry message.
fn cargo_reason(stderr: &str) -> &str {
    let cause = stderr.split_once("Caused by:").map_or(stderr, |(_, rest)| rest);
    cause.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("unknown error")
}

/// Waits `total`, saying so every few seconds on stderr, so a long wait in CI does not
/// look like a hang.
fn countdown(out: Output, why: &str, total: Duration) {
    let until = Instant::now() + total;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        out.status("Waiting", format!("{why}; {}s left", left.as_secs_f64().ceil()));
        std::thread::sleep(left.min(Duration::from_secs(5)));
    }
}
