//! `checksum`: arguments, each file's digest (or each finding) as text or JSON, and what
//! a dry run would write.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::Cx;
use crate::dist::checksum::verify::{Finding, Status};
use crate::dist::checksum::{self, Options};
use crate::output::plural;
use crate::report::Reporter as _;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, or directories whose files are hashed (recursively; `.sha256` files,
    /// the sums file, hidden and special files are left out)
    #[arg(required_unless_present = "sums")]
    pub paths: Vec<PathBuf>,
    /// Also write one combined sums file (e.g. dist/SHA256SUMS, inside the directory it
    /// covers); with --verify, check it
    #[arg(long, value_name = "FILE")]
    pub sums: Option<PathBuf>,
    /// Check existing `.sha256` files (or the sums file) instead of writing; never writes
    #[arg(long, conflicts_with = "execute")]
    pub verify: bool,
    /// Write the checksum files (default: print what would be written)
    #[arg(long)]
    pub execute: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        Options { paths: self.paths.clone(), sums: self.sums.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let out = &cx.ctx.out;
        let options = self.options();
        if self.verify {
            return report_findings(cx, &checksum::verify(&options)?);
        }
        let plan = checksum::plan(&options)?;
        for path in &plan.skipped {
            out.note(format!("skipped {} (not a regular file: a FIFO, socket or device)", path.display()));
        }
        let report = plan.written();
        // What is approved: every file's digest and every file written, the sums file too.
        let approved = serde_json::json!({ "files": report, "sums": self.sums });
        // Inside a workspace (as release jobs run it) the plan has a digest, the approval
        // gate applies, and the audit trail records it.
        let ws = cx.ctx.workspace().ok();
        if self.execute {
            match &ws {
                Some(ws) => cx.execute(ws, &approved, None, |produced| {
                    for item in &report {
                        produced.add(item.file.clone(), item.sha256.clone());
                    }
                    checksum::execute(&plan)
                })?,
                None => checksum::execute(&plan)?,
            }
        }
        let digest = match (&ws, self.execute) {
            (Some(ws), false) => Some(cx.print_digest(ws, &approved)?),
            _ => None,
        };
        if cx.json() {
            let would_write: Vec<_> = if self.execute { Vec::new() } else { plan.changed() };
            let mut document =
                serde_json::json!({ "written": self.execute, "files": report, "would_write": would_write });
            if let Some(digest) = digest {
                document["plan_digest"] = digest.into();
            }
            cx.print_json(&document)?;
        } else {
            for item in &report {
                crate::outln!("{}  {}", item.sha256, item.file);
            }
        }
        let changed = plan.changed();
        let unchanged = plan.unchanged();
        let same_note = if unchanged > 0 { format!(" ({unchanged} already up to date)") } else { String::new() };
        if !self.execute {
            if !cx.json() {
                for path in &changed {
                    crate::outln!("would write {}", path.display());
                }
            }
            out.note(format!(
                "dry run: {} to write{same_note}, nothing written; pass --execute to write them",
                plural(changed.len(), "checksum file")
            ));
            return Ok(());
        }
        let sums_note = self.sums.as_ref().map(|s| format!(" and {}", s.display())).unwrap_or_default();
        out.status("Checksummed", format!("{} into .sha256 files{sums_note}{same_note}", plural(report.len(), "file")));
        Ok(())
    }
}

/// Prints the findings and fails naming every file that did not verify.
pub(super) fn report_findings(cx: &Cx, findings: &[Finding]) -> Result<()> {
    let out = &cx.ctx.out;
    let bad: Vec<&Finding> = findings.iter().filter(|f| !f.ok()).collect();
    if cx.json() {
        cx.print_json(&serde_json::json!({ "verified": bad.is_empty(), "findings": findings }))?;
    } else {
        for finding in findings {
            crate::outln!("{}", finding.line());
        }
    }
    if bad.is_empty() {
        out.status("Verified", plural(findings.len(), "file"));
        return Ok(());
    }
    for finding in &bad {
        out.problem(Some(std::path::Path::new(&finding.file)), &finding.line());
    }
    let lines: Vec<String> = bad.iter().map(|f| format!("  {}", f.line())).collect();
    let leftover = |f: &&Finding| matches!(f.status, Status::OtherVersion { .. });
    let mut fix = Vec::new();
    if !bad.iter().all(leftover) {
        fix.push("rebuild or re-download those files; do not publish them as they are");
    }
    if bad.iter().any(leftover) {
        fix.push("remove the files of other versions (`dist --execute` removes its own from its output folder)");
    }
    bail!(
        "{} of {} did not verify:\n{}\n{}",
        bad.len(),
        crate::output::plural(findings.len(), "file"),
        lines.join("\n"),
        fix.join("; ")
    )
}
