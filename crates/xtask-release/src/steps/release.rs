//! `release`: the whole local runbook as numbered steps.

use anyhow::{Result, bail};

use crate::context::Ctx;
use crate::version::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new version, or a level: major, minor, patch, release, rc, beta, alpha
    pub version: Target,
    /// Act (default: print every step and every check's result)
    #[arg(long)]
    pub execute: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Skip `cargo fmt --check`, clippy and the tests
    #[arg(long)]
    pub no_verify: bool,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("release is not implemented yet")
    }
}
