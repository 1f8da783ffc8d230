//! `bump`: arguments, and the plan shown as diffs (or JSON) before it is written.

use anyhow::Result;

use super::Cx;
use crate::steps::bump::{self, Options};
use crate::version::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new version, or a level: major, minor, patch, release, rc, beta, alpha
    pub version: Target,
    /// Write the changes (default: print them as a diff)
    #[arg(long)]
    pub execute: bool,
    /// Bump only these packages (and their dependents' requirements)
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    pub packages: Vec<String>,
    /// Leave this package out of the whole-workspace bump (it must have its own version)
    #[arg(long, value_name = "PKG", conflicts_with = "packages")]
    pub exclude: Vec<String>,
}

impl Args {
    pub fn options(&self) -> Options {
        let options = self.packages.iter().fold(Options::new(self.version.clone()), |o, p| o.package(p));
        self.exclude.iter().fold(options, |o, p| o.exclude(p))
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let plan = bump::plan(&ws, &self.options())?;
        // With JSON an executed run prints what it wrote (at the end), a dry run its plan.
        if cx.json() && !self.execute {
            cx.print_plan_json(&ws, &plan)?;
        } else if !cx.json() && !self.execute {
            for edit in &plan.edits {
                crate::out!("{}", edit.diff(&ws.root));
            }
        }
        for package in plan.packages.iter().filter(|p| p.from != p.to) {
            ctx.out.status("Bumping", format!("{} from {} to {}", package.name, package.from, package.to));
        }
        for tmp in &plan.stale_temp {
            let what = if self.execute { "removing it" } else { "--execute removes it" };
            ctx.out.note(format!("{} was left by an interrupted run; {what}", ws.rel(tmp)));
        }
        if plan.is_empty() {
            // A re-run of a finished bump, like a finished `release`: done, not an error.
            if self.execute {
                let outcome = cx.execute(&ws, &plan, Some(&plan.version), |produced| {
                    produced.skip();
                    bump::execute(&ws, &plan, &ctx.out)
                })?;
                print_written(cx, &ws, &plan.version, &outcome)?;
            }
            ctx.out.status("Finished", format!("the version is {} everywhere already; nothing to do", plan.version));
            return Ok(());
        }
        if self.execute {
            let outcome = cx.execute(&ws, &plan, Some(&plan.version), |produced| {
                let outcome = bump::execute(&ws, &plan, &ctx.out)?;
                produced.add("version", plan.version.to_string());
                produced.add("files", outcome.written.len().to_string());
                Ok(outcome)
            })?;
            print_written(cx, &ws, &plan.version, &outcome)?;
        } else {
            cx.print_digest(&ws, &plan)?;
            ctx.out.note(format!(
                "dry run: {} would change; run again with --execute to write them",
                crate::output::plural(plan.edits.len(), "file")
            ));
        }
        Ok(())
    }
}

/// With JSON, an executed bump's one document: the version and the files written.
fn print_written(
    cx: &Cx,
    ws: &crate::workspace::Workspace,
    version: &semver::Version,
    outcome: &bump::Outcome,
) -> Result<()> {
    if !cx.json() {
        return Ok(());
    }
    #[derive(serde::Serialize)]
    struct Written<'a> {
        version: &'a semver::Version,
        written: Vec<&'a str>,
    }
    let written = outcome.written.iter().map(|p| ws.rel(p).as_str()).collect();
    cx.print_json(&Written { version, written })
}
