//! `verify-published`: after a release, check what the world sees. Every crate of the
//! version is on the registry with our content, the GitHub release holds exactly the
//! promised assets and they verify, and a deployed service reports the version. Every
//! problem is reported, not just the first; any problem exits 1. A check that could not
//! run (no GitHub repository or token, no registry configured) is not a problem of the
//! release: it is reported apart, with what to configure.

mod health;
pub(crate) mod index_entries;
mod release_page;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use semver::Version;
use serde::Serialize;

use xshell::Shell;

use crate::publish::registry_config::Registry;
use crate::report::Reporter;
use crate::workspace::Workspace;

/// What to check, where.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The version to check [default: the workspace's].
    pub version: Option<Version>,
    /// Registry name from cargo's configuration [default: crates.io].
    pub registry: Option<String>,
    /// Sparse index URL to read [default: from cargo's configuration].
    pub index_url: Option<String>,
    /// The release's tag [default: the version's tag].
    pub tag: Option<String>,
    /// Keep the downloaded release assets in this directory.
    pub assets: Option<PathBuf>,
    /// The combined sums file the release holds beside the `.sha256` files.
    pub sums: String,
    /// A deployed service's URL to poll until it reports the version.
    pub health: Option<String>,
    /// The version the health endpoint must report [default: the version checked].
    pub expect_version: Option<String>,
    /// Give up on the health endpoint after this long.
    pub health_timeout: Duration,
    /// Checks left out.
    pub skip: Vec<Check>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            version: None,
            registry: None,
            index_url: None,
            tag: None,
            assets: None,
            sums: "SHA256SUMS".into(),
            health: None,
            expect_version: None,
            health_timeout: Duration::from_secs(300),
            skip: Vec::new(),
        }
    }
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn version(mut self, version: Version) -> Options {
        self.version = Some(version);
        self
    }

    pub fn registry(mut self, name: impl Into<String>) -> Options {
        self.registry = Some(name.into());
        self
    }

    pub fn index_url(mut self, url: impl Into<String>) -> Options {
        self.index_url = Some(url.into());
        self
    }

    pub fn health(mut self, url: impl Into<String>) -> Options {
        self.health = Some(url.into());
        self
    }

    pub fn skip(mut self, check: Check) -> Options {
        self.skip.push(check);
        self
    }
}

/// Every finding for the version and tag checked.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    pub version: Version,
    pub tag: String,
    pub findings: Vec<Finding>,
}

impl Outcome {
    /// What is wrong with the release.
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.problem.is_some())
    }

    /// The checks that could not run, which say nothing about the release.
    pub fn unchecked(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.unchecked.is_some())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    Registry,
    Release,
    Health,
}

/// One thing checked: fine (`problem` and `unchecked` are `None`), wrong (`problem`), or
/// not checked at all (`unchecked`).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: Check,
    /// The crate, asset or URL.
    pub subject: String,
    /// What was found wrong.
    pub problem: Option<String>,
    /// What was checked, or why less was.
    pub detail: String,
    /// Why the check could not run, ending with what to configure so that it can; this
    /// is no finding about the release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchecked: Option<String>,
}

impl Finding {
    fn ok(check: Check, subject: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding { check, subject: subject.into(), problem: None, detail: detail.into(), unchecked: None }
    }

    fn problem(check: Check, subject: impl Into<String>, problem: impl Into<String>) -> Finding {
        Finding {
            check,
            subject: subject.into(),
            problem: Some(problem.into()),
            detail: String::new(),
            unchecked: None,
        }
    }

    fn unchecked(check: Check, subject: impl Into<String>, why: impl Into<String>) -> Finding {
        Finding { check, subject: subject.into(), problem: None, detail: String::new(), unchecked: Some(why.into()) }
    }
}

/// Checks the published release of `ws`, saying what it checks through `reporter`, and
/// records the run in the audit trail. Every problem, and every check that could not run,
/// is in the outcome; an error means nothing could be checked (every check left out).
pub fn check(sh: &Shell, ws: &Workspace, options: &Options, reporter: &dyn Reporter) -> Result<Outcome> {
    let version = match &options.version {
        Some(version) => version.clone(),
        None => crate::version::current(ws)?,
    };
    let tag = options.tag.clone().unwrap_or_else(|| ws.config.tag_for(&version));
    let trail = crate::audit::trail(sh, ws, Some(&version));
    let mut findings = Vec::new();
    let started = std::time::Instant::now();

    if !options.skip.contains(&Check::Registry) {
        reporter.status("Checking", "the registry");
        match Registry::resolve(options.registry.as_deref(), options.index_url.as_deref(), ws.root.as_std_path()) {
            Ok(registry) => findings.extend(index_entries::check(sh, ws, &registry, &version, &tag, reporter)),
            Err(err) => findings.push(Finding::unchecked(Check::Registry, "registry", format!("{err:#}"))),
        }
    }
    if !options.skip.contains(&Check::Release) {
        reporter.status("Checking", &format!("the GitHub release {tag}"));
        let release_options = release_page::Options { sums: &options.sums, keep: options.assets.as_deref() };
        findings.extend(release_page::check(sh, ws, &version, &tag, &release_options, reporter));
    }
    if let Some(url) = options.health.as_deref().filter(|_| !options.skip.contains(&Check::Health)) {
        let expected = match options.expect_version.as_deref() {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => version.to_string(),
        };
        reporter.status("Polling", &format!("{url} for version {expected}"));
        findings.push(health::check(url, &expected, options.health_timeout));
    }
    if findings.is_empty() {
        anyhow::bail!("{}", nothing_checked(options, &version));
    }

    let problems = findings.iter().filter(|f| f.problem.is_some()).count();
    let unchecked = findings.iter().filter(|f| f.unchecked.is_some()).count();
    let mut produced = std::collections::BTreeMap::new();
    produced.insert("checks".to_string(), findings.len().to_string());
    produced.insert("problems".to_string(), problems.to_string());
    if unchecked > 0 {
        produced.insert("unchecked".to_string(), unchecked.to_string());
    }
    let (outcome, error) = match (problems, unchecked) {
        (0, 0) => (crate::audit::Outcome::Ok, None),
        (0, n) => (crate::audit::Outcome::Failed, Some(format!("{} could not run", crate::output::plural(n, "check")))),
        (n, _) => (crate::audit::Outcome::Failed, Some(format!("{} found", crate::output::plural(n, "problem")))),
    };
    trail
        .record("verify-published", outcome, error.as_deref(), &produced, started.elapsed())
        .context("cannot write the audit trail")?;
    Ok(Outcome { version, tag, findings })
}

/// Why nothing was checked: each check, and what left it out.
fn nothing_checked(options: &Options, version: &Version) -> String {
    let mut left_out = Vec::new();
    if options.skip.contains(&Check::Registry) {
        left_out.push("the registry (--skip registry)");
    }
    if options.skip.contains(&Check::Release) {
        left_out.push("the GitHub release (--skip release)");
    }
    left_out.push(match options.health {
        Some(_) => "the health endpoint (--skip health)",
        None => "a deployed service (no --health URL)",
    });
    format!(
        "nothing was checked for {version}: left out {}; drop a --skip, or pass --health URL, so that there is \
         something to check",
        left_out.join(", ")
    )
}
