//! `checksum`: arguments, each file's digest or each finding as text or JSON.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::Cx;
use crate::dist::check::Finding;
use crate::dist::checksum::Options;
use crate::output::plural;
use crate::report::Reporter as _;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, or directories whose files are hashed (recursively; `.sha256` files,
    /// the sums file and hidden files are left out)
    #[arg(required_unless_present = "sums")]
    pub paths: Vec<PathBuf>,
    /// Also write one combined sums file (e.g. SHA256SUMS); with --verify, check it
    #[arg(long, value_name = "FILE")]
    pub sums: Option<PathBuf>,
    /// Check existing `.sha256` files (or the sums file) instead of writing
    #[arg(long)]
    pub verify: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        Options { paths: self.paths.clone(), sums: self.sums.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let options = self.options();
        if self.verify {
            return report_findings(cx, &options.verify()?);
        }
        let report = options.write()?;
        if cx.json() {
            return cx.print_json(&report);
        }
        for item in &report {
            crate::outln!("{}  {}", item.sha256, item.file);
        }
        let sums_note = self.sums.as_ref().map(|s| format!(" and {}", s.display())).unwrap_or_default();
        cx.ctx.out.status("Checksummed", format!("{} into .sha256 files{sums_note}", plural(report.len(), "file")));
        Ok(())
    }
}

/// Prints the findings and fails naming every file that did not verify.
pub(super) fn report_findings(cx: &Cx, findings: &[Finding]) -> Result<()> {
    let out = &cx.ctx.out;
    let bad: Vec<&Finding> = findings.iter().filter(|f| !f.ok()).collect();
    if cx.json() {
        cx.print_json(&findings)?;
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
    bail!(
        "{} of {} files did not verify:\n{}\nrebuild or re-download those files; do not publish them as they are",
        bad.len(),
        findings.len(),
        lines.join("\n")
    )
}
