//! `rollback VERSION`: take a bad release back. Yank its crates (dependents first),
//! mark its GitHub release YANKED and make it a pre-release (assets stay), delete its
//! tag on the remote and locally. `--undo` reverses each of these. A plan first; it is
//! computed from what the registry, git and GitHub say now, so a re-run after a failure
//! (or after success) does only what is left.

mod execute;
pub mod plan;

use anyhow::{Context as _, Result};
use semver::Version;
use serde::Serialize;
use xshell::cmd;

use crate::context::Ctx;
use crate::github::api::{Client, Token};
use crate::github::repo;
use crate::ops::git;
use crate::publish::index::Index;
use crate::publish::registry::Registry;
use crate::workspace::Workspace;
use plan::{Facts, Plan, Release};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The version to roll back
    pub version: Version,
    /// Registry name from cargo's configuration [default: crates.io]
    #[arg(long)]
    pub registry: Option<String>,
    /// Sparse index URL to read [default: from cargo's configuration]
    #[arg(long)]
    pub index_url: Option<String>,
    /// Take a rollback back: unyank, restore the release's notes and flag, re-create the tag
    #[arg(long)]
    pub undo: bool,
    /// Why, for the release's YANKED notice
    #[arg(long, value_name = "TEXT", conflicts_with = "undo")]
    pub reason: Option<String>,
    /// With --undo: the commit to re-create the tag on [default: the one the audit trail recorded]
    #[arg(long, value_name = "SHA", requires = "undo")]
    pub commit: Option<String>,
    /// Leave the GitHub release alone (no GITHUB_TOKEN needed)
    #[arg(long)]
    pub no_github: bool,
    /// Act (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Do not ask for confirmation (does not pass `require-approval`)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Run only the plan with this digest, as a dry run printed it (`plan: sha256:...`)
    #[arg(long, value_name = "DIGEST", requires = "execute")]
    pub approve: Option<String>,
}

/// The plan as printed: with the format version and its digest.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    format_version: u32,
    plan_digest: &'a str,
    #[serde(flatten)]
    plan: &'a Plan,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let registry = Registry::resolve(self.registry.as_deref(), self.index_url.as_deref(), ws.root.as_std_path())?;
        let client = if self.no_github {
            None
        } else {
            let token = Token::from_env().context("pass --no-github to leave the GitHub release alone")?;
            Some(Client::new(&repo::slug(&ctx.sh, &ws.config.remote)?, token, ctx.out))
        };
        let facts = self.facts(ctx, &ws, registry, client.as_ref())?;
        let plan = if self.undo { plan::undo(&facts) } else { plan::rollback(&facts, self.reason.as_deref()) };
        let value = serde_json::to_value(&plan)?;
        let digest = crate::approval::digest_value(&value);

        if !self.execute {
            crate::approval::save_plan(&ws.target_dir, &digest, &value)?;
            if ctx.json() {
                ctx.out.json(&Shown { format_version: 1, plan_digest: &digest, plan: &plan })?;
            } else {
                crate::out!("{}", describe(&plan));
                crate::outln!("plan: {digest}");
            }
            ctx.out.note("dry run: nothing was changed; pass --execute to act (and --approve with the plan's digest)");
            return Ok(());
        }
        let approval = crate::approval::gate(
            &ws.target_dir,
            "rollback",
            &ws.config.require_approval,
            self.approve.as_deref(),
            &value,
        )?;
        let todo = plan.steps.iter().filter(|s| s.skip.is_none()).count();
        let what = if self.undo { "undo the rollback of" } else { "roll back" };
        crate::approval::confirm(
            self.yes,
            &format!("{what} {} ({})", plan.version, crate::output::plural(todo, "step")),
        )?;
        let mut trail = crate::audit::trail(ctx, &ws, Some(&plan.version));
        trail.run_mut().plan_digest = Some(approval.plan_digest.clone());
        trail.run_mut().approved = approval.approved.clone();
        let outcome = execute::run(ctx, &ws, &plan, client.as_ref(), self.reason.as_deref(), &trail);
        if ctx.json() {
            ctx.out.json(&execute::Shown { format_version: 1, plan_digest: &digest, steps: &outcome.steps })?;
        }
        match outcome.error {
            None => {
                let verb = if self.undo { "Restored" } else { "Rolled back" };
                ctx.out.status(verb, format!("{} ({} done)", plan.version, crate::output::plural(todo, "step")));
                Ok(())
            }
            Some(err) => Err(err.context(format!(
                "the rollback stopped; fix the cause, then run the same command again: what is done is skipped ({})",
                trail.path()
            ))),
        }
    }

    /// What the registry, git and GitHub say now about the version.
    fn facts(&self, ctx: &Ctx, ws: &Workspace, registry: Registry, client: Option<&Client>) -> Result<Facts> {
        let version = &self.version;
        let tag = ws.config.tag_for(version);
        let name = registry.name.as_deref();
        let selected = crate::publish::plan::select(ws, name, &[], &[])?;
        let levels = crate::publish::plan::levels(ws, &selected)?;
        let index = Index::new(&registry.index_url);
        let mut crates = Vec::new();
        for member in levels.iter().flatten() {
            let entry = index.find(&member.name, version)?;
            crates.push((member.name.clone(), entry.map(|e| e.yanked)));
        }
        let remote = ws.config.remote.clone();
        let remote_tag = git::has_remote(&ctx.sh, &remote)? && git::remote_tag(&ctx.sh, &remote, &tag)?.is_some();
        let local_tag = git::tag_info(&ctx.sh, &tag)?.map(|t| t.commit);
        let release = match client {
            None => Release::Skipped,
            Some(client) => match execute::find_release(client, &tag)? {
                None => Release::None,
                Some(release) => Release::Found { marked: plan::is_marked(release.body.as_deref().unwrap_or("")) },
            },
        };
        let known_commit = match &self.commit {
            Some(commit) => Some(resolve_commit(ctx, commit)?),
            None if self.undo => commit_from_trail(ws, version, &tag),
            None => None,
        };
        Ok(Facts {
            version: version.clone(),
            tag,
            remote,
            registry,
            crates,
            local_tag,
            remote_tag,
            release,
            known_commit,
        })
    }
}

/// The full id of a commit given on the command line; an error naming it when this clone
/// does not have it.
fn resolve_commit(ctx: &Ctx, commit: &str) -> Result<String> {
    let spec = format!("{commit}^{{commit}}");
    cmd!(ctx.sh, "git rev-parse --verify --quiet {spec}")
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

/// The dry run's text: every step in order, skipped ones with the reason.
fn describe(plan: &Plan) -> String {
    let what = if plan.undo { "Undo plan" } else { "Rollback plan" };
    let mut out = format!("{what} for {} (tag {}, registry {}):\n", plan.version, plan.tag, plan.registry.display());
    let mut n = 0;
    for step in &plan.steps {
        match &step.skip {
            None => {
                n += 1;
                out.push_str(&format!("  {n:>2}. {}\n", step.describe(plan)));
            }
            Some(why) => out.push_str(&format!("   -  {} (skipped: {why})\n", step.describe(plan))),
        }
    }
    if n == 0 {
        out.push_str("  nothing to do: every step is already done\n");
    }
    out
}
