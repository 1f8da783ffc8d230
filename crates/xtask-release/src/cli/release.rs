//! `release`: arguments, the plan shown with every check's result, and the confirmation.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, Result, bail};

use super::Cx;
use crate::steps::code_checks::Skip;
use crate::steps::preflight;
use crate::steps::release::{self, Options, runbook::ReleasePlan};
use crate::version::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new version, or a level: major, minor, patch, release, rc, beta, alpha
    pub version: Target,
    /// Act (default: print every step and every check's result)
    #[arg(long)]
    pub execute: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Skip `cargo fmt --check`, clippy and the tests
    #[arg(long)]
    pub no_verify: bool,
    /// Skip `cargo fmt --check`
    #[arg(long)]
    pub skip_fmt: bool,
    /// Skip `cargo clippy -- -D warnings`
    #[arg(long)]
    pub skip_clippy: bool,
    /// Skip the test suite
    #[arg(long)]
    pub skip_tests: bool,
    /// Commit and tag, but do not push
    #[arg(long)]
    pub no_push: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        let skip = Skip {
            fmt: self.no_verify || self.skip_fmt,
            clippy: self.no_verify || self.skip_clippy,
            tests: self.no_verify || self.skip_tests,
        };
        Options::new(self.version.clone()).skip(skip).push(!self.no_push).assume_yes(self.yes)
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        if self.execute && !self.yes && !std::io::stdin().is_terminal() {
            bail!("refusing to release without confirmation: stdin is not a terminal; pass --yes to confirm");
        }
        let ws = ctx.workspace()?;
        let options = self.options();
        let plan = release::plan(ctx, &ws, &options)?;
        if let Some(why) = &plan.resumed {
            ctx.out.note(why);
        }

        if cx.json() {
            cx.print_plan_json(&ws, &plan)?
        } else {
            plan.print(&ws.root)
        }
        preflight::annotate(&ctx.out, &plan.checks);
        if let Some(failed) = preflight::failures(&plan.checks) {
            bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run");
        }
        if plan.is_done() {
            ctx.out.status("Finished", format!("{} is released already; nothing to do", plan.tag));
            return Ok(());
        }
        if !self.execute {
            cx.print_digest(&ws, &plan)?;
            ctx.out.note("dry run: nothing was changed; pass --execute to act");
            return Ok(());
        }
        if !self.yes && !confirm(&plan)? {
            bail!("release cancelled; nothing was changed");
        }
        cx.execute(&ws, &plan, None, |produced| {
            release::execute(ctx, &ws, &plan, &options, &ctx.out)?;
            super::produced_tag(&ctx.sh, &plan.tag, produced)
        })
    }
}

/// Asks on the terminal; anything but `y` or `yes` is a no.
fn confirm(plan: &ReleasePlan) -> Result<bool> {
    let what =
        if plan.steps.last().is_some_and(|s| s.skip.is_none()) { "commit, tag and push" } else { "commit and tag" };
    eprint!("Release {}: {what}? [y/N] ", plan.tag);
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer from the terminal")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}
