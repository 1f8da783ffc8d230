//! `tag`: the annotated release tag, after preflight checks.
//!
//! Safe to re-run: a tag that already exists at HEAD, annotated with the same message, is
//! the one an earlier run made; it is kept and (with `--push`) pushed unless the remote
//! has that very tag object already. Any other existing tag is an error naming it.

use anyhow::{Result, bail};
use semver::Version;
use serde::Serialize;
use xshell::Shell;

use crate::ops::git;
use crate::report::Reporter;
use crate::steps::preflight::{self, Check, Expect, GitFacts};
use crate::version;
use crate::workspace::Workspace;

/// How to tag.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Push the tag, and only the tag, to the remote.
    pub push: bool,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn push(mut self, push: bool) -> Options {
        self.push = push;
        self
    }
}

/// What `execute` did.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    pub tag: String,
    pub created: bool,
    pub pushed: bool,
}

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TagPlan {
    pub version: Version,
    pub tag: String,
    pub message: String,
    /// Whether the version has a pre-release part (`1.0.0-rc.1`).
    pub prerelease: bool,
    /// The commit the tag points at: HEAD.
    pub commit: String,
    pub remote: String,
    pub checks: Vec<Check>,
    /// False when an earlier run made the tag already.
    pub create: bool,
    /// False without `--push`, or when the remote has the tag already.
    pub push: bool,
    /// Whether the remote has this very tag already.
    pub on_remote: bool,
    /// A last line for the tag's annotation, after a blank line, that is not part of the plan (nor of
    /// its digest): the command line puts the audit trail's head there.
    #[serde(skip)]
    pub(crate) trailer: Option<String>,
}

impl TagPlan {
    /// The plan from the facts: a pure function.
    pub(crate) fn new(
        version: Version,
        config: &crate::config::Config,
        facts: &GitFacts,
        push: bool,
    ) -> Result<TagPlan> {
        let tag = config.tag_for(&version);
        let message = config.render(&config.tag_message, &version)?;
        let expect = Expect {
            branch: &config.branch,
            remote: &config.remote,
            tag: &tag,
            tag_message: &message,
            tag_may_exist: true,
            may_be_ahead: 0,
            push,
            table: config.table,
        };
        let checks = preflight::evaluate(facts, &expect);
        Ok(TagPlan {
            prerelease: !version.pre.is_empty(),
            create: !facts.tag_at_head(&message),
            push: push && !facts.tag_pushed(),
            on_remote: facts.tag_pushed(),
            commit: facts.head.clone(),
            remote: config.remote.clone(),
            version,
            tag,
            message,
            checks,
            trailer: None,
        })
    }

    /// Ends the tag's annotation with `line`, after a blank line, when the tag is made; `line` is not part
    /// of the plan (the command line puts the audit trail's head there).
    pub fn with_trailer(mut self, line: impl Into<String>) -> TagPlan {
        self.trailer = Some(line.into());
        self
    }
}

/// The facts (the release version, git state, check-version) and the plan from them.
/// Changes nothing.
pub fn plan(sh: &Shell, ws: &Workspace, options: &Options) -> Result<TagPlan> {
    let version = version::current(ws)?;
    let config = &ws.config;
    let tag = config.tag_for(&version);
    let facts = GitFacts::gather(sh, &config.branch, &config.remote, &tag)?;
    let mut plan = TagPlan::new(version, config, &facts, options.push)?;
    plan.checks.push(check_version(ws, &plan.tag)?);
    Ok(plan)
}

/// Creates and pushes the tag as planned; fails without acting when a preflight check
/// failed.
pub fn execute(sh: &Shell, plan: &TagPlan, reporter: &dyn Reporter) -> Result<Outcome> {
    if let Some(failed) = preflight::failures(&plan.checks) {
        bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run");
    }
    if plan.create {
        let message = crate::audit::anchor::append(&plan.message, plan.trailer.as_deref());
        git::create_tag(sh, &plan.tag, &message, reporter)?;
        reporter.status("Tagged", &format!("{} at {}", plan.tag, plan.commit));
    }
    if plan.push {
        git::push_tag(sh, &plan.remote, &plan.tag, reporter)?;
        reporter.status("Pushed", &format!("tag {} to {}", plan.tag, plan.remote));
    } else if plan.on_remote {
        reporter.note(&format!("tag {} is on {} already; nothing to push", plan.tag, plan.remote));
    }
    Ok(Outcome { tag: plan.tag.clone(), created: plan.create, pushed: plan.push })
}

/// `check-version` against the tag, as one preflight check.
fn check_version(ws: &Workspace, tag: &str) -> Result<Check> {
    const NAME: &str = "check-version";
    let problems = version::agreement::check(ws, Some(tag))?;
    if problems.is_empty() {
        return Ok(Check::passed(NAME, format!("manifests, Cargo.lock, extra files and changelog agree with {tag}")));
    }
    let listed: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    Ok(Check::failed(NAME, listed.join("\n              "), "fix each problem as it says, commit, and re-run"))
}
