//! `verify-published`: after a release, check what the world sees. Every crate of the
//! version is on the registry with our content, the GitHub release holds exactly the
//! promised assets and they verify, and a deployed service reports the version. Every
//! problem is reported, not just the first; any problem exits 1.

mod health;
mod registry;
mod release;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use semver::Version;
use serde::Serialize;

use crate::context::Ctx;
use crate::publish::registry::Registry;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Registry,
    Release,
    Health,
}

/// One thing checked: fine (`problem` is `None`) or not.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: Check,
    /// The crate, asset or URL.
    pub subject: String,
    /// What was found wrong.
    pub problem: Option<String>,
    /// What was checked, or why less was.
    pub detail: String,
}

impl Finding {
    fn ok(check: Check, subject: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding { check, subject: subject.into(), problem: None, detail: detail.into() }
    }

    fn problem(check: Check, subject: impl Into<String>, problem: impl Into<String>) -> Finding {
        Finding { check, subject: subject.into(), problem: Some(problem.into()), detail: String::new() }
    }
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    format_version: u32,
    version: &'a Version,
    tag: &'a str,
    problems: usize,
    findings: &'a [Finding],
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let version = match &self.version {
            Some(version) => version.clone(),
            None => crate::version::current(&ws)?,
        };
        let tag = self.tag.clone().unwrap_or_else(|| ws.config.tag_for(&version));
        let trail = crate::audit::trail(ctx, &ws, Some(&version));
        let mut findings = Vec::new();
        let started = std::time::Instant::now();

        if !self.skip.contains(&Check::Registry) {
            ctx.out.status("Checking", "the registry");
            match Registry::resolve(self.registry.as_deref(), self.index_url.as_deref(), ws.root.as_std_path()) {
                Ok(registry) => findings.extend(registry::check(ctx, &ws, &registry, &version, &tag)),
                Err(err) => findings.push(Finding::problem(Check::Registry, "registry", format!("{err:#}"))),
            }
        }
        if !self.skip.contains(&Check::Release) {
            ctx.out.status("Checking", format!("the GitHub release {tag}"));
            let options = release::Options { sums: &self.sums, keep: self.assets.as_deref() };
            findings.extend(release::check(ctx, &ws, &version, &tag, &options));
        }
        if let Some(url) = self.health.as_deref().filter(|_| !self.skip.contains(&Check::Health)) {
            let expected = match self.expect_version.as_deref() {
                Some(v) if !v.is_empty() => v.to_string(),
                _ => version.to_string(),
            };
            ctx.out.status("Polling", format!("{url} for version {expected}"));
            findings.push(health::check(url, &expected, Duration::from_secs(self.health_timeout)));
        }

        let problems: Vec<&Finding> = findings.iter().filter(|f| f.problem.is_some()).collect();
        let mut produced = std::collections::BTreeMap::new();
        produced.insert("checks".to_string(), findings.len().to_string());
        produced.insert("problems".to_string(), problems.len().to_string());
        let (outcome, error) = match problems.len() {
            0 => (crate::audit::Outcome::Ok, None),
            n => (crate::audit::Outcome::Failed, Some(format!("{n} problem(s) found"))),
        };
        trail
            .record("verify-published", outcome, error.as_deref(), &produced, started.elapsed())
            .context("cannot write the audit trail")?;

        if ctx.json() {
            ctx.out.json(&Report {
                format_version: 1,
                version: &version,
                tag: &tag,
                problems: problems.len(),
                findings: &findings,
            })?;
        } else {
            for finding in &findings {
                let check = format!("{:?}", finding.check).to_lowercase();
                match &finding.problem {
                    None => crate::outln!("ok      {check:<8}  {}: {}", finding.subject, finding.detail),
                    Some(problem) => crate::outln!("FAILED  {check:<8}  {}: {problem}", finding.subject),
                }
            }
        }
        if problems.is_empty() {
            ctx.out.status("Verified", format!("{version}: {} checks passed", findings.len()));
            return Ok(());
        }
        for problem in &problems {
            ctx.out.github_error(
                None,
                &format!("{}: {}", problem.subject, problem.problem.as_deref().unwrap_or_default()),
            );
        }
        let lines: Vec<String> =
            problems.iter().map(|f| format!("  {}: {}", f.subject, f.problem.as_deref().unwrap_or_default())).collect();
        bail!(
            "{} of the published release {version} is wrong:\n{}\nfix the release (re-publish, re-upload, or roll it back with `rollback {version}`)",
            crate::output::plural(problems.len(), "check"),
            lines.join("\n")
        )
    }
}
