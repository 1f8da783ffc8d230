//! `github-release`: create the release for a tag and upload every asset.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tag [default: $GITHUB_REF_NAME when it names a tag, else the workspace's]
    #[arg(long)]
    pub tag: Option<String>,
    /// Directory whose files are uploaded as assets
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Create and upload (default: print the plan)
    #[arg(long)]
    pub execute: bool,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let _ws = ctx.workspace()?;
        bail!("github-release is not implemented yet")
    }
}
