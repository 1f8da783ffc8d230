//! `changelog`: arguments, and the section shown (or written) with where it comes from.

use anyhow::Result;

use super::Cx;
use crate::changelog::{self, Options};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version of the section [default: the workspace's]
    #[arg(long)]
    pub version: Option<semver::Version>,
    /// Insert the section into the changelog (default: print it)
    #[arg(long)]
    pub execute: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        Options { version: self.version.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let plan = changelog::plan_for(&ctx.sh, &ws, &self.options())?;
        let version = &plan.version;
        let shown = ws.rel(&plan.path);
        // With JSON an executed run prints what it wrote, a dry run its plan.
        let print_done = |written: bool| {
            #[derive(serde::Serialize)]
            struct Done<'a> {
                version: &'a semver::Version,
                path: &'a str,
                written: bool,
            }
            match cx.json() && self.execute {
                true => cx.print_json(&Done { version, path: shown.as_str(), written }),
                false => Ok(()),
            }
        };
        if cx.json() && !self.execute {
            cx.print_plan_json(&ws, &plan)?;
        }
        if plan.exists {
            match plan.unreleased {
                true => ctx
                    .out
                    .status("Skipping", format!("{shown} has notes under [Unreleased] already; they stay as written")),
                false => ctx.out.status("Skipping", format!("{shown} already has a section for {version}")),
            }
            return print_done(false);
        }
        let Some(edit) = &plan.edit else { return print_done(false) };
        if !cx.json() {
            crate::out!("{}", plan.section);
        }
        if self.execute {
            cx.execute(&ws, &plan, Some(version), |produced| {
                changelog::execute(&ws, &plan, &ctx.out)?;
                produced.add("changelog", shown.as_str());
                Ok(())
            })?;
            print_done(true)?;
        } else {
            cx.print_digest(&ws, &plan)?;
            match plan.source {
                changelog::Source::Unreleased => ctx.out.status(
                    "Would turn",
                    format!("the notes under [Unreleased] in {shown} into the section for {version}, and open a new [Unreleased]"),
                ),
                _ => ctx.out.status("Would add", format!("{} to {shown}, from {}", plan.target(), plan.from())),
            }
            if plan.unreleased {
                ctx.out.note(
                    "no release tag yet, so the entries go under [Unreleased]: the next release turns them into its section",
                );
            }
            if edit.before.is_empty() {
                ctx.out.note(format!(
                    "{shown} does not exist yet; --execute creates it, and from then on `release` keeps it"
                ));
            }
            ctx.out.note("dry run; pass --execute to write it");
        }
        Ok(())
    }
}
