//! `changelog`: the section for a version from the commits since the previous tag.

use anyhow::{Result, bail};

use crate::context::Ctx;

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
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("changelog is not implemented yet")
    }
}
