//! `verify-assets`: a directory holds exactly the promised assets, and they verify.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory of assets
    pub dir: PathBuf,
    /// The version the assets are for [default: the workspace's]
    #[arg(long)]
    pub version: Option<semver::Version>,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("verify-assets is not implemented yet")
    }
}
