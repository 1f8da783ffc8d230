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

use crate::ops::redact::redact;
use crate::ops::sha;

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
    /// A trail that no longer ends where its `.head` says refuses the step before it runs.
    pub fn step<T>(&self, step: &str, f: impl FnOnce(&mut Produced) -> Result<T>) -> Result<T> {
        writable(&self.path)?;
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
        let (seq, prev) = writable(&self.path)?;
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
pub(crate) fn head(path: &Utf8Path) -> Result<(u64, String)> {
    let text = match crate::ops::fs::read_optional(path, crate::ops::fs::Cap::AUDIT_LOG) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok((0, GENESIS.into())),
        Err(err) => return Err(err).with_context(|| format!("cannot read the audit log {path}")),
    };
    match entry_lines(&text).last() {
        None => Ok((0, GENESIS.into())),
        Some((_, last)) => {
            let entry: Entry = serde_json::from_str(last).with_context(|| {
                format!("the last line of the audit log {path} is not an audit entry; run `audit --verify`")
            })?;
            Ok((entry.seq, line_hash(last)))
        }
    }
}

/// The lines that hold entries, numbered as in the file (from 1), without their line ends.
/// What carries no entry is not part of the record: CRLF line ends (a Windows checkout or
/// editor), blank lines and a missing final newline read as the same trail, so that the
/// same entries always verify alike. `verify` hashes each line without its line end.
fn entry_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| (n + 1, line))
}

/// The log's head, when the `.head` file names it (a new log has neither): a log cut
/// short, emptied or added to since, or whose `.head` is gone, is not written to, so that
/// the next line does not cover up what `audit --verify` would show.
fn writable(path: &Utf8Path) -> Result<(u64, String)> {
    let (seq, hash) = head(path)?;
    match read_head(path)? {
        Some((named, recorded)) if (named, &recorded) != (seq, &hash) => bail!(
            "the audit log {path} does not end where {} says (entry {named}; the log's last is entry {seq}): \
             it was cut short, emptied or added to. Nothing was done. See what changed with `audit --verify`; \
             to start a new trail, move the log and its .head aside, and keep them as the record",
            head_path(path)
        ),
        None if seq > 0 => bail!(
            "the audit log {path} has no {} beside it, so whether lines were cut off its end cannot be told. \
             Nothing was done. To start a new trail, move the log aside, and keep it as the record",
            head_path(path)
        ),
        _ => Ok((seq, hash)),
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
        .read(true)
        .open(path)
        .with_context(|| format!("cannot open the audit log {path}"))?;
    // A log whose last line lost its newline (an editor, a copy) gets it back first, so
    // the new line does not run on into it.
    let start = if ends_unterminated(&mut file)? { "\n" } else { "" };
    file.write_all(format!("{start}{line}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot append to the audit log {path}"))?;
    let entry: Entry = serde_json::from_str(line)?;
    crate::ops::fs::write_atomic(&head_path(path), format!("{} {}\n", entry.seq, line_hash(line)).as_bytes())
}

/// Whether the file is not empty and its last byte is not a newline.
fn ends_unterminated(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
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
    Ok(numbered(path)?.into_iter().map(|l| (l.text, l.entry)).collect())
}

/// One line of the log: where it is in the file, as written, and parsed.
struct Line {
    number: usize,
    text: String,
    entry: Entry,
}

fn numbered(path: &Utf8Path) -> Result<Vec<Line>> {
    let text = crate::ops::fs::read_capped(path, crate::ops::fs::Cap::AUDIT_LOG)
        .with_context(|| format!("cannot read the audit log {path}; has any command run with --execute here?"))?;
    entry_lines(&text)
        .map(|(number, line)| {
            let entry = serde_json::from_str(line)
                .with_context(|| format!("line {number} of the audit log {path} is not an audit entry"))?;
            Ok(Line { number, text: line.to_string(), entry })
        })
        .collect()
}

/// What the `.head` file says: the last entry's number and its line's hash; `None` when
/// there is no `.head` file.
fn read_head(path: &Utf8Path) -> Result<Option<(u64, String)>> {
    let head = head_path(path);
    let Some(text) = crate::ops::fs::read_optional(&head, crate::ops::fs::Cap::TEXT)? else { return Ok(None) };
    let mut words = text.split_whitespace();
    match (words.next().and_then(|n| n.parse().ok()), words.next(), words.next()) {
        (Some(seq), Some(hash), None) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some((seq, hash.to_ascii_lowercase())))
        }
        _ => bail!(
            "the audit log {path} cannot be verified: {head} does not hold `<entry> <sha256>` \
             (it holds {:?}); it was edited, so the log can no longer be trusted as a record",
            text.trim()
        ),
    }
}

/// Checks the chain: each line's `prev` is the hash of the line before and its `seq`
/// the next number, and the `.head` file names the last line: a log cut short or emptied,
/// a line added after the head, or a missing `.head` fail. Fails naming the first line
/// that is not as written.
pub fn verify(path: &Utf8Path) -> Result<usize> {
    let lines = numbered(path)?;
    let broken = |what: String| {
        anyhow::anyhow!("the audit log {path} is broken: {what}; it can no longer be trusted as a record")
    };
    let mut prev = GENESIS.to_string();
    let mut seq = 0;
    let mut before = None;
    for line in &lines {
        let (at, entry) = (line.number, &line.entry);
        if entry.prev != prev {
            // The line before was changed when the numbering runs on; else lines are missing.
            let what = match before {
                Some(edited) if entry.seq == seq + 1 => {
                    format!("line {edited} was edited (line {at} no longer matches it)")
                }
                _ => format!("line {at} does not follow the line before it: lines were removed or inserted before it"),
            };
            return Err(broken(what));
        }
        if entry.seq != seq + 1 {
            return Err(broken(format!("line {at} is entry {} but {} was expected", entry.seq, seq + 1)));
        }
        prev = line_hash(&line.text);
        seq = entry.seq;
        before = Some(at);
    }
    let head = head_path(path);
    let Some((named, hash)) = read_head(path)? else {
        return Err(broken(format!(
            "{head} is missing, so lines cut off its end cannot be told from lines never written"
        )));
    };
    if named > seq {
        let what = match lines.last() {
            None => format!("it holds no entries but {head} names entry {named}: it was emptied"),
            Some(_) => format!(
                "it ends at entry {seq} but {head} names entry {named}: {} removed from its end",
                match named - seq {
                    1 => format!("entry {named} was"),
                    _ => format!("entries {} to {named} were", seq + 1),
                }
            ),
        };
        return Err(broken(what));
    }
    // The chain held, so entry `named` is line `named` of the entries.
    let (at, written) = match named {
        0 => (0, GENESIS.to_string()),
        n => lines.get(n as usize - 1).map(|l| (l.number, line_hash(&l.text))).unwrap_or_default(),
    };
    if written != hash {
        return Err(broken(match named {
            0 => format!("{head} names entry 0 but not the empty log's hash"),
            n if n == seq => {
                format!("its last line, line {at} (entry {n}), was edited: it is not what {head} recorded")
            }
            n => format!(
                "line {at} (entry {n}, the last one {head} names) is not what was recorded: the lines up to it \
                 were rewritten"
            ),
        }));
    }
    if named < seq {
        let (first, last) = (lines[named as usize].number, lines.last().map_or(0, |l| l.number));
        let added = match seq - named {
            1 => format!("line {first} (entry {seq}) was"),
            _ => format!("lines {first} to {last} (entries {} to {seq}) were", named + 1),
        };
        return Err(broken(format!(
            "{added} appended after entry {named}, the last one {head} names: xtask-release moves the head with \
             every line it writes"
        )));
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
        assert!(err.contains("names entry 4: entry 4 was removed from its end"), "{err}");
    }

    /// A trail of `n` steps, and its log's text.
    fn steps(dir: &Utf8Path, n: usize) -> (Utf8PathBuf, String) {
        let trail = trail(dir);
        for i in 0..n {
            trail.step(&format!("step {i}"), |_| Ok(())).unwrap();
        }
        let path = dir.join("audit.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    }

    #[test]
    fn the_head_catches_a_log_emptied_cut_short_or_added_to() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(tmp.path()).unwrap();
        let (path, original) = steps(dir, 3);
        let head = head_path(&path);
        let lines: Vec<&str> = original.lines().collect();
        let fails = |text: &str, expected: &str| {
            std::fs::write(&path, text).unwrap();
            let err = verify(&path).unwrap_err().to_string();
            assert!(err.contains(expected) && err.contains("can no longer be trusted"), "{expected}: {err}");
        };
        fails("", "it holds no entries but");
        fails("", &format!("{head} names entry 3: it was emptied"));
        fails(&format!("{}\n", lines[0]), "ends at entry 1 but");
        fails(&format!("{}\n", lines[0]), "entries 2 to 3 were removed from its end");
        // The last line edited, its hash and the chain still well-formed.
        fails(&original.replace("step 2", "step X"), "its last line, line 3 (entry 3), was edited");

        // A line written after the head: the log runs on past what `.head` names.
        let saved_head = std::fs::read_to_string(&head).unwrap();
        std::fs::write(&path, &original).unwrap();
        trail(dir).step("step 3", |_| Ok(())).unwrap();
        let longer = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&head, &saved_head).unwrap();
        fails(&longer, "line 4 (entry 4) was appended after entry 3, the last one");

        // The whole chain rewritten up to the head: the head's hash no longer matches.
        std::fs::write(&head, saved_head.replacen("3 ", "2 ", 1)).unwrap();
        fails(&original, "line 2 (entry 2, the last one");

        // No head at all is said so, not "the last entry is ``".
        std::fs::remove_file(&head).unwrap();
        fails(&original, &format!("{head} is missing"));
        fails("", &format!("{head} is missing"));
        std::fs::write(&head, "17\n").unwrap();
        fails(&original, "does not hold `<entry> <sha256>`");
    }

    /// A log that was emptied (or cut short) is not written to, so the next line cannot
    /// cover up what was lost; the step does not run.
    #[test]
    fn a_log_cut_short_refuses_the_next_step() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(tmp.path()).unwrap();
        let (path, original) = steps(dir, 3);
        for text in [String::new(), original.lines().next().unwrap().to_string() + "\n"] {
            std::fs::write(&path, &text).unwrap();
            let mut ran = false;
            let err = trail(dir)
                .step("next", |_| {
                    ran = true;
                    Ok(())
                })
                .unwrap_err()
                .to_string();
            assert!(!ran && err.contains("does not end where") && err.contains("Nothing was done"), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            assert!(verify(&path).is_err());
        }
        std::fs::write(&path, &original).unwrap();
        std::fs::remove_file(head_path(&path)).unwrap();
        let err = trail(dir).step("next", |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("has no") && err.contains(".head beside it"), "{err}");
    }

    /// CRLF line ends, blank lines and a missing final newline carry no entry: the same
    /// trail verifies, and a step appended to it lands on its own line.
    #[test]
    fn line_ends_and_blank_lines_are_not_part_of_the_record() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(tmp.path()).unwrap();
        let (path, original) = steps(dir, 3);
        let lines: Vec<&str> = original.lines().collect();
        let variants = [
            ("CRLF", original.replace('\n', "\r\n")),
            ("blank lines", format!("\n{}\n\n{}\n  \n{}\n\n", lines[0], lines[1], lines[2])),
            ("no final newline", original.trim_end().to_string()),
            ("CRLF, no final newline", original.replace('\n', "\r\n").trim_end_matches('\n').to_string()),
        ];
        for (what, text) in variants {
            std::fs::write(&path, &text).unwrap();
            assert_eq!(verify(&path).unwrap(), 3, "{what}");
            trail(dir).step("one more", |_| Ok(())).unwrap();
            assert_eq!(verify(&path).unwrap(), 4, "{what}: {}", std::fs::read_to_string(&path).unwrap());
            std::fs::write(&path, &original).unwrap();
            std::fs::write(head_path(&path), head_line(lines[2])).unwrap();
        }
        // Errors name the line as numbered in the file, blank lines counted.
        std::fs::write(&path, format!("{}\n\n{}\n{}\n", lines[0], lines[1].replace("step 1", "step X"), lines[2]))
            .unwrap();
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("line 3 was edited (line 4 no longer matches it)"), "{err}");
    }

    fn head_line(line: &str) -> String {
        let entry: Entry = serde_json::from_str(line).unwrap();
        format!("{} {}\n", entry.seq, line_hash(line))
    }
}
