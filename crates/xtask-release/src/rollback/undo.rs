//! Carrying out a rollback plan step by step, each step recorded in the audit trail;
//! the first failure stops the run (a re-run picks up from the registry's, git's and
//! GitHub's state).

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use xshell::Shell;

use super::undo_plan::{self, Action, Plan};
use crate::audit::{Produced, Trail};
use crate::github::client::{Client, Release, ReleasePatch};
use crate::ops::retry::Backoff;
use crate::ops::{cargo, git};
use crate::publish::index::Index;
use crate::report::Reporter;
use crate::workspace::Workspace;

#[non_exhaustive]
pub struct Outcome {
    pub steps: Vec<StepResult>,
    pub error: Option<anyhow::Error>,
}

#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct StepResult {
    pub step: String,
    /// `ok`, `skipped`, `failed`, or `not_run` after a failure.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub(crate) fn run(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    client: Option<&Client>,
    reason: Option<&str>,
    trail: &Trail,
    reporter: &dyn Reporter,
) -> Outcome {
    let with = With { sh, ws, plan, client, reason, reporter };
    let mut steps = Vec::new();
    let mut error = None;
    for step in &plan.steps {
        let text = step.describe(plan);
        if error.is_some() {
            steps.push(StepResult { step: text, outcome: "not_run", detail: None });
            continue;
        }
        if let Some(why) = &step.skip {
            reporter.status("Skipping", &format!("{text} ({why})"));
            let mut produced = std::collections::BTreeMap::new();
            produced.insert("reason".to_string(), why.clone());
            if let Err(err) = trail.record(&text, crate::audit::Outcome::Skipped, None, &produced, Duration::ZERO) {
                error = Some(err);
            }
            steps.push(StepResult { step: text, outcome: "skipped", detail: Some(why.clone()) });
            continue;
        }
        reporter.status("Running", &text);
        match trail.step(&text, |produced| act(&with, &step.action, produced)) {
            Ok(()) => steps.push(StepResult { step: text, outcome: "ok", detail: None }),
            Err(err) => {
                steps.push(StepResult { step: text, outcome: "failed", detail: Some(format!("{err:#}")) });
                error = Some(err);
            }
        }
    }
    Outcome { steps, error }
}

/// What every step of one run acts with.
#[derive(Clone, Copy)]
struct With<'a> {
    sh: &'a Shell,
    ws: &'a Workspace,
    plan: &'a Plan,
    client: Option<&'a Client<'a>>,
    reason: Option<&'a str>,
    reporter: &'a dyn Reporter,
}

fn act(with: &With<'_>, action: &Action, produced: &mut Produced) -> Result<()> {
    let With { sh, ws, plan, client, reason, reporter } = *with;
    let (tag, version) = (plan.tag.as_str(), &plan.version);
    match action {
        Action::Yank { name } | Action::Unyank { name } => {
            let undo = matches!(action, Action::Unyank { .. });
            yank(sh, plan, name, undo, reporter)?;
            wait_for_index(ws, plan, name, !undo)?;
            produced.add("crate", format!("{name} {version}"));
            produced.add("yanked", (!undo).to_string());
        }
        Action::MarkRelease { .. } | Action::RestoreRelease => {
            let client = client.context("the GitHub release needs GITHUB_TOKEN")?;
            let Some(release) = find_release(client, tag)? else { bail!("the GitHub release for {tag} is gone") };
            let body = release.body.clone().unwrap_or_default();
            let patch = match action {
                Action::MarkRelease { .. } => ReleasePatch {
                    body: Some(undo_plan::mark(&body, reason, release.prerelease)),
                    prerelease: Some(true),
                    ..ReleasePatch::default()
                },
                _ => {
                    let (body, prerelease) =
                        undo_plan::unmark(&body).context("the release no longer carries our notice")?;
                    ReleasePatch { body: Some(body), prerelease: Some(prerelease), ..ReleasePatch::default() }
                }
            };
            let updated = client.update_release(&release, &patch)?;
            produced.add("release", updated.html_url);
        }
        Action::DeleteRemoteTag { remote } => {
            git::delete_remote_tag(sh, remote, tag, reporter)?;
            produced.add("tag", tag);
            produced.add("remote", remote);
        }
        Action::DeleteLocalTag { .. } => {
            let info = git::tag_info(sh, tag)?.with_context(|| format!("the local tag {tag} is gone"))?;
            git::delete_tag(sh, tag)?;
            // What `--undo` needs to put it back, kept where it looks: the audit trail.
            produced.add("tag", tag);
            produced.add("tag_commit", info.commit);
            produced.add("tag_object", info.object);
        }
        Action::CreateTag { commit } => {
            let commit = commit.as_deref().context("no commit to create the tag on; pass --commit SHA")?;
            git::create_tag_at(sh, tag, commit, &ws.config.render(&ws.config.tag_message, version)?, reporter)?;
            let info = git::tag_info(sh, tag)?.with_context(|| format!("tag {tag} was not created"))?;
            produced.add("tag", tag);
            produced.add("tag_commit", info.commit);
            produced.add("tag_object", info.object);
        }
        Action::PushTag { remote } => {
            git::push_tag(sh, remote, tag, reporter)?;
            produced.add("tag", tag);
            produced.add("remote", remote);
        }
    }
    Ok(())
}

/// `cargo yank` (with `--undo` to unyank): cargo finds the registry's API and the token
/// as for a publish, and we never see the token. Its output is kept, like `cargo
/// publish`'s: it goes to the reporter's `tool_output`, and into the error on failure.
fn yank(sh: &Shell, plan: &Plan, name: &str, undo: bool, reporter: &dyn Reporter) -> Result<()> {
    let version = plan.version.to_string();
    let registry: Vec<String> = plan.registry.name.iter().flat_map(|n| ["--registry".to_string(), n.clone()]).collect();
    let undo_flag = undo.then_some("--undo");
    let out = cargo::authenticated(sh)
        .args(["yank", "--version", &version])
        .args(registry)
        .args(undo_flag)
        .arg(name)
        .quiet()
        .ignore_status()
        .output()
        .context("cannot run cargo yank")?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !said.trim().is_empty() {
        reporter.tool_output(&format!("cargo yank {name}"), &crate::ops::redact::redact(&said));
    }
    if !out.status.success() {
        let stderr = crate::ops::redact::redact(String::from_utf8_lossy(&out.stderr).trim());
        bail!(
            "cargo yank{} of {name} {version} failed: {stderr}; check the token ({})",
            if undo { " --undo" } else { "" },
            plan.registry.token_help()
        );
    }
    Ok(())
}

/// Waits until the index lists the crate as (un)yanked: the registry's answer, not
/// cargo's exit status, is what the next step and a re-run rely on.
fn wait_for_index(ws: &Workspace, plan: &Plan, name: &str, yanked: bool) -> Result<()> {
    let index = Index::new(&plan.registry.index_url);
    let deadline = Instant::now() + Duration::from_secs(ws.config.publish.index_timeout);
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5), u32::MAX);
    loop {
        let entry = index.find(name, &plan.version)?;
        if entry.as_ref().is_some_and(|e| e.yanked == yanked) {
            return Ok(());
        }
        let delay = backoff.next_delay().unwrap_or(Duration::from_secs(5));
        if Instant::now() + delay > deadline {
            bail!(
                "the index still lists {name} {} as {}yanked after {}s; check {}",
                plan.version,
                if yanked { "not " } else { "" },
                ws.config.publish.index_timeout,
                index.file_url(name)
            );
        }
        std::thread::sleep(delay);
    }
}

/// The release for the tag, published or draft (GitHub may turn a release into a draft
/// when its tag goes).
pub fn find_release(client: &Client, tag: &str) -> Result<Option<Release>> {
    match client.release_by_tag(tag)? {
        Some(release) => Ok(Some(release)),
        None => client.draft_by_tag(tag),
    }
}
