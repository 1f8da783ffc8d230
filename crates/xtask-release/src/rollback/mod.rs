//! `rollback VERSION`: take a bad release back. Yank its crates (dependents first),
//! mark its GitHub release YANKED and make it a pre-release (assets stay), delete its
//! tag on the remote and locally. `--undo` reverses each of these. A plan first; it is
//! computed from what the registry, git and GitHub say now, so a re-run after a failure
//! (or after success) does only what is left.

mod undo;
pub use undo::{Outcome, StepResult};
pub(crate) mod undo_plan;

pub use undo_plan::{Action, Plan, Step, unfinishable};

use anyhow::{Context as _, Result};
use semver::Version;
use xshell::{Shell, cmd};

use crate::approval::Approval;
use crate::github::client::{Client, Token};
use crate::github::repo;
use crate::ops::git;
use crate::publish::index::Index;
use crate::publish::registry_config::Registry;
use crate::report::Reporter;
use crate::workspace::Workspace;
use undo_plan::{Facts, Release};

/// Which release to take back (or restore), and where.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The version to roll back.
    pub version: Version,
    /// Registry name from cargo's configuration [default: crates.io].
    pub registry: Option<String>,
    /// Sparse index URL to read [default: from cargo's configuration].
    pub index_url: Option<String>,
    /// Take a rollback back: unyank, restore the release's notes and flag, re-create the tag.
    pub undo: bool,
    /// Why, for the release's YANKED notice.
    pub reason: Option<String>,
    /// With `undo`: the commit to re-create the tag on [default: the one the audit trail recorded].
    pub commit: Option<String>,
    /// Leave the GitHub release alone (no GITHUB_TOKEN needed).
    pub no_github: bool,
}

impl Options {
    pub fn new(version: Version) -> Options {
        Options { version, registry: None, index_url: None, undo: false, reason: None, commit: None, no_github: false }
    }

    pub fn undo(mut self, undo: bool) -> Options {
        self.undo = undo;
        self
    }

    pub fn registry(mut self, name: impl Into<String>) -> Options {
        self.registry = Some(name.into());
        self
    }

    pub fn no_github(mut self, no_github: bool) -> Options {
        self.no_github = no_github;
        self
    }
}

/// The GitHub client for the release, unless `no_github`; it reports retries through
/// `reporter`.
pub fn client<'r>(
    sh: &Shell,
    ws: &Workspace,
    options: &Options,
    reporter: &'r dyn Reporter,
) -> Result<Option<Client<'r>>> {
    if options.no_github {
        return Ok(None);
    }
    let token = Token::from_env().context("pass --no-github to leave the GitHub release alone")?;
    Ok(Some(Client::new(&repo::slug(sh, &ws.config.remote)?, token, reporter)))
}

/// The facts (registry, git, GitHub) and the plan from them. Changes nothing.
pub fn plan(sh: &Shell, ws: &Workspace, options: &Options, client: Option<&Client>) -> Result<Plan> {
    let registry = Registry::resolve(options.registry.as_deref(), options.index_url.as_deref(), ws.root.as_std_path())?;
    let facts = facts(sh, ws, options, registry, client)?;
    let mut plan =
        if options.undo { undo_plan::undo(&facts) } else { undo_plan::rollback(&facts, options.reason.as_deref()) };
    plan.github_api = client.map(|c| c.base().to_string());
    Ok(plan)
}

/// Carries out the plan step by step (nothing when it is [`unfinishable`]), each said
/// through `reporter` and recorded in the workspace's audit trail with the plan's digest (the one a dry run shows); what happened
/// to each step, and the error that stopped it, are in the outcome.
pub fn execute(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    options: &Options,
    client: Option<&Client>,
    reporter: &dyn Reporter,
) -> Outcome {
    match crate::approval::unapproved(sh, &ws.target_dir, plan) {
        Ok(approval) => execute_approved(sh, ws, plan, options, client, approval, reporter),
        Err(err) => Outcome { steps: Vec::new(), error: Some(err) },
    }
}

/// [`execute`] after the CLI's approval gate, whose decision every audit line records.
pub(crate) fn execute_approved(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    options: &Options,
    client: Option<&Client>,
    approval: Approval,
    reporter: &dyn Reporter,
) -> Outcome {
    if let Some(why) = unfinishable(plan) {
        return Outcome { steps: Vec::new(), error: Some(anyhow::anyhow!(why)) };
    }
    let trail = crate::audit::trail(sh, ws, Some(&plan.version)).with_plan(approval.plan_digest, approval.approved);
    undo::run(sh, ws, plan, client, options.reason.as_deref(), &trail, reporter)
}

/// What the registry, git and GitHub say now about the version.
fn facts(sh: &Shell, ws: &Workspace, options: &Options, registry: Registry, client: Option<&Client>) -> Result<Facts> {
    let version = &options.version;
    let tag = ws.config.tag_for(version);
    let name = registry.name.as_deref();
    let selected = crate::publish::order::select(ws, name, &[], &[])?;
    let levels = crate::publish::order::levels(ws, &selected)?;
    let index = Index::new(&registry.index_url);
    let mut crates = Vec::new();
    for member in levels.iter().flatten() {
        let entry = index.find(&member.name, version)?;
        crates.push((member.name.clone(), entry.map(|e| e.yanked)));
    }
    let remote = ws.config.remote.clone();
    let remote_tag = git::has_remote(sh, &remote)? && git::remote_tag(sh, &remote, &tag)?.is_some();
    let local_tag = git::tag_info(sh, &tag)?.map(|t| t.commit);
    let release = match client {
        None => Release::Skipped,
        Some(client) => match undo::find_release(client, &tag)? {
            None => Release::None,
            Some(release) => Release::Found { marked: undo_plan::is_marked(release.body.as_deref().unwrap_or("")) },
        },
    };
    let known_commit = match &options.commit {
        Some(commit) => Some(resolve_commit(sh, commit)?),
        None if options.undo => commit_from_trail(ws, version, &tag),
        None => None,
    };
    Ok(Facts { version: version.clone(), tag, remote, registry, crates, local_tag, remote_tag, release, known_commit })
}

/// The full id of a commit given on the command line; an error naming it when this clone
/// does not have it.
fn resolve_commit(sh: &Shell, commit: &str) -> Result<String> {
    let spec = format!("{commit}^{{commit}}");
    cmd!(sh, "git rev-parse --verify --quiet {spec}")
        .quiet()
        .ignore_stderr()
        .read()
        .ok()
        .filter(|c| !c.is_empty())
        .with_context(|| format!("--commit {commit} is not a commit in this clone; fetch it, or give the full id"))
}

/// The commit the tag pointed at when a rollback deleted it, from the audit trail.
fn commit_from_trail(ws: &Workspace, version: &Version, tag: &str) -> Option<String> {
    let lines = crate::audit::trail::read(&crate::audit::log_path(ws)).ok()?;
    let wanted = version.to_string();
    lines.iter().rev().find_map(|(_, entry)| {
        let produced = &entry.produced;
        (entry.version.as_deref() == Some(&wanted) && produced.get("tag").map(String::as_str) == Some(tag))
            .then(|| produced.get("tag_commit").cloned())
            .flatten()
    })
}
