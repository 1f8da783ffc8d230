//! `bump`: set a new version everywhere it lives.

use anyhow::{Result, bail};

use crate::context::Ctx;
use crate::version::Target;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new version, or a level: major, minor, patch, release, rc, beta, alpha
    pub version: Target,
    /// Write the changes (default: print them as a diff)
    #[arg(long)]
    pub execute: bool,
    /// Bump only these packages (and their dependents' requirements)
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    pub packages: Vec<String>,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("bump is not implemented yet")
    }
}
