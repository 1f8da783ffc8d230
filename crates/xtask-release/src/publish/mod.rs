//! `publish-ordered`: publish workspace crates in dependency order, resumably.
//!
//! Facts first (cargo metadata, cargo's registry config, the sparse index), then a plan
//! computed by pure functions (`plan`), printed by the dry run or carried out by
//! `execute`. The registry is the source of truth for what is published, so re-running
//! the same command after any failure publishes only what is missing.

pub mod api;
pub mod batch;
mod execute;
pub mod index;
pub mod metadata;
pub mod pace;
mod pipeline;
pub mod plan;
pub mod platform;
pub mod registry;
mod report;
pub mod retry;
mod upload;

pub use execute::IndexWait;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

use crate::context::Ctx;
use index::Index;
use pace::RateLimit;
use plan::Plan;
use registry::Registry;

/// `[workspace.metadata.xtask-release.publish]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Seconds to wait for an uploaded version to show in the sparse index.
    pub index_timeout: u64,
    /// Uploads at once, among crates whose dependencies are already visible.
    pub jobs: usize,
    /// Pacing of uploads: `none`, `crates-io`, or `BURST/SECONDSs`.
    pub rate_limit: RateLimit,
    /// Attempts after the first one when an upload fails with a server error or a dropped
    /// connection.
    pub retries: u32,
    /// When to wait for the index: `end` (once, before success) or `each` (after each
    /// upload, before its dependents).
    pub index_wait: IndexWait,
}

impl Default for Config {
    fn default() -> Config {
        Config { index_timeout: 300, jobs: 8, rate_limit: RateLimit::None, retries: 5, index_wait: IndexWait::End }
    }
}

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
    /// Uploads at once [default: `jobs` in the config, 8]
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub jobs: Option<usize>,
    /// Pace uploads: `none`, `crates-io` (its published limits) or BURST/SECONDSs [default: `rate-limit` in
    /// the config, none]
    #[arg(long, value_name = "LIMIT")]
    pub rate_limit: Option<RateLimit>,
    /// Wait for the index once at the end (`end`), or after each upload before its dependents (`each`)
    /// [default: `index-wait` in the config, end]
    #[arg(long, value_name = "WHEN")]
    pub index_wait: Option<IndexWait>,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let config = &ws.config.publish;
        let registry = Registry::resolve(self.registry.as_deref(), self.index_url.as_deref(), ws.root.as_std_path())?;
        let name = registry.name.as_deref();

        let selected = plan::select(&ws, name, &self.packages, &self.exclude)?;
        plan::check_dependencies(&ws, &selected, name)?;
        let levels = plan::levels(&ws, &selected)?;
        let index = Index::new(&registry.index_url);
        let published = published_versions(&index, levels.iter().flatten().map(|m| m.name.as_str()))?;
        let plan = Plan::new(registry, &levels, &published);

        if !self.execute {
            report::print_plan(ctx, &plan)?;
            if plan.registry.token_source(ws.root.as_std_path())?.is_none() {
                ctx.out.warn(format!("no token for {}: {}", plan.registry.display(), plan.registry.token_help()));
            }
            ctx.out.note("dry run: nothing was uploaded; pass --execute to publish");
            return Ok(());
        }
        let options = execute::Options {
            jobs: self.jobs.unwrap_or(config.jobs).max(1),
            index_timeout: Duration::from_secs(config.index_timeout),
            retries: config.retries,
            rate_limit: self.rate_limit.unwrap_or(config.rate_limit),
            index_wait: self.index_wait.unwrap_or(config.index_wait),
        };
        if plan.crates.is_empty() {
            ctx.out.note(format!("nothing to publish: no selected member may go to {}", plan.registry.display()));
            return report::print_result(ctx, &plan, &execute::Outcome { results: Vec::new(), error: None });
        }
        let outcome = execute::run(ctx, &ws, &plan, &index, &options);
        report::print_result(ctx, &plan, &outcome)?;
        match outcome.error {
            None => Ok(()),
            // The cause first, then what to run; not as context, which would print on top.
            Some(err) => {
                let causes: Vec<String> = err.chain().map(ToString::to_string).collect();
                bail!("{}\n\n{}", causes.join(": "), resume_hint())
            }
        }
    }
}

/// What each crate's index file lists: one request per crate, a few at a time, so a
/// large workspace does not open hundreds of connections to the registry's CDN at once.
fn published_versions<'a>(
    index: &Index,
    names: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, Vec<index::Entry>>> {
    const AT_ONCE: usize = 16;
    let names: Vec<&str> = names.collect();
    let mut published = BTreeMap::new();
    for chunk in names.chunks(AT_ONCE) {
        std::thread::scope(|scope| -> Result<()> {
            let lookups: Vec<_> = chunk.iter().map(|&name| (name, scope.spawn(move || index.versions(name)))).collect();
            for (name, lookup) in lookups {
                let entries = lookup.join().map_err(|_| anyhow::anyhow!("the index lookup of `{name}` panicked"))?;
                published.insert(name.to_string(), entries.context("cannot read what the registry has published")?);
            }
            Ok(())
        })?;
    }
    Ok(published)
}

/// The exact command to run again: the registry decides what is left to do.
fn resume_hint() -> String {
    let args: Vec<String> = std::env::args().skip(1).map(|a| shell_quote(&a)).collect();
    format!("fix the cause above, then resume with: {} {}", crate::cli::invocation(), args.join(" "))
}

/// An argument as a POSIX shell would need it quoted to read it back as one word.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c));
    if plain { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_and_defaults() {
        let config: Config = serde_json::from_str(r#"{"rate-limit": "crates-io", "jobs": 2}"#).unwrap();
        assert_eq!(
            (config.jobs, config.rate_limit, config.index_timeout, config.retries, config.index_wait),
            (2, RateLimit::CratesIo, 300, 5, IndexWait::End)
        );
        let config: Config = serde_json::from_str(r#"{"index-wait": "each"}"#).unwrap();
        assert_eq!(config.index_wait, IndexWait::Each);
        assert!(serde_json::from_str::<Config>(r#"{"index-wait": "never"}"#).is_err());
        assert_eq!("each".parse::<IndexWait>(), Ok(IndexWait::Each));
        let err = serde_json::from_str::<Config>(r#"{"rate-limit": "fast"}"#).unwrap_err().to_string();
        assert!(err.contains("invalid rate limit `fast`"), "{err}");
        assert!(serde_json::from_str::<Config>(r#"{"index-timout": 5}"#).is_err());
    }

    #[test]
    fn resume_commands_quote_what_a_shell_would_split() {
        assert_eq!(shell_quote("--registry"), "--registry");
        assert_eq!(shell_quote("my crate"), "'my crate'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
