//! `tag`: the annotated release tag, after preflight checks.
//!
//! Safe to re-run: a tag that already exists at HEAD, annotated with the same message, is
//! the one an earlier run made; it is kept and (with `--push`) pushed unless the remote
//! has that very tag object already. Any other existing tag is an error naming it.

use anyhow::{Result, bail};
use semver::Version;
use serde::Serialize;

use crate::context::Ctx;
use crate::ops::git;
use crate::steps::preflight::{self, Check, Expect, GitFacts};
use crate::version;
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Create the tag (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Push the tag, and only the tag, to the remote
    #[arg(long)]
    pub push: bool,
}

#[derive(Debug, Clone, Serialize)]
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
}

impl TagPlan {
    /// The plan from the facts: a pure function.
    pub fn new(version: Version, config: &crate::config::Config, facts: &GitFacts, push: bool) -> Result<TagPlan> {
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
        })
    }

    fn print(&self) {
        let kind = if self.prerelease { " (pre-release)" } else { "" };
        crate::outln!("Tag {}{kind} at {}", self.tag, self.commit);
        crate::outln!("  preflight");
        preflight::print(&self.checks);
        if self.create {
            crate::outln!("  create annotated tag {} with message {:?}", self.tag, self.message);
        } else {
            crate::outln!("  keep tag {}: it exists at HEAD from an earlier run", self.tag);
        }
        if self.push {
            crate::outln!("  push tag {} (only the tag) to {}", self.tag, self.remote);
        } else if self.on_remote {
            crate::outln!("  tag {} is on {} already; nothing to push", self.tag, self.remote);
        } else {
            crate::outln!("  not pushed (pass --push to push the tag)");
        }
    }
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let version = version::current(&ws)?;
        let config = &ws.config;
        let tag = config.tag_for(&version);
        let facts = GitFacts::gather(&ctx.sh, &config.branch, &config.remote, &tag)?;
        let mut plan = TagPlan::new(version, config, &facts, self.push)?;
        plan.checks.push(check_version(&ws, &plan.tag)?);

        if ctx.json() {
            ctx.out.json(&plan)?
        } else {
            plan.print()
        }
        preflight::annotate(&ctx.out, &plan.checks);
        if let Some(failed) = preflight::failures(&plan.checks) {
            bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run");
        }
        if !self.execute {
            ctx.out.note("dry run: nothing was changed; pass --execute to act");
            return Ok(());
        }
        if plan.create {
            git::create_tag(&ctx.sh, &plan.tag, &plan.message)?;
            ctx.out.status("Tagged", format!("{} at {}", plan.tag, plan.commit));
        }
        if plan.push {
            git::push_tag(&ctx.sh, &plan.remote, &plan.tag)?;
            ctx.out.status("Pushed", format!("tag {} to {}", plan.tag, plan.remote));
        } else if plan.on_remote {
            ctx.out.note(format!("tag {} is on {} already; nothing to push", plan.tag, plan.remote));
        }
        Ok(())
    }
}

/// `check-version` against the tag, as one preflight check.
fn check_version(ws: &Workspace, tag: &str) -> Result<Check> {
    const NAME: &str = "check-version";
    let problems = version::check::check(ws, Some(tag))?;
    if problems.is_empty() {
        return Ok(Check::passed(NAME, format!("manifests, Cargo.lock, extra files and changelog agree with {tag}")));
    }
    let listed: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    Ok(Check::failed(NAME, listed.join("\n              "), "fix each problem as it says, commit, and re-run"))
}
