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
mod init;
mod publish_ordered;
mod release;
mod rollback;
mod tag;
mod verify_assets;
mod verify_published;

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::approval;
use crate::audit::Produced;
use crate::context::Ctx;
use crate::steps::preflight;
use crate::workspace::Workspace;

#[derive(Debug, Parser)]
#[command(name = "xtask-release", version, about)]
pub struct Cli {
    /// Path to the workspace's root Cargo.toml [default: found from the current directory upward]
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Print the plan or result as human-readable text or as JSON (`table` is an alias of `text`)
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// With --execute: run only the plan with this digest, as its dry run printed it
    /// (`plan: sha256:...`); required for the commands listed in `require-approval`
    #[arg(long, global = true, value_name = "DIGEST")]
    pub approve: Option<String>,

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

const ENV_GITHUB: &str = "Environment:
  GITHUB_TOKEN       the token for GitHub's API (needed with --execute; never printed)
  GITHUB_REPOSITORY  owner/name [default: from the URL of the `remote` in the config]
  GITHUB_API_URL     the API's base URL, for GitHub Enterprise [default: https://api.github.com]
  GITHUB_REF_NAME    the tag a workflow runs for, the default --tag";
const ENV_PUBLISH: &str = "Environment:
  CARGO_REGISTRY_TOKEN          the crates.io token (or cargo's credentials.toml, or `cargo login`)
  CARGO_REGISTRIES_<NAME>_TOKEN  the token of the registry NAME given with --registry
  Tokens are never printed: every token cargo would use is masked in all output.";
const ENV_ROLLBACK: &str = "Environment:
  CARGO_REGISTRY_TOKEN, CARGO_REGISTRIES_<NAME>_TOKEN  the registry token for `cargo yank`
  GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL      to mark the GitHub release (see github-release --help)";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Adopt xtask-release in this repository: an xtask, the alias, the workflows, the config
    Init(init::Args),
    /// Set a new version everywhere it lives: manifests, requirements, Cargo.lock, extra files
    Bump(bump::Args),
    /// Check that tag, manifests, Cargo.lock, extra files and changelog agree on the version
    CheckVersion(check_version::Args),
    /// Create the annotated release tag after preflight checks, and optionally push it
    Tag(tag::Args),
    /// Run the whole local release runbook: checks, bump, commit, tag, push
    Release(release::Args),
    /// Publish workspace crates in dependency order, skipping what is already published
    #[command(after_help = ENV_PUBLISH)]
    PublishOrdered(publish_ordered::Args),
    /// Print the GitHub Actions build matrix of targets, runners and asset names
    BuildMatrix(build_matrix::Args),
    /// Build release binaries for one target and lay them out as release assets
    Dist(dist::Args),
    /// Write or verify `.sha256` files (and an optional combined sums file)
    Checksum(checksum::Args),
    /// Check that a directory holds exactly the promised assets and that they verify
    VerifyAssets(verify_assets::Args),
    /// Write the changelog section for a version: the notes under [Unreleased], else the commits since the
    /// previous tag
    #[command(
        after_help = "Environment:\n  SOURCE_DATE_EPOCH  the section's date, for reproducible output [default: today, UTC]"
    )]
    Changelog(changelog::Args),
    /// Create the GitHub release for a tag and upload every asset
    #[command(after_help = ENV_GITHUB)]
    GithubRelease(github_release::Args),
    /// Check the published release: crates on the registry, the GitHub release's assets, a health endpoint
    #[command(after_help = ENV_GITHUB)]
    VerifyPublished(verify_published::Args),
    /// Take a release back: yank its crates, mark its GitHub release YANKED, delete its tag (--undo reverses)
    #[command(after_help = ENV_ROLLBACK)]
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

/// What a command's `run` gets: the engine's context, the output format asked for, and
/// what `--execute` is gated on.
pub(crate) struct Cx {
    pub ctx: Ctx,
    format: Option<Format>,
    /// The command's name, as `require-approval` lists it and the audit trail records it.
    command: &'static str,
    approve: Option<String>,
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

    /// Prints `value` as the one JSON document on stdout: an object with
    /// `"format_version": 1` first, and paths inside the workspace relative to its root.
    pub fn print_json<T: Serialize>(&self, value: &T) -> Result<()> {
        let text = crate::output::json_document(value)?;
        crate::outln!("{}", crate::ops::redact::redact(&self.relative(text)));
        Ok(())
    }

    /// Every JSON string that starts with the workspace root, made relative to it. On the
    /// serialised text, so that every plan and outcome type gets it without knowing the
    /// root, and key order stays as the types declare it. A path outside the root (cargo's
    /// target directory or `--out` elsewhere) stays absolute: a `../` path would mean
    /// something else to a reader in another directory, and says nothing shorter.
    fn relative(&self, text: String) -> String {
        let Some(root) = self.ctx.root().and_then(|r| serde_json::to_string(r).ok()) else { return text };
        // The root as it appears inside a JSON string, with its opening quote.
        let quoted = root.trim_end_matches('"');
        if quoted.len() < 3 {
            return text;
        }
        let sep = if quoted.contains('\\') { "\\\\" } else { "/" };
        text.replace(&format!("{quoted}{sep}"), "\"").replace(&format!("{quoted}\""), "\".\"")
    }

    /// Prints a plan as the JSON document, with its `plan_digest`, and keeps it for a
    /// later `--approve`.
    pub fn print_plan_json<P: Serialize>(&self, ws: &Workspace, plan: &P) -> Result<()> {
        let tree = self.work_tree(ws);
        let digest = approval::dry_run(&ws.target_dir, plan, &tree, self.gated(ws))?;
        self.print_json(&approval::with_digest(plan, &tree, &digest))
    }

    /// The tree the plan is made from, which its digest covers.
    pub fn work_tree(&self, ws: &Workspace) -> approval::WorkTree {
        approval::WorkTree::read(&self.ctx.sh, &ws.target_dir)
    }

    /// A dry run's `plan: sha256:<hex>` line, the digest `--approve` takes (in JSON it is
    /// `plan_digest`, from [`Cx::print_plan_json`]). On stderr, with the status lines, so
    /// that stdout stays the command's result (a changelog section, a diff).
    /// Returns the digest.
    pub fn print_digest<P: Serialize>(&self, ws: &Workspace, plan: &P) -> Result<String> {
        let digest = approval::dry_run(&ws.target_dir, plan, &self.work_tree(ws), self.gated(ws))?;
        if !self.json() {
            print_digest_line(&digest);
        }
        Ok(digest)
    }

    /// The one place a command's plan is executed: the approval gate (`--approve`,
    /// `require-approval`) first, so a refusal changes nothing, then `run`, recorded as one
    /// line of the audit trail with what it produced. `version` is the release the step is
    /// for [default: the workspace's].
    pub fn execute<P: Serialize, T>(
        &self,
        ws: &Workspace,
        plan: &P,
        version: Option<&semver::Version>,
        run: impl FnOnce(&mut Produced) -> Result<T>,
    ) -> Result<T> {
        // A command gated here must be one `require-approval` accepts, or no config could
        // gate it; `init` is only recorded (it writes files a commit shows, before any
        // config exists to gate it).
        debug_assert!(
            crate::config::APPROVABLE.contains(&self.command) || self.command == "init",
            "{} is not in APPROVABLE",
            self.command
        );
        approval::execute(&self.ctx.sh, ws, self.command, plan, self.approve.as_deref(), version, run)
    }

    /// Whether `require-approval` lists this command.
    fn gated(&self, ws: &Workspace) -> bool {
        ws.config.require_approval.iter().any(|c| c == self.command)
    }

    /// The `--approve` digest, for a command that gates its own steps (`rollback`).
    pub fn approve(&self) -> Option<&str> {
        self.approve.as_deref()
    }
}

/// The usual confirmation before an irreversible `--execute`: `--yes`, or a `y` typed at
/// the terminal. Without a terminal and without `--yes` it refuses, so nothing runs
/// unattended by accident. (`--yes` never passes the approval gate.)
pub(crate) fn confirm(yes: bool, question: &str) -> Result<()> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to {question} without confirmation: stdin is not a terminal; pass --yes to confirm");
    }
    eprint!("{question}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        bail!("not confirmed; nothing was done");
    }
    Ok(())
}

/// `plan: sha256:<hex>` on stderr.
pub(crate) fn print_digest_line(digest: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "plan: {digest}");
}

/// Prints check results as an indented list, each failure followed by its fix.
pub(crate) fn print_checks(checks: &[preflight::Check]) {
    for check in checks {
        let label = match check.outcome {
            preflight::Outcome::Passed => "ok",
            preflight::Outcome::Failed => "FAILED",
            preflight::Outcome::Skipped => "skipped",
            preflight::Outcome::Pending => "pending",
        };
        crate::outln!("    {label:<8}{}: {}", check.name, check.detail);
        if let Some(fix) = check.fix.as_deref().filter(|_| check.is_failed()) {
            crate::outln!("    {:<8}fix: {fix}", "");
        }
    }
}

/// The tag an executed step made or kept, for its audit line: the tag object and the
/// commit it names.
fn produced_tag(sh: &xshell::Shell, tag: &str, produced: &mut Produced) -> Result<()> {
    if let Some(info) = crate::ops::git::tag_info(sh, tag)? {
        produced.add("tag", tag);
        produced.add("tag_object", info.object);
        produced.add("tag_commit", info.commit);
    }
    Ok(())
}

impl Command {
    /// The command's name on the command line.
    fn name(&self) -> &'static str {
        match self {
            Command::Init(_) => "init",
            Command::Bump(_) => "bump",
            Command::CheckVersion(_) => "check-version",
            Command::Tag(_) => "tag",
            Command::Release(_) => "release",
            Command::PublishOrdered(_) => "publish-ordered",
            Command::BuildMatrix(_) => "build-matrix",
            Command::Dist(_) => "dist",
            Command::Checksum(_) => "checksum",
            Command::VerifyAssets(_) => "verify-assets",
            Command::Changelog(_) => "changelog",
            Command::GithubRelease(_) => "github-release",
            Command::VerifyPublished(_) => "verify-published",
            Command::Rollback(_) => "rollback",
            Command::Audit(_) => "audit",
        }
    }
}

impl Cli {
    /// Runs the command; `invocation` is how the user runs us (see [`invocation`]).
    pub fn run(self, invocation: &str) -> Result<()> {
        let command = self.command.name();
        let ctx = Ctx::new(self.manifest_path, invocation)?;
        let cx = Cx { ctx, format: self.format, command, approve: self.approve };
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
            Command::Init(args) => args.run(&cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// Every name `require-approval` accepts is a command of the CLI.
    #[test]
    fn approvable_commands_are_commands() {
        let cli = super::Cli::command();
        let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
        for name in crate::config::APPROVABLE {
            assert!(names.contains(name), "{name} is not one of {names:?}");
        }
    }
}
