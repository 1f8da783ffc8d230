//! `github-release`: arguments, the release as text or JSON, and its GitHub outputs.

use std::path::PathBuf;

use anyhow::Result;

use super::Cx;
use crate::actions;
use crate::github::create_release::{self, Options, Plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tag [default: $GITHUB_REF_NAME when it names a tag, else the workspace's]
    #[arg(long)]
    pub tag: Option<String>,
    /// Directory whose files are uploaded as assets
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Create and upload (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Also write `tag`, `version` and `prerelease` to $GITHUB_OUTPUT, for later jobs
    #[arg(long)]
    pub github_output: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        Options { tag: self.tag.clone(), assets: self.assets.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let plan = create_release::plan(&ctx.sh, &ws, &self.options())?;
        if self.github_output {
            let version = plan.version.to_string();
            let prerelease = if plan.prerelease { "true" } else { "false" };
            actions::write(&[("tag", &plan.tag), ("version", &version), ("prerelease", prerelease)])?;
        }
        if !self.execute {
            if cx.json() {
                cx.print_plan_json(&ws, &plan)?;
            } else {
                crate::out!("{}", describe(&plan));
            }
            cx.print_digest(&ws, &plan)?;
            ctx.out.note("dry run; pass --execute (with GITHUB_TOKEN set) to create the release and upload");
            return Ok(());
        }
        // The notes of a release this run creates end with the trail's head, kept on GitHub.
        let head = crate::audit::head_line(&ws);
        let plan = match &head {
            Some(line) => plan.with_trailer(line),
            None => plan,
        };
        let outcome = cx.execute(&ws, &plan, Some(&plan.version), |produced| {
            let outcome = create_release::execute(&plan, &ctx.out)?;
            produced.add("release", format!("{} {}", plan.repo, plan.tag));
            if let Some(line) = head.filter(|_| outcome.release == create_release::ReleaseAction::Created) {
                produced.add("audit_head", line);
            }
            for asset in &plan.assets {
                produced.add(asset.name.clone(), asset.sha256.clone());
            }
            Ok(outcome)
        })?;
        // With JSON, the one document is what was done, not the plan it was done from.
        if cx.json() {
            cx.print_json(&outcome)?;
        }
        Ok(())
    }
}

/// The dry run's text: the release fields, the assets, then the notes.
fn describe(plan: &Plan) -> String {
    let mut out = format!(
        "repository: {}\napi: {}\ntag: {}\nname: {}\ndraft: {}\nprerelease: {}\nassets:\n",
        plan.repo, plan.api, plan.tag, plan.name, plan.draft, plan.prerelease
    );
    if plan.assets.is_empty() {
        out.push_str("  (none)\n");
    }
    for asset in &plan.assets {
        out.push_str(&format!("  {} ({} bytes)\n", asset.name, asset.size));
    }
    out.push_str(&format!("body:\n{}\n", plan.body));
    out
}
