//! `rollback`: arguments, the plan with its digest, the approval gate and the result.

use anyhow::{Result, bail};
use semver::Version;
use serde::Serialize;

use super::Cx;
use crate::rollback::{self, Options, StepResult, undo_plan::Plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version to roll back
    pub version: Version,
    /// Registry name from cargo's configuration [default: crates.io]
    #[arg(long)]
    pub registry: Option<String>,
    /// Sparse index URL to read [default: from cargo's configuration]
    #[arg(long)]
    pub index_url: Option<String>,
    /// Take a rollback back: unyank, restore the release's notes and flag, re-create the tag
    #[arg(long)]
    pub undo: bool,
    /// Why, for the release's YANKED notice
    #[arg(long, value_name = "TEXT", conflicts_with = "undo")]
    pub reason: Option<String>,
    /// With --undo: the commit to re-create the tag on [default: the one the audit trail recorded]
    #[arg(long, value_name = "SHA", requires = "undo")]
    pub commit: Option<String>,
    /// Leave the GitHub release alone (no GITHUB_TOKEN needed)
    #[arg(long)]
    pub no_github: bool,
    /// Act (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Do not ask for confirmation (does not pass `require-approval`)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// The plan as printed: with the format version and its digest.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    format_version: u32,
    plan_digest: &'a str,
    #[serde(flatten)]
    plan: &'a Plan,
    work_tree: &'a crate::approval::WorkTree,
}

/// The result as printed: each step's outcome, with the digest of the plan executed.
#[derive(Debug, Serialize)]
struct ShownSteps<'a> {
    format_version: u32,
    plan_digest: &'a str,
    steps: &'a [StepResult],
}

impl Args {
    pub fn options(&self) -> Options {
        Options {
            version: self.version.clone(),
            registry: self.registry.clone(),
            index_url: self.index_url.clone(),
            undo: self.undo,
            reason: self.reason.clone(),
            commit: self.commit.clone(),
            no_github: self.no_github,
        }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let options = self.options();
        let client = rollback::client(&ctx.sh, &ws, &options, &ctx.out)?;
        let plan = rollback::plan(&ctx.sh, &ws, &options, client.as_ref())?;
        let tree = cx.work_tree(&ws);
        let value = crate::approval::subject(&plan, &tree)?;
        let digest = crate::approval::digest_value(&value);
        let unfinishable = rollback::unfinishable(&plan);

        if !self.execute {
            if ws.config.require_approval.iter().any(|c| c == "rollback") {
                crate::approval::save_plan(&ws.target_dir, &digest, &value)?;
            }
            if cx.json() {
                cx.print_json(&Shown { format_version: 1, plan_digest: &digest, plan: &plan, work_tree: &tree })?;
            } else {
                crate::out!("{}", describe(&plan));
                super::print_digest_line(&digest);
            }
            if let Some(why) = unfinishable {
                bail!(why);
            }
            ctx.out.note("dry run: nothing was changed; pass --execute to act (and --approve with the plan's digest)");
            return Ok(());
        }
        if let Some(why) = unfinishable {
            bail!(why);
        }
        let approval = crate::approval::gate(
            &ws.target_dir,
            "rollback",
            &ws.config.require_approval,
            ws.config.table,
            cx.approve(),
            &value,
        )?;
        let todo = plan.steps.iter().filter(|s| s.skip.is_none()).count();
        let what = if self.undo { "undo the rollback of" } else { "roll back" };
        super::confirm(self.yes, &format!("{what} {} ({})", plan.version, crate::output::plural(todo, "step")))?;
        let outcome = rollback::execute_approved(&ctx.sh, &ws, &plan, &options, client.as_ref(), approval, &ctx.out);
        if cx.json() {
            cx.print_json(&ShownSteps { format_version: 1, plan_digest: &digest, steps: &outcome.steps })?;
        }
        match outcome.error {
            None => {
                let verb = if self.undo { "Restored" } else { "Rolled back" };
                ctx.out.status(verb, format!("{} ({} done)", plan.version, crate::output::plural(todo, "step")));
                Ok(())
            }
            Some(err) => Err(err.context(format!(
                "the rollback stopped; fix the cause, then run the same command again: what is done is skipped ({})",
                crate::audit::log_path(&ws)
            ))),
        }
    }
}

/// The dry run's text: every step in order, skipped ones with the reason.
fn describe(plan: &Plan) -> String {
    let what = if plan.undo { "Undo plan" } else { "Rollback plan" };
    let github = plan.github_api.as_deref().map(|api| format!(", GitHub API {api}")).unwrap_or_default();
    let mut out =
        format!("{what} for {} (tag {}, registry {}{github}):\n", plan.version, plan.tag, plan.registry.display());
    let mut n = 0;
    for step in &plan.steps {
        match &step.skip {
            None => {
                n += 1;
                out.push_str(&format!("  {n:>2}. {}\n", step.describe(plan)));
            }
            Some(why) => out.push_str(&format!("   -  {} (skipped: {why})\n", step.describe(plan))),
        }
    }
    if n == 0 {
        out.push_str("  nothing to do: every step is already done\n");
    }
    out
}
