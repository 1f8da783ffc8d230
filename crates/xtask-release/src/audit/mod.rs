//! The audit trail of executed steps (`trail`) and the `audit` command that prints it
//! as a table or checks that no line was edited or removed.

pub(crate) mod anchor;
pub(crate) mod trail;

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;

use xshell::Shell;

use crate::workspace::Workspace;
pub use trail::{Entry, Outcome};
pub(crate) use trail::{Produced, Run, Trail};

/// Where this workspace's audit log is: `audit-log` from the workspace root, else in
/// cargo's target directory (`target/xtask-release/audit.jsonl`), which is ignored by
/// git, so the log never makes the work tree dirty for the next step's checks.
pub(crate) fn log_path(ws: &Workspace) -> Utf8PathBuf {
    match &ws.config.audit_log {
        Some(configured) => ws.root.join(configured),
        None => ws.target_dir.join("xtask-release/audit.jsonl"),
    }
}

/// The line that records this workspace's trail's head (`audit-head: N sha256:...`) where
/// the operator does not control it locally, the tag's annotation and the release notes;
/// `None` while the trail has no entry.
pub(crate) fn head_line(ws: &Workspace) -> Option<String> {
    anchor::Anchor::of_log(&log_path(ws)).map(|head| head.line())
}

/// A trail for one `--execute` run in `ws`, for `version` when it has one.
pub(crate) fn trail(sh: &Shell, ws: &Workspace, version: Option<&semver::Version>) -> Trail {
    let mut run = Run::from_env(sh);
    run.version = version.map(ToString::to_string);
    Trail::new(log_path(ws), run)
}

/// Which entries to read, from which log.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Only the entries of this version.
    pub version: Option<semver::Version>,
    /// Check first that every line is intact: none edited, removed or inserted.
    pub verify: bool,
    /// The log to read [default: `audit-log` in the config, else target/xtask-release/audit.jsonl].
    pub log: Option<PathBuf>,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn version(mut self, version: semver::Version) -> Options {
        self.version = Some(version);
        self
    }

    pub fn verify(mut self, verify: bool) -> Options {
        self.verify = verify;
        self
    }

    pub fn log(mut self, path: impl Into<PathBuf>) -> Options {
        self.log = Some(path.into());
        self
    }
}

/// The entries read, and how many lines verified when asked to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    pub log: Utf8PathBuf,
    /// The number of lines whose chain verified, with `verify`.
    pub verified: Option<usize>,
    /// With `verify`: each record of the trail's head kept elsewhere (a tag's annotation,
    /// here and on the remote) that the trail was compared with, and matched.
    pub anchors: Vec<String>,
    /// With `verify`: each such record that could not be compared, and why.
    pub not_compared: Vec<String>,
    pub entries: Vec<Entry>,
}

/// Reads (and with `verify` first checks) the audit log: `options.log`, else the log of
/// `ws` (so a log given by path needs no workspace). Changes nothing.
pub fn read(ws: Option<&Workspace>, options: &Options) -> Result<Report> {
    let log = match (&options.log, ws) {
        (Some(path), _) => Utf8PathBuf::from_path_buf(path.clone())
            .map_err(|p| anyhow::anyhow!("{} is not a UTF-8 path", p.display()))?,
        (None, Some(ws)) => log_path(ws),
        (None, None) => bail!("no audit log to read: give its path (Options::log) or the workspace it belongs to"),
    };
    let verified = if options.verify { Some(trail::verify(&log)?) } else { None };
    let lines = trail::read(&log).with_context(|| format!("cannot show the audit log {log}"))?;
    let (anchors, not_compared) = match verified {
        // The tags are looked up in the workspace's repository, else the current directory's.
        Some(_) => {
            let sh = Shell::new()?;
            if let Some(ws) = ws {
                sh.change_dir(&ws.root);
            }
            let remote = ws.map_or("origin", |ws| ws.config.remote.as_str());
            anchor::check_tags(&sh, remote, &log, &lines)?
        }
        None => (Vec::new(), Vec::new()),
    };
    let wanted = options.version.as_ref().map(ToString::to_string);
    let entries = lines.into_iter().map(|(_, e)| e).filter(|e| wanted.is_none() || e.version == wanted).collect();
    Ok(Report { log, verified, anchors, not_compared, entries })
}
