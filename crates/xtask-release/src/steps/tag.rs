//! `tag`: the annotated release tag, after preflight checks.

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Create the tag (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Push the tag, and only the tag, to the remote
    #[arg(long)]
    pub push: bool,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("tag is not implemented yet")
    }
}
