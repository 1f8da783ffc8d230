//! `build-matrix`: the GitHub Actions matrix of targets, runners and asset names.

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("build-matrix is not implemented yet")
    }
}
