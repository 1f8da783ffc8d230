//! The append-only audit log: one JSON line per executed step, each carrying the sha256
//! of the line before it, so that an edited or removed line breaks the chain. A `.head`
//! file beside the log holds the last line's number and hash, so that cutting lines off
//! the end shows too.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::dist::checksum::sha;
use crate::ops::redact::redact;

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Skipped,
    Failed,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1 for the first line of the log.
    pub seq: u64,
    /// UTC, RFC 3339.
    pub time: String,
    pub actor: String,
    pub host: String,
    /// The command line, redacted.
    pub command: String,
    pub version: Option<String>,
    pub commit: Option<String>,
    pub plan_digest: Option<String>,
    /// The digest given with `--approve`, when one was.
    pub approved: Option<String>,
    pub step: String,
    pub outcome: Outcome,
    pub error: Option<String>,
    /// What the step made: crate checksums, asset sha256s, tag object, release URL.
    pub produced: BTreeMap<String, String>,
    pub duration_ms: u64,
    /// The sha256 of the line before; 64 zeros (`GENESIS`) for the first.
    pub prev: String,
}

/// What every line of one command's run shares.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub actor: String,
    pub host: String,
    pub command: String,
    pub version: Option<String>,
    pub commit: Option<String>,
    pub plan_digest: Option<String>,
    pub approved: Option<String>,
}

impl Run {
    /// Who, where and what, read from the environment and git in `sh`'s directory.
    pub fn from_env(sh: &Shell) -> Run {
        let args: Vec<String> = std::env::args().collect();
        Run {
            actor: actor(sh),
            host: host(),
            command: redact(&args.iter().map(|a| crate::context::shell_quote(a)).collect::<Vec<_>>().join(" ")),
            version: None,
            commit: cmd!(sh, "git rev-parse --verify --quiet HEAD").quiet().ignore_stderr().read().ok(),
            plan_digest: None,
            approved: None,
        }
    }
}

/// The log of one run: where it goes and what every line shares.
pub struct Trail {
    path: Utf8PathBuf,
    run: Run,
}

impl Trail {
    pub fn new(path: Utf8PathBuf, run: Run) -> Trail {
        Trail { path, run }
    }

    /// Every line carries the digest of the plan executed, and the approval when one was given.
    pub fn with_plan(mut self, digest: String, approved: Option<String>) -> Trail {
        self.run.plan_digest = Some(digest);
        self.run.approved = approved;
        self
    }

    /// Runs one step and records it: `ok` with what it produced, or `failed` with the
    /// error, which is passed on. A step that reports `Skipped` is recorded so.
    pub fn step<T>(&self, step: &str, f: impl FnOnce(&mut Produced) -> Result<T>) -> Result<T> {
        let start = Instant::now();
        let mut produced = Produced::default();
        let result = f(&mut produced);
        let (outcome, error) = match &result {
            Ok(_) if produced.skipped => (Outcome::Skipped, None),
            Ok(_) => (Outcome::Ok, None),
            Err(err) => (Outcome::Failed, Some(format!("{err:#}"))),
        };
        self.record(step, outcome, error.as_deref(), &produced.items, start.elapsed())?;
        result
    }

    /// Appends one line.
    pub fn record(
        &self,
        step: &str,
        outcome: Outcome,
        error: Option<&str>,
        produced: &BTreeMap<String, String>,
        duration: Duration,
    ) -> Result<()> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let (seq, prev) = head(&self.path)?;
        let run = &self.run;
        let entry = Entry {
            seq: seq + 1,
            time: crate::ops::date::iso_datetime(now),
            actor: redact(&run.actor),
            host: redact(&run.host),
            command: redact(&run.command),
            version: run.version.clone(),
            commit: run.commit.clone(),
            plan_digest: run.plan_digest.clone(),
            approved: run.approved.clone(),
            step: redact(step),
            outcome,
            error: error.map(redact),
            produced: produced.iter().map(|(k, v)| (redact(k), redact(v))).collect(),
            duration_ms: duration.as_millis().min(u128::from(u64::MAX)) as u64,
            prev,
        };
        let line = serde_json::to_string(&entry)?;
        append(&self.path, &line)?;
        summary(&entry);
        Ok(())
    }
}

/// What a step made, and whether it found its work already done.
#[derive(Debug, Default)]
pub struct Produced {
    pub items: BTreeMap<String, String>,
    pub skipped: bool,
}

impl Produced {
    pub fn add(&mut self, what: impl Into<String>, value: impl Into<String>) {
        self.items.insert(what.into(), value.into());
    }

    pub fn skip(&mut self) {
        self.skipped = true;
    }
}

/// The last line's number and hash, read from the log itself (the `.head` file is written
/// beside it for `verify`, which compares the two).
fn head(path: &Utf8Path) -> Result<(u64, String)> {
    let text = match crate::ops::fs::read_optional(path, crate::ops::fs::Cap::AUDIT_LOG) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok((0, GENESIS.into())),
        Err(err) => return Err(err).with_context(|| format!("cannot read the audit log {path}")),
    };
    match text.lines().rfind(|l| !l.trim().is_empty()) {
        None => Ok((0, GENESIS.into())),
        Some(last) => {
            let entry: Entry = serde_json::from_str(last).with_context(|| {
                format!("the last line of the audit log {path} is not an audit entry; run `audit --verify`")
            })?;
            Ok((entry.seq, line_hash(last)))
        }
    }
}

pub fn line_hash(line: &str) -> String {
    sha::hash_bytes(line.as_bytes()).to_string()
}

fn head_path(path: &Utf8Path) -> Utf8PathBuf {
    Utf8PathBuf::from(format!("{path}.head"))
}

/// Appends `line` and moves the `.head` file on, both flushed to disk before the step
/// is reported done.
fn append(path: &Utf8Path, line: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the directory of the audit log {path}"))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the audit log {path}"))?;
    file.write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot append to the audit log {path}"))?;
    let entry: Entry = serde_json::from_str(line)?;
    crate::ops::fs::write_atomic(&head_path(path), format!("{} {}\n", entry.seq, line_hash(line)).as_bytes())
}

/// A row of the step summary in GitHub Actions, under a header written once per run.
/// The summary is a courtesy: the log itself was written, so a failure here is ignored.
fn summary(entry: &Entry) {
    static HEADER: AtomicBool = AtomicBool::new(false);
    if crate::actions::env_file("GITHUB_STEP_SUMMARY").is_none() {
        return;
    }
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut text = String::new();
    if !HEADER.swap(true, Ordering::SeqCst) {
        text.push_str("\n### Audit trail\n\n| time | step | outcome | produced |\n| --- | --- | --- | --- |\n");
    }
    let mut outcome = format!("{:?}", entry.outcome).to_lowercase();
    if let Some(error) = &entry.error {
        outcome = format!("{outcome}: {error}");
    }
    let produced: Vec<String> = entry.produced.iter().map(|(k, v)| format!("{k} `{v}`")).collect();
    text.push_str(&format!(
        "| {} | {} | {} | {} |\n",
        entry.time,
        cell(&entry.step),
        cell(&outcome),
        cell(&produced.join(", "))
    ));
    let _ = crate::actions::summary(&text);
}

/// Every line of the log, parsed; an unreadable line is an error naming it.
pub fn read(path: &Utf8Path) -> Result<Vec<(String, Entry)>> {
    let text = crate::ops::fs::read_capped(path, crate::ops::fs::Cap::AUDIT_LOG)
        .with_context(|| format!("cannot read the audit log {path}; has any command run with --execute here?"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            let entry = serde_json::from_str(line)
                .with_context(|| format!("line {} of the audit log {path} is not an audit entry", n + 1))?;
            Ok((line.to_string(), entry))
        })
        .collect()
}

/// Checks the chain: each line's `prev` is the hash of the line before and its `seq`
/// the next number, and the `.head` file names the last line. Fails naming the first
/// line that is not as written.
pub fn verify(path: &Utf8Path) -> Result<usize> {
    let lines = read(path)?;
    let mut prev = GENESIS.to_string();
    let mut seq = 0;
    for (n, (line, entry)) in lines.iter().enumerate() {
        let at = n + 1;
        if entry.prev != prev {
            // The line before was changed when the numbering runs on; else lines are missing.
            let what = if entry.seq == seq + 1 && at > 1 {
                format!("line {} was edited (line {at} no longer matches it)", at - 1)
            } else {
                format!("line {at} does not follow the line before it: lines were removed or inserted before it")
            };
            bail!("the audit log {path} is broken: {what}; it can no longer be trusted as a record");
        }
        if entry.seq != seq + 1 {
            bail!("the audit log {path} is broken: line {at} is entry {} but {} was expected", entry.seq, seq + 1);
        }
        prev = line_hash(line);
        seq = entry.seq;
    }
    let head = std::fs::read_to_string(head_path(path)).unwrap_or_default();
    let expected = format!("{seq} {prev}");
    if !lines.is_empty() && head.trim() != expected {
        bail!(
            "the audit log {path} is broken: {} says the last entry is `{}` but the log ends at entry {seq}: \
             its last line was edited or lines were removed from its end",
            head_path(path),
            head.trim()
        );
    }
    Ok(lines.len())
}

/// `GITHUB_ACTOR` in Actions, else the name git signs commits with (`user.name`, or
/// `GIT_AUTHOR_NAME` over it), else the login name.
fn actor(sh: &Shell) -> String {
    let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let git_name = || {
        let ident = cmd!(sh, "git var GIT_AUTHOR_IDENT").quiet().ignore_stderr().read().ok()?;
        let name = ident.split(" <").next()?.trim().to_string();
        (!name.is_empty()).then_some(name)
    };
    env("GITHUB_ACTOR")
        .or_else(git_name)
        .or_else(|| env("USER"))
        .or_else(|| env("USERNAME"))
        .unwrap_or_else(|| "unknown".into())
}

fn host() -> String {
    let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    env("HOSTNAME")
        .or_else(|| env("COMPUTERNAME"))
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()).filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(dir: &Utf8Path) -> Trail {
        let run = Run { actor: "a".into(), host: "h".into(), command: "x --execute".into(), ..Run::default() };
        Trail::new(dir.join("audit.jsonl"), run)
    }

    #[test]
    fn chain_detects_edits_and_removals() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(tmp.path()).unwrap();
        let trail = trail(dir);
        let path = dir.join("audit.jsonl");
        trail
            .step("one", |p| {
                p.add("tag v1", "abc");
                Ok(())
            })
            .unwrap();
        trail
            .step("two", |p| {
                p.skip();
                Ok(())
            })
            .unwrap();
        assert!(trail.step("three", |_| -> Result<()> { bail!("boom") }).is_err());
        trail.step("four", |_| Ok(())).unwrap();
        assert_eq!(verify(&path).unwrap(), 4);
        let lines = read(&path).unwrap();
        let outcomes: Vec<Outcome> = lines.iter().map(|(_, e)| e.outcome).collect();
        assert_eq!(outcomes, [Outcome::Ok, Outcome::Skipped, Outcome::Failed, Outcome::Ok]);
        assert_eq!(lines[2].1.error.as_deref(), Some("boom"));
        assert_eq!(lines[0].1.produced["tag v1"], "abc");

        let original = std::fs::read_to_string(&path).unwrap();
        let write = |text: String| std::fs::write(&path, text).unwrap();
        write(original.replace("\"step\":\"two\"", "\"step\":\"deux\""));
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("line 2 was edited"), "{err}");
        let mut kept: Vec<&str> = original.lines().collect();
        kept.remove(1);
        write(kept.join("\n") + "\n");
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("line 2 does not follow"), "{err}");
        let mut kept: Vec<&str> = original.lines().collect();
        kept.pop();
        write(kept.join("\n") + "\n");
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("lines were removed from its end"), "{err}");
    }
}
