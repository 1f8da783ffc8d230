//! `tag`: arguments, and the plan with its preflight checks as text or JSON.

use anyhow::{Result, bail};

use super::Cx;
use crate::steps::preflight;
use crate::steps::tag::{self, Options, TagPlan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Create the tag (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Push the tag, and only the tag, to the remote
    #[arg(long)]
    pub push: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        Options::new().push(self.push)
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let plan = tag::plan(&ctx.sh, &ws, &self.options())?;
        let failed = preflight::failures(&plan.checks);
        // With JSON an executed run prints what it did, unless its preflight stops it: then
        // the plan, whose checks say why.
        if cx.json() {
            if !self.execute || failed.is_some() {
                cx.print_plan_json(&ws, &plan)?
            }
        } else {
            print(&plan)
        }
        preflight::annotate(&ctx.out, &plan.checks);
        if let Some(failed) = failed {
            bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run");
        }
        if !self.execute {
            cx.print_digest(&ws, &plan)?;
            ctx.out.note("dry run: nothing was changed; pass --execute to act");
            return Ok(());
        }
        // The annotation ends with the trail's head, kept on the remote with the tag.
        let head = crate::audit::head_line(&ws);
        let plan = match &head {
            Some(line) => plan.with_trailer(line),
            None => plan,
        };
        let outcome = cx.execute(&ws, &plan, Some(&plan.version), |produced| {
            let outcome = tag::execute(&ctx.sh, &plan, &ctx.out)?;
            super::produced_tag(&ctx.sh, &plan.tag, produced)?;
            if let Some(line) = head.filter(|_| outcome.created) {
                produced.add("audit_head", line);
            }
            if !outcome.created && !outcome.pushed {
                produced.skip();
            }
            Ok(outcome)
        })?;
        if cx.json() {
            #[derive(serde::Serialize)]
            struct Done<'a> {
                #[serde(flatten)]
                outcome: &'a tag::Outcome,
                commit: &'a str,
                remote: &'a str,
            }
            cx.print_json(&Done { outcome: &outcome, commit: &plan.commit, remote: &plan.remote })?;
        }
        Ok(())
    }
}

fn print(plan: &TagPlan) {
    let kind = if plan.prerelease { " (pre-release)" } else { "" };
    crate::outln!("Tag {}{kind} at {}", plan.tag, plan.commit);
    crate::outln!("  preflight");
    super::print_checks(&plan.checks);
    if plan.create {
        crate::outln!("  create annotated tag {} with message {:?}", plan.tag, plan.message);
    } else {
        crate::outln!("  keep tag {}: it exists at HEAD from an earlier run", plan.tag);
    }
    if plan.push {
        crate::outln!("  push tag {} (only the tag) to {}", plan.tag, plan.remote);
    } else if plan.on_remote {
        crate::outln!("  tag {} is on {} already; nothing to push", plan.tag, plan.remote);
    } else {
        crate::outln!("  not pushed (pass --push to push the tag)");
    }
}
