//! `audit`: arguments, and the audit trail as a table or JSON.

use std::path::PathBuf;

use anyhow::Result;
use cargo_metadata::camino::Utf8Path;
use serde::Serialize;

use super::Cx;
use crate::audit::{self, Entry, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the entries of this version
    #[arg(long)]
    pub version: Option<semver::Version>,
    /// Check that every line is intact: none edited, removed or inserted
    #[arg(long)]
    pub verify: bool,
    /// The log to read [default: `audit-log` in the config, else target/xtask-release/audit.jsonl]
    #[arg(long, value_name = "PATH")]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    format_version: u32,
    log: &'a Utf8Path,
    /// `true` after `--verify` found the chain intact; absent without `--verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    /// What the trail was compared with besides itself (tags' annotations), with `--verify`.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    anchors: &'a [String],
    entries: &'a [Entry],
}

impl Args {
    pub fn options(&self) -> Options {
        Options { version: self.version.clone(), verify: self.verify, log: self.log.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        // A log given by path is read without a workspace around it.
        let ws = if self.log.is_none() { Some(cx.ctx.workspace()?) } else { None };
        let report = audit::read(ws.as_ref(), &self.options())?;
        let path = &report.log;
        if let Some(count) = report.verified {
            cx.ctx
                .out
                .status("Verified", format!("{} in {path}: the chain is intact", crate::output::plural(count, "line")));
            for anchor in &report.anchors {
                cx.ctx.out.status("Anchored", anchor);
            }
            for why in &report.not_compared {
                cx.ctx.out.note(why);
            }
        }
        if cx.json() {
            let verified = report.verified.map(|_| true);
            return cx.print_json(&Report {
                format_version: 1,
                log: path,
                verified,
                anchors: &report.anchors,
                entries: &report.entries,
            });
        }
        let entries: Vec<&Entry> = report.entries.iter().collect();
        crate::out!("{}", table(&entries));
        Ok(())
    }
}

/// The entries as an aligned table, one row per step.
fn table(entries: &[&Entry]) -> String {
    let mut rows = vec![["#", "time", "actor", "version", "step", "outcome", "ms", "produced"].map(String::from)];
    for e in entries {
        let mut outcome = format!("{:?}", e.outcome).to_lowercase();
        if let Some(error) = &e.error {
            outcome = format!("{outcome}: {}", error.lines().next().unwrap_or_default());
        }
        let produced: Vec<String> = e.produced.iter().map(|(k, v)| format!("{k}={v}")).collect();
        rows.push([
            e.seq.to_string(),
            e.time.clone(),
            e.actor.clone(),
            e.version.clone().unwrap_or_else(|| "-".into()),
            e.step.clone(),
            outcome,
            e.duration_ms.to_string(),
            produced.join(" "),
        ]);
    }
    let widths: Vec<usize> = (0..8).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use cargo_metadata::camino::Utf8PathBuf;

    use super::*;
    use crate::audit::{Run, Trail};

    /// A three-step log for 0.2.0, the last step failed, and one step for 0.3.0.
    fn write_log(path: &Utf8Path) {
        let run = |version: &str| Run {
            actor: "Test Author".into(),
            host: "ci".into(),
            command: "xtask-release tag --execute".into(),
            version: Some(version.into()),
            ..Run::default()
        };
        let trail = Trail::new(path.to_path_buf(), run("0.2.0"));
        trail.step("bump", |_| Ok(())).unwrap();
        trail
            .step("tag v0.2.0", |p| {
                p.add("tag v0.2.0", "0123abcd");
                Ok(())
            })
            .unwrap();
        let _ = trail.step("push", |_| -> Result<()> { anyhow::bail!("remote refused") });
        Trail::new(path.to_path_buf(), run("0.3.0")).step("bump", |_| Ok(())).unwrap();
    }

    #[test]
    fn prints_filters_and_verifies_the_trail() {
        let tmp = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(tmp.path().join("audit.jsonl")).unwrap();
        write_log(&path);
        let read = |options: Options| audit::read(None, &options.log(path.as_std_path()));

        let report = read(Options::new().verify(true)).unwrap();
        assert_eq!(report.verified, Some(4));
        let text = table(&report.entries.iter().collect::<Vec<_>>());
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 5, "{text}");
        assert!(rows[2].contains("tag v0.2.0") && rows[2].contains("tag v0.2.0=0123abcd"), "{text}");
        assert!(rows[3].contains("failed: remote refused"), "{text}");

        let report = read(Options::new().version("0.2.0".parse().unwrap())).unwrap();
        let steps: Vec<&str> = report.entries.iter().map(|e| e.step.as_str()).collect();
        assert_eq!(steps, ["bump", "tag v0.2.0", "push"]);
        assert_eq!(report.entries[2].outcome, audit::Outcome::Failed);

        // An edited line: the next line no longer carries its hash.
        let original = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, original.replace("0123abcd", "fedcba98")).unwrap();
        let err = read(Options::new().verify(true)).unwrap_err();
        assert!(err.to_string().contains("line 2 was edited"), "{err:#}");

        // A removed line.
        let mut lines: Vec<&str> = original.lines().collect();
        lines.remove(2);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let err = read(Options::new().verify(true)).unwrap_err();
        assert!(err.to_string().contains("line 3 does not follow"), "{err:#}");
    }
}
