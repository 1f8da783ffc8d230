//! The command-line interface: global options and one subcommand per release step.
//!
//! The only place that knows clap. Each `<command>.rs` here turns its arguments into the
//! engine's plain options, calls the engine's `plan` and `execute`, and renders what comes
//! back as text or JSON; the engine module it calls is its first `use`.

mod audit;
mod build_matrix;
mod bump;
mod changelog;
mod check_version;
mod checksum;
mod dist;
mod github_release;
mod publish_ordered;
mod release;
mod rollback;
mod tag;
mod verify_assets;
mod verify_published;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::context::Ctx;

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

/// How results are printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[value(alias = "table")]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set a new version everywhere it lives: manifests, requirements, Cargo.lock, extra files
    Bump(bump::Args),
    /// Check that tag, manifests, Cargo.lock, extra files and changelog agree on the version
    CheckVersion(check_version::Args),
    /// Create the annotated release tag after preflight checks, and optionally push it
    Tag(tag::Args),
    /// Run the whole local release runbook: checks, bump, commit, tag, push
    Release(release::Args),
    /// Publish workspace crates in dependency order, skipping what is already published
    PublishOrdered(publish_ordered::Args),
    /// Print the GitHub Actions build matrix of targets, runners and asset names
    BuildMatrix(build_matrix::Args),
    /// Build release binaries for one target and lay them out as release assets
    Dist(dist::Args),
    /// Write or verify `.sha256` files (and an optional combined sums file)
    Checksum(checksum::Args),
    /// Check that a directory holds exactly the promised assets and that they verify
    VerifyAssets(verify_assets::Args),
    /// Write the changelog section for a version from the commits since the previous tag
    Changelog(changelog::Args),
    /// Create the GitHub release for a tag and upload every asset
    GithubRelease(github_release::Args),
    /// Check the published release: crates on the registry, the GitHub release's assets, a health endpoint
    VerifyPublished(verify_published::Args),
    /// Take a release back: yank its crates, mark its GitHub release YANKED, delete its tag (--undo reverses)
    Rollback(rollback::Args),
    /// Print the audit trail of executed steps, or check that it is intact (--verify)
    Audit(audit::Args),
}

/// How the user ran us, for commands we tell them to run: `cargo xtask` from a
/// workspace's xtask, else the program's name.
pub fn invocation(argv0: Option<&std::ffi::OsStr>) -> String {
    let name = argv0.and_then(|a| std::path::Path::new(a).file_stem()).map(|s| s.to_string_lossy().into_owned());
    match name.as_deref() {
        Some("xtask") | Some("") | None => "cargo xtask".into(),
        Some(name) => name.into(),
    }
}

/// What a command's `run` gets: the engine's context and the output format asked for.
pub(crate) struct Cx {
    pub ctx: Ctx,
    format: Option<Format>,
}

impl Cx {
    /// The format asked for on the command line, or `default` when none was.
    pub fn format_or(&self, default: Format) -> Format {
        self.format.unwrap_or(default)
    }

    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Some(Format::Json)
    }

    /// Prints `value` as the one JSON document on stdout, with `format_version` first.
    pub fn print_json<T: Serialize>(&self, value: &T) -> Result<()> {
        crate::output::print_json(value)
    }
}

impl Cli {
    /// Runs the command; `invocation` is how the user runs us (see [`invocation`]).
    pub fn run(self, invocation: &str) -> Result<()> {
        let cx = Cx { ctx: Ctx::new(self.manifest_path, invocation)?, format: self.format };
        match self.command {
            Command::Bump(args) => args.run(&cx),
            Command::CheckVersion(args) => args.run(&cx),
            Command::Tag(args) => args.run(&cx),
            Command::Release(args) => args.run(&cx),
            Command::PublishOrdered(args) => args.run(&cx),
            Command::BuildMatrix(args) => args.run(&cx),
            Command::Dist(args) => args.run(&cx),
            Command::Checksum(args) => args.run(&cx),
            Command::VerifyAssets(args) => args.run(&cx),
            Command::Changelog(args) => args.run(&cx),
            Command::GithubRelease(args) => args.run(&cx),
            Command::VerifyPublished(args) => args.run(&cx),
            Command::Rollback(args) => args.run(&cx),
            Command::Audit(args) => args.run(&cx),
        }
    }
}
