//! Release steps for Rust workspaces, as a library behind the `xtask-release` CLI.
//!
//! Every command follows the same shape: gather facts (cargo metadata, git state,
//! registry state), compute a plan as plain data, then either print it (the default dry
//! run, or JSON with `--format json`) or execute it step by step (`--execute`).
//!
//! A workspace's own xtask needs only:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     xtask_release::main()
//! }
//! ```
//!
//! # As a library
//!
//! The CLI (`cli`, the only module that knows clap) is a thin shell over the engine:
//! each command has a plain `Options` type, a `plan` from the facts, and an `execute`
//! that reports progress through a [`report::Reporter`] and returns an outcome. A
//! program that bumps the version and checks that every file agrees, without clap:
//!
//! ```
//! use xtask_release::report::Recorder;
//! use xtask_release::steps::{bump, check_version};
//! use xtask_release::workspace::Workspace;
//!
//! # fn main() -> anyhow::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let manifest = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";
//! # std::fs::write(dir.path().join("Cargo.toml"), manifest)?;
//! # std::fs::create_dir(dir.path().join("src"))?;
//! # std::fs::write(dir.path().join("src/lib.rs"), "")?;
//! let manifest_path = dir.path().join("Cargo.toml");
//! let sh = xshell::Shell::new()?;
//! let ws = Workspace::load(&sh, Some(manifest_path.as_path()))?;
//!
//! let target = "minor".parse()?;
//! let plan = bump::plan(&ws, &bump::Options::new(target))?;
//! assert_eq!(plan.version.to_string(), "0.2.0");
//! let reporter = Recorder::default();
//! let outcome = bump::execute(&ws, &plan, &reporter)?;
//! assert_eq!(outcome.written.len(), plan.edits.len());
//!
//! // Read the workspace again: the versions cargo reported before the bump are stale.
//! let ws = Workspace::load(&sh, Some(manifest_path.as_path()))?;
//! let check = check_version::check(&sh, &ws, &check_version::Options::new().tag("v0.2.0"))?;
//! assert!(check.passed(), "{:?}", check.problems);
//! # Ok(())
//! # }
//! ```
//!
//! # What the semver promise covers
//!
//! A semver-compatible release (0.1.x to 0.1.y now; any 1.x from 1.0) does not break
//! each command's `Options` (built with `new`, `Default` and the setters; the types are
//! `#[non_exhaustive]`, so new options can be added), its `plan` and `execute` functions,
//! the plan and outcome types they return (also `#[non_exhaustive]`: their fields are
//! read, and a plan comes only from `plan`; the enums among them, such as a crate's
//! publish `Status`, may gain variants, so a `match` needs a `_` arm), and the
//! [`report::Reporter`] trait; the
//! command line; and the JSON documents that `--format json` prints, which carry
//! `"format_version": 1` (a key is only added within a format version, never removed or
//! changed in meaning).
//!
//! In Rust terms that is what these public modules hold: the commands' engines
//! ([`steps`]: `bump`, `check-version`, `tag`, `release`; [`publish`]: `publish-ordered`;
//! [`dist`]: `build-matrix`, `dist`, `checksum`, `verify-assets`; [`changelog`];
//! [`github`]: `github-release`; [`verify_published`]; [`rollback`]; [`audit`]; [`init`]),
//! the facts they plan from ([`workspace::Workspace`]), what `bump` and `release` are
//! asked for ([`version::Target`]), and [`report`], with [`main`], [`run`], the exit codes
//! and [`UsageError`]. Everything else is `pub(crate)`: git, cargo and HTTP primitives,
//! the config parser, the text renderers. Items marked `#[doc(hidden)]` are there for this
//! crate's own tests and are not covered. Text output, status lines and anything not
//! reachable from the types above may change in any release.
//!
//! The approval gate (`require-approval`, `--approve`) and the audit line each executed
//! command writes belong to the command line: a program that calls a command's `execute`
//! has approved the plan it made, and records what it needs. Two engines write the audit
//! trail themselves, because what they record is read back: [`rollback::execute`] (one line
//! per step; `rollback --undo` finds there the commit a deleted tag pointed at) and
//! [`verify_published::check`].

// A pub(crate) type reachable from the public API (a field, a parameter) is an error:
// re-export it where users meet it, or narrow what exposes it.
#![warn(unnameable_types)]
pub(crate) mod actions;
pub(crate) mod approval;
pub mod audit;
pub(crate) mod cargo_release;
pub mod changelog;
// Its types are reachable through the hidden `Cli` below, not covered by semver.
#[allow(unnameable_types)]
pub(crate) mod cli;
pub(crate) mod config;
pub(crate) mod context;
pub mod dist;
pub mod github;
pub mod init;
pub(crate) mod ops;
pub(crate) mod output;
pub mod publish;
pub mod report;
pub mod rollback;
pub mod steps;
pub(crate) mod template;
pub mod verify_published;
pub mod version;
pub mod workspace;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

// Not covered by semver (its derive makes clap part of its API): tests/workflows.rs parses
// the workflows' `cargo xtask` lines with it, and tests/cli.rs runs clap's own checks.
#[doc(hidden)]
pub use cli::Cli;

/// Exit code for a failed check or step; clap exits with 2 on a usage error itself.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a usage error: clap's own, and [`UsageError`].
pub const EXIT_USAGE: u8 = 2;

/// Arguments that parse but contradict each other (`-p X --exclude X`): a usage error,
/// exit 2 like clap's, found by the engine without it knowing about clap.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs the CLI on the process's own arguments.
pub fn main() -> ExitCode {
    run(std::env::args_os())
}

/// Runs the CLI on `args` (the first item is the program name) and maps the outcome to
/// the contract's exit codes: 0 ok, 1 a check or step failed, 2 usage error.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // Every token cargo would find from here, and GitHub's, before anything can echo one.
    publish::registry_config::register_tokens(&std::env::current_dir().unwrap_or_default());
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // Usage lines and the commands we suggest name the program as it was run: `cargo
    // xtask` through the alias, else the binary's own name.
    let invocation = cli::invocation(args.first().map(OsString::as_os_str));
    let command = Cli::command().bin_name(&invocation);
    let cli = match command.try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version to stdout with exit 0, usage errors with 2.
            let _ = err.print();
            return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
        }
    };
    match cli.run(&invocation) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::Output::from_env().error(&err);
            let usage = err.downcast_ref::<UsageError>().is_some();
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_FAILED })
        }
    }
}
