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
    /// The checks that could not run, and why: nothing about the release, something to configure.
    unchecked: Vec<Problem<'a>>,
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
        let problems: Vec<(&Finding, &str)> =
            findings.iter().filter_map(|f| Some((f, f.problem.as_deref()?))).collect();
        let unchecked: Vec<(&Finding, &str)> =
            findings.iter().filter_map(|f| Some((f, f.unchecked.as_deref()?))).collect();
        if cx.json() {
            cx.print_json(&Report {
                format_version: 1,
                version,
                tag: &outcome.tag,
                problems: listed(&problems),
                problem_count: problems.len(),
                unchecked: listed(&unchecked),
                findings,
            })?;
        } else {
            for finding in findings {
                let check = format!("{:?}", finding.check).to_lowercase();
                match (&finding.problem, &finding.unchecked) {
                    (Some(problem), _) => crate::outln!("FAILED  {check:<8}  {}: {problem}", finding.subject),
                    (None, Some(why)) => crate::outln!("skipped {check:<8}  {}: {why}", finding.subject),
                    (None, None) => crate::outln!("ok      {check:<8}  {}: {}", finding.subject, finding.detail),
                }
            }
        }
        if problems.is_empty() && unchecked.is_empty() {
            out.status("Verified", format!("{version}: {} passed", crate::output::plural(findings.len(), "check")));
            return Ok(());
        }
        for (finding, problem) in &problems {
            out.problem(None, &format!("{}: {problem}", finding.subject));
        }
        let lines = |of: &[(&Finding, &str)]| -> String {
            of.iter().map(|(f, message)| format!("\n  {}: {message}", f.subject)).collect()
        };
        // Only what was found wrong with the release is a reason to touch it: a check that
        // could not run asks for configuration, and a rollback would take a good release down.
        let mut said = Vec::new();
        if !problems.is_empty() {
            said.push(format!(
                "{} of the published release {version} {} wrong:{}\nfix the release (re-publish, re-upload, or roll it \
                 back with `rollback {version}`)",
                crate::output::plural(problems.len(), "check"),
                if problems.len() == 1 { "is" } else { "are" },
                lines(&problems)
            ));
        }
        if !unchecked.is_empty() {
            let skips: std::collections::BTreeSet<String> =
                unchecked.iter().map(|(f, _)| format!("--skip {}", format!("{:?}", f.check).to_lowercase())).collect();
            said.push(format!(
                "{} could not run, which says nothing about the release {version}:{}\nconfigure what each names and \
                 run verify-published again, or leave the check out with {}",
                crate::output::plural(unchecked.len(), "check"),
                lines(&unchecked),
                skips.into_iter().collect::<Vec<_>>().join(" ")
            ));
        }
        bail!("{}", said.join("\n"))
    }
}

/// Findings with their message, as the JSON's `problems` or `unchecked`.
fn listed<'a>(of: &[(&'a Finding, &'a str)]) -> Vec<Problem<'a>> {
    of.iter().map(|(f, message)| Problem { check: &f.check, subject: &f.subject, message }).collect()
}
