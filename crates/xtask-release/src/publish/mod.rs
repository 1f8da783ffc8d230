//! `publish-ordered`: publish workspace crates in dependency order, resumably.

use anyhow::{Result, bail};
use serde::Deserialize;

use crate::context::Ctx;

/// `[workspace.metadata.release.publish]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Upload (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Registry name from cargo's configuration [default: crates.io]
    #[arg(long)]
    pub registry: Option<String>,
    /// Sparse index URL to check [default: from cargo's configuration]
    #[arg(long)]
    pub index_url: Option<String>,
    /// Publish only these packages
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    pub packages: Vec<String>,
    /// Leave these packages out
    #[arg(long, value_name = "PKG")]
    pub exclude: Vec<String>,
    /// Crates of one level uploaded at once
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("publish-ordered is not implemented yet")
    }
}
