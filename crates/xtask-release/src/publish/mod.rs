//! `publish-ordered`: publish workspace crates in dependency order, resumably.
//!
//! Facts first (cargo metadata, cargo's registry config, the sparse index), then a plan
//! computed by pure functions (`plan`), which the CLI prints for a dry run, or carried
//! out by `execute`. The registry is the source of truth for what is published, so re-running
//! the same command after any failure publishes only what is missing.

pub(crate) mod batch;
pub(crate) mod cargo_errors;
pub(crate) mod content;
pub(crate) mod index;
pub(crate) mod metadata;
pub(crate) mod order;
pub(crate) mod pace;
pub(crate) mod packaged;
mod pipeline;
pub(crate) mod platform;
pub(crate) mod registry_config;
mod run;
mod same_files;
mod tries;
mod unpacked;
mod upload;
pub(crate) mod verified;
pub(crate) mod web_api;

// The plan and what it is made of.
pub use order::{Crate, Plan, Settings, State, Upload, Via};
pub use pace::{Budget, Estimate, RateLimit};
pub use registry_config::Registry;
pub use run::IndexWait;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde::Deserialize;

use xshell::Shell;

use crate::context::shell_quote;
use crate::report::Reporter;
use crate::workspace::{Member, Workspace};
use index::Index;
pub use run::{CrateResult, Outcome, Status};

/// `[workspace.metadata.xtask-release.publish]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct Config {
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
        let Settings { jobs, index_timeout, retries, rate_limit, index_wait, .. } = Settings::default();
        Config { index_timeout, jobs, rate_limit, retries, index_wait }
    }
}

/// What to publish, where, and how fast. `None` fields fall back to the `publish`
/// section of the config (`[workspace.metadata.xtask-release.publish]`, or the root
/// package's) and cargo's registry configuration.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Registry name from cargo's configuration [default: crates.io].
    pub registry: Option<String>,
    /// Sparse index URL to check [default: from cargo's configuration].
    pub index_url: Option<String>,
    /// Publish only these packages.
    pub packages: Vec<String>,
    /// Leave these packages out.
    pub exclude: Vec<String>,
    /// Uploads at once [default: `jobs` in the config].
    pub jobs: Option<usize>,
    /// Pacing of uploads [default: `rate-limit` in the config].
    pub rate_limit: Option<RateLimit>,
    /// Wait for the index once at the end, or after each upload before its dependents
    /// [default: `index-wait` in the config].
    pub index_wait: Option<IndexWait>,
    /// Refuse to compile: upload only packages that `--verify` verified at this commit,
    /// byte for byte, and fail before any upload otherwise.
    pub require_verified: bool,
}

impl Options {
    /// Every setting of the run: each option given, else the config's key, else its default.
    fn settings(&self, config: &Config) -> Settings {
        Settings {
            jobs: self.jobs.unwrap_or(config.jobs).max(1),
            index_timeout: config.index_timeout,
            retries: config.retries,
            rate_limit: self.rate_limit.unwrap_or(config.rate_limit),
            index_wait: self.index_wait.unwrap_or(config.index_wait),
            require_verified: self.require_verified,
        }
    }
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn registry(mut self, name: impl Into<String>) -> Options {
        self.registry = Some(name.into());
        self
    }

    pub fn index_url(mut self, url: impl Into<String>) -> Options {
        self.index_url = Some(url.into());
        self
    }

    pub fn package(mut self, name: impl Into<String>) -> Options {
        self.packages.push(name.into());
        self
    }

    pub fn exclude(mut self, name: impl Into<String>) -> Options {
        self.exclude.push(name.into());
        self
    }

    pub fn jobs(mut self, jobs: usize) -> Options {
        self.jobs = Some(jobs);
        self
    }

    pub fn rate_limit(mut self, limit: RateLimit) -> Options {
        self.rate_limit = Some(limit);
        self
    }

    pub fn index_wait(mut self, wait: IndexWait) -> Options {
        self.index_wait = Some(wait);
        self
    }

    pub fn require_verified(mut self, require: bool) -> Options {
        self.require_verified = require;
        self
    }

    /// The exact command to run again after a failure: the registry decides what is left
    /// to do, so the same options finish the job.
    pub fn resume_command(&self, invocation: &str) -> String {
        let mut args = vec![invocation.to_string(), "publish-ordered".into()];
        let mut push = |flag: &str, value: &str| {
            args.push(flag.into());
            args.push(shell_quote(value));
        };
        if let Some(registry) = &self.registry {
            push("--registry", registry);
        }
        if let Some(url) = &self.index_url {
            push("--index-url", url);
        }
        for package in &self.packages {
            push("--package", package);
        }
        for package in &self.exclude {
            push("--exclude", package);
        }
        if let Some(jobs) = self.jobs {
            push("--jobs", &jobs.to_string());
        }
        if let Some(limit) = &self.rate_limit {
            push("--rate-limit", &limit.to_string());
        }
        if let Some(wait) = self.index_wait {
            push("--index-wait", if wait == IndexWait::Each { "each" } else { "end" });
        }
        if self.require_verified {
            args.push("--require-verified".into());
        }
        args.push("--execute".into());
        args.join(" ")
    }
}

/// The facts (cargo's registry config, the workspace's crates, what the index lists, the
/// commit and what each package is made from) and the plan from them: which crates go up,
/// in which order, and every setting the run follows. Changes nothing, compiles nothing.
pub fn plan(ws: &Workspace, options: &Options) -> Result<Plan> {
    let Accepted { registry, selected, levels } = refusals(ws, options)?;
    let name = registry.name.as_deref();
    let index = Index::new(&registry.index_url);
    let published = published_versions(&index, levels.iter().flatten().map(|m| m.name.as_str()))?;
    let needed = published_versions(&index, order::left_out(&selected).into_iter())?;
    order::check_left_out(&selected, &needed)?;
    let upload = order::Upload::decide(&registry.credential(ws.root.as_std_path())?, &registry);
    let sh = Shell::new().context("cannot read the current directory")?;
    sh.change_dir(ws.root.as_std_path());
    let contents = content::digests(&sh, ws, levels.iter().flatten().copied(), name)?;
    let settings = options.settings(&ws.config.publish);
    let mut plan = Plan::new(registry, &levels, &published, &contents, upload, settings);
    plan.commit = crate::ops::git::head(&sh).ok();
    Ok(plan)
}

/// What the plan refuses before it reads the index, from the manifests alone: a package
/// that may not go to the registry, an internal dependency without a version, on an
/// unpublished member or not resolving in the registry, a cycle. `release` runs it in its
/// preflight, so that no tag is pushed for a release the publish job would refuse.
pub fn refusals<'a>(ws: &'a Workspace, options: &Options) -> Result<Accepted<'a>> {
    let registry = Registry::resolve(options.registry.as_deref(), options.index_url.as_deref(), ws.root.as_std_path())?;
    let name = registry.name.as_deref();
    let selected = order::select(ws, name, &options.packages, &options.exclude)?;
    order::check_dependencies(ws, &selected, &registry)?;
    let levels = order::levels(ws, &selected)?;
    Ok(Accepted { registry, selected, levels })
}

/// What [`refusals`] accepted: the registry, the crates selected and their upload levels.
pub struct Accepted<'a> {
    pub registry: Registry,
    pub selected: Vec<&'a Member>,
    pub levels: Vec<Vec<&'a Member>>,
}

/// Uploads what the plan says, with the plan's settings, after a preflight over the whole
/// set, running cargo in `sh` (at the workspace root) and saying what it does through
/// `reporter`. Right before the first upload it checks that the commit and each crate's
/// files are still those the plan was made from. Never fails by itself: what happened to
/// each crate, and the error that stopped the run, are in the outcome.
pub fn execute(sh: &Shell, ws: &Workspace, plan: &Plan, reporter: &dyn Reporter) -> Outcome {
    let planned = &plan.settings;
    let settings = run::Options {
        jobs: planned.jobs.max(1),
        index_timeout: Duration::from_secs(planned.index_timeout),
        retries: planned.retries,
        rate_limit: planned.rate_limit,
        index_wait: planned.index_wait,
        require_verified: planned.require_verified,
        table: ws.config.table,
    };
    if plan.crates.is_empty() {
        return Outcome { results: Vec::new(), error: None };
    }
    let index = Index::new(&plan.registry.index_url);
    run::run(sh, ws, plan, &index, &settings, reporter)
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
