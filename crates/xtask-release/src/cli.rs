//! The command-line interface: global options and one subcommand per release step.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::context::Ctx;
use crate::{audit, dist, github, publish, rollback, steps, verify_published};

#[derive(Debug, Parser)]
#[command(name = "xtask-release", version, about)]
pub struct Cli {
    /// Path to the workspace's root Cargo.toml [default: found from the current directory upward]
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Print the plan or result as human-readable text or as JSON (`table` is an alias of `text`)
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[value(alias = "table")]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set a new version everywhere it lives: manifests, requirements, Cargo.lock, extra files
    Bump(steps::bump::Args),
    /// Check that tag, manifests, Cargo.lock, extra files and changelog agree on the version
    CheckVersion(steps::check_version::Args),
    /// Create the annotated release tag after preflight checks, and optionally push it
    Tag(steps::tag::Args),
    /// Run the whole local release runbook: checks, bump, commit, tag, push
    Release(steps::release::Args),
    /// Publish workspace crates in dependency order, skipping what is already published
    PublishOrdered(publish::Args),
    /// Print the GitHub Actions build matrix of targets, runners and asset names
    BuildMatrix(dist::matrix::Args),
    /// Build release binaries for one target and lay them out as release assets
    Dist(dist::build::Args),
    /// Write or verify `.sha256` files (and an optional combined sums file)
    Checksum(dist::checksum::Args),
    /// Check that a directory holds exactly the promised assets and that they verify
    VerifyAssets(dist::verify_assets::Args),
    /// Write the changelog section for a version from the commits since the previous tag
    Changelog(github::changelog::Args),
    /// Create the GitHub release for a tag and upload every asset
    GithubRelease(github::release::Args),
    /// Check the published release: crates on the registry, the GitHub release's assets, a health endpoint
    VerifyPublished(verify_published::Args),
    /// Take a release back: yank its crates, mark its GitHub release YANKED, delete its tag (--undo reverses)
    Rollback(rollback::Args),
    /// Print the audit trail of executed steps, or check that it is intact (--verify)
    Audit(audit::Args),
}

/// How the user ran us, for commands we tell them to run: `cargo xtask` from a
/// workspace's xtask, else the binary's name.
pub fn invocation() -> String {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let name = std::path::Path::new(&argv0).file_stem().map(|s| s.to_string_lossy().into_owned());
    match name.as_deref() {
        Some("xtask") | None => "cargo xtask".into(),
        Some(name) => name.into(),
    }
}

impl Cli {
    pub fn run(self) -> Result<()> {
        let ctx = Ctx::new(self.manifest_path, self.format)?;
        match self.command {
            Command::Bump(args) => args.run(&ctx),
            Command::CheckVersion(args) => args.run(&ctx),
            Command::Tag(args) => args.run(&ctx),
            Command::Release(args) => args.run(&ctx),
            Command::PublishOrdered(args) => args.run(&ctx),
            Command::BuildMatrix(args) => args.run(&ctx),
            Command::Dist(args) => args.run(&ctx),
            Command::Checksum(args) => args.run(&ctx),
            Command::VerifyAssets(args) => args.run(&ctx),
            Command::Changelog(args) => args.run(&ctx),
            Command::GithubRelease(args) => args.run(&ctx),
            Command::VerifyPublished(args) => args.run(&ctx),
            Command::Rollback(args) => args.run(&ctx),
            Command::Audit(args) => args.run(&ctx),
        }
    }
}
