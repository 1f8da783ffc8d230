//! `verify-published`: arguments, and every finding as text or JSON.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::builder::PossibleValue;
use semver::Version;
use serde::Serialize;

use super::Cx;
use crate::report::Reporter as _;
use crate::verify_published::{self, Check, Finding, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version to check [default: the workspace's]
    #[arg(long)]
    pub version: Option<Version>,
    /// Registry name from cargo's configuration [default: crates.io]
    #[arg(long)]
    pub registry: Option<String>,
    /// Sparse index URL to read [default: from cargo's configuration]
    #[arg(long)]
    pub index_url: Option<String>,
    /// The release's tag [default: the version's tag]
    #[arg(long)]
    pub tag: Option<String>,
    /// Keep the downloaded release assets in this directory
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// The combined sums file the release holds beside the `.sha256` files
    #[arg(long, value_name = "NAME", default_value = "SHA256SUMS")]
    pub sums: String,
    /// A deployed service's URL to poll until it reports the version
    #[arg(long, value_name = "URL")]
    pub health: Option<String>,
    /// The version the health endpoint must report [default: the version checked]
    #[arg(long, value_name = "VERSION", requires = "health", num_args = 0..=1, default_missing_value = "")]
    pub expect_version: Option<String>,
    /// Give up on the health endpoint after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub health_timeout: u64,
    /// Leave out a check
    #[arg(long, value_enum, value_name = "CHECK")]
    pub skip: Vec<Check>,
}

impl clap::ValueEnum for Check {
    fn value_variants<'a>() -> &'a [Check] {
        &[Check::Registry, Check::Release, Check::Health]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(match self {
            Check::Registry => "registry",
            Check::Release => "release",
            Check::Health => "health",
        }))
    }
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    format_version: u32,
    version: &'a Version,
    tag: &'a str,
    /// What is wrong, shaped like check-version's problems: where, then what.
    problems: Vec<Problem<'a>>,
    problem_count: usize,
    findings: &'a [Finding],
}

#[derive(Debug, Serialize)]
struct Problem<'a> {
    check: &'a Check,
    /// The crate, asset or URL.
    subject: &'a str,
    message: &'a str,
}

impl Args {
    pub fn options(&self) -> Options {
        Options {
            version: self.version.clone(),
            registry: self.registry.clone(),
            index_url: self.index_url.clone(),
            tag: self.tag.clone(),
            assets: self.assets.clone(),
            sums: self.sums.clone(),
            health: self.health.clone(),
            expect_version: self.expect_version.clone(),
            health_timeout: Duration::from_secs(self.health_timeout),
            skip: self.skip.clone(),
        }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let out = &cx.ctx.out;
        let ws = cx.ctx.workspace()?;
        let outcome = verify_published::check(&cx.ctx.sh, &ws, &self.options(), out)?;
        let (version, findings) = (&outcome.version, &outcome.findings);
        let problems: Vec<&Finding> = outcome.problems().collect();
        if cx.json() {
            cx.print_json(&Report {
                format_version: 1,
                version,
                tag: &outcome.tag,
                problems: problems
                    .iter()
                    .map(|f| Problem {
                        check: &f.check,
                        subject: &f.subject,
                        message: f.problem.as_deref().unwrap_or_default(),
                    })
                    .collect(),
                problem_count: problems.len(),
                findings,
            })?;
        } else {
            for finding in findings {
                let check = format!("{:?}", finding.check).to_lowercase();
                match &finding.problem {
                    None => crate::outln!("ok      {check:<8}  {}: {}", finding.subject, finding.detail),
                    Some(problem) => crate::outln!("FAILED  {check:<8}  {}: {problem}", finding.subject),
                }
            }
        }
        if problems.is_empty() {
            out.status("Verified", format!("{version}: {} passed", crate::output::plural(findings.len(), "check")));
            return Ok(());
        }
        for problem in &problems {
            out.problem(None, &format!("{}: {}", problem.subject, problem.problem.as_deref().unwrap_or_default()));
        }
        let lines: Vec<String> =
            problems.iter().map(|f| format!("  {}: {}", f.subject, f.problem.as_deref().unwrap_or_default())).collect();
        bail!(
            "{} of the published release {version} {} wrong:\n{}\nfix the release (re-publish, re-upload, or roll it back with `rollback {version}`)",
            crate::output::plural(problems.len(), "check"),
            if problems.len() == 1 { "is" } else { "are" },
            lines.join("\n")
        )
    }
}
