//! `dist`: arguments, the build plan as text or JSON, and what was built: each asset's
//! checksum.

use std::path::PathBuf;

use anyhow::Result;

use super::Cx;
use crate::dist::build::{self, Options, Plan};
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target triple to build for (one of the configured targets)
    #[arg(long)]
    pub target: String,
    /// Where the assets go [default: target/dist]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Build and write (default: print the plan)
    #[arg(long)]
    pub execute: bool,
}

impl Args {
    pub fn options(&self) -> Options {
        Options { target: self.target.clone(), out: self.out.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let plan = build::plan_for(&ctx.sh, &ws, &self.options())?;
        if !self.execute {
            if cx.json() {
                return cx.print_plan_json(&ws, &plan);
            }
            print_plan(&ws, &plan);
            cx.print_digest(&ws, &plan)?;
            ctx.out.note("dry run: nothing was built or written; pass --execute to build the assets");
            return Ok(());
        }
        let outcome = cx.execute(&ws, &plan, Some(&plan.version), |produced| {
            let outcome = build::execute(&ctx.sh, &plan, &ctx.out)?;
            for asset in &outcome.assets {
                produced.add(asset.name.clone(), asset.sha256.clone());
            }
            Ok(outcome)
        })?;
        if cx.json() {
            return cx.print_json(&outcome);
        }
        for asset in &outcome.assets {
            crate::outln!("{}  {}", asset.sha256, ws.rel(&asset.path));
        }
        Ok(())
    }
}

fn print_plan(ws: &Workspace, plan: &Plan) {
    crate::outln!("Plan for {} (version {}):", plan.target, plan.version);
    let env: String = plan.env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    crate::outln!("  run    {env}{} {}", plan.program(), plan.build.join(" "));
    for asset in &plan.assets {
        let from = match asset.archive {
            None => format!("copy of {}", ws.rel(&asset.binary)),
            Some(_) => {
                let mut parts = vec![ws.rel(&asset.binary).to_string()];
                parts.extend(asset.bundled.iter().map(|b| ws.rel(b).to_string()));
                parts.extend(asset.docs.iter().map(|d| ws.rel(d).to_string()));
                format!("archive of {}", parts.join(", "))
            }
        };
        crate::outln!("  write  {}  ({from})", ws.rel(&asset.path));
        crate::outln!("  write  {}", ws.rel(&asset.checksum_file));
    }
    for path in &plan.stale {
        crate::outln!("  remove {}  (an asset of another version)", ws.rel(path));
    }
}
