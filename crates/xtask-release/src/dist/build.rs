//! `dist`: build release binaries for one target and lay them out as assets.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The target triple to build for
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
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("dist is not implemented yet")
    }
}
