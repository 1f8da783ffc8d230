//! `checksum`: `.sha256` files in the format `sha256sum -c` reads, written and verified.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files, or directories whose files are hashed
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also write one combined sums file (e.g. SHA256SUMS)
    #[arg(long, value_name = "FILE")]
    pub sums: Option<PathBuf>,
    /// Check existing `.sha256` files (or the sums file) instead of writing
    #[arg(long)]
    pub verify: bool,
}

impl Args {
    pub fn run(self, _ctx: &Ctx) -> Result<()> {
        bail!("checksum is not implemented yet")
    }
}
