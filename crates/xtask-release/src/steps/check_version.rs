//! `check-version`: tag, manifests, lock file, extra files and changelog agree.

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tag to check against [default: $GITHUB_REF_NAME when it names a tag]
    #[arg(long)]
    pub tag: Option<String>,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("check-version is not implemented yet")
    }
}
