//! `verify-assets`: arguments, and the listing of the assets or what did not verify.

use std::path::PathBuf;

use anyhow::Result;

use super::Cx;
use super::checksum::report_findings;
use crate::dist::verify_assets::{self as verify, Options, human_size};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory of assets
    pub dir: PathBuf,
    /// The version the assets are for [default: the workspace's]
    #[arg(long)]
    pub version: Option<semver::Version>,
    /// Check only this target's assets (a triple or a platform name; repeatable) [default: every configured
    /// target]
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,
}

impl Args {
    pub fn options(&self) -> Options {
        Options { dir: self.dir.clone(), version: self.version.clone(), targets: self.targets.clone() }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ws = cx.ctx.workspace()?;
        let outcome = verify::check(&cx.ctx.sh, &ws, &self.options())?;
        if !outcome.passed() {
            return report_findings(cx, &outcome.findings);
        }
        let listed = &outcome.listed;
        if cx.json() {
            let doc = serde_json::json!({ "version": outcome.version, "verified": true, "assets": listed });
            return cx.print_json(&doc);
        }
        let width = listed.iter().map(|l| l.name.len()).max().unwrap_or(0);
        crate::outln!("Assets ({}) for {}:", listed.len(), outcome.version);
        for item in listed {
            crate::outln!("  {:<width$}  {:>10}", item.name, human_size(item.size));
        }
        let shown = self.dir.display();
        cx.ctx.out.status(
            "Verified",
            format!("{} and their checksums in {shown}", crate::output::plural(outcome.promised, "asset")),
        );
        Ok(())
    }
}
