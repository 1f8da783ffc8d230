//! The audit trail of executed steps (`trail`) and the `audit` command that prints it
//! as a table or checks that no line was edited or removed.

pub mod trail;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::context::Ctx;
use crate::workspace::Workspace;
pub use trail::{Entry, Outcome, Produced, Run, Trail};

/// Where this workspace's audit log is: `audit-log` from the workspace root, else in
/// cargo's target directory (`target/xtask-release/audit.jsonl`), which is ignored by
/// git, so the log never makes the work tree dirty for the next step's checks.
pub fn log_path(ws: &Workspace) -> Utf8PathBuf {
    match &ws.config.audit_log {
        Some(configured) => ws.root.join(configured),
        None => ws.target_dir.join("xtask-release/audit.jsonl"),
    }
}

/// A trail for one `--execute` run in `ws`, for `version` when it has one.
pub fn trail(ctx: &Ctx, ws: &Workspace, version: Option<&semver::Version>) -> Trail {
    let mut run = Run::from_env(&ctx.sh);
    run.version = version.map(ToString::to_string);
    Trail::new(log_path(ws), run)
}

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
    entries: Vec<&'a Entry>,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let path = match &self.log {
            Some(path) => Utf8PathBuf::from_path_buf(path.clone())
                .map_err(|p| anyhow::anyhow!("{} is not a UTF-8 path", p.display()))?,
            None => log_path(&ctx.workspace()?),
        };
        if self.verify {
            let count = trail::verify(&path)?;
            ctx.out
                .status("Verified", format!("{} in {path}: the chain is intact", crate::output::plural(count, "line")));
        }
        let lines = trail::read(&path).with_context(|| format!("cannot show the audit log {path}"))?;
        let wanted = self.version.as_ref().map(ToString::to_string);
        let entries: Vec<&Entry> =
            lines.iter().map(|(_, e)| e).filter(|e| wanted.is_none() || e.version == wanted).collect();
        if ctx.json() {
            let verified = self.verify.then_some(true);
            return ctx.out.json(&Report { format_version: 1, log: &path, verified, entries });
        }
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
