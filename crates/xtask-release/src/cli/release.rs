//! `release`: arguments, the plan shown with every check's result, and the confirmation.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8Path;
use serde_json::Value;

use super::Cx;
use crate::approval;
use crate::ops::cargo::LOCK_CHECK;
use crate::ops::fs::FileEdit;
use crate::steps::code_checks::Skip;
use crate::steps::preflight;
use crate::steps::release::runbook::{Action, ReleasePlan};
use crate::steps::release::{self, Options};
use crate::version::Target;
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new version, or a level: major, minor, patch, release, rc, beta, alpha
    pub version: Target,
    /// Act (default: print every step and every check's result)
    #[arg(long)]
    pub execute: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Skip `cargo fmt --check`, clippy and the tests
    #[arg(long)]
    pub no_verify: bool,
    /// Skip `cargo fmt --check`
    #[arg(long)]
    pub skip_fmt: bool,
    /// Skip `cargo clippy -- -D warnings`
    #[arg(long)]
    pub skip_clippy: bool,
    /// Skip the test suite
    #[arg(long)]
    pub skip_tests: bool,
    /// Commit and tag, but do not push
    #[arg(long)]
    pub no_push: bool,
    /// In a dry run, also run the slow checks (clippy, the tests), which --execute runs
    /// before the first change
    #[arg(long)]
    pub checks: bool,
    /// The registry the release is published to, from cargo's config [default: crates.io]:
    /// preflight checks that publish-ordered would accept it there
    #[arg(long, value_name = "NAME")]
    pub registry: Option<String>,
}

impl Args {
    pub fn options(&self) -> Options {
        let skip = Skip {
            fmt: self.no_verify || self.skip_fmt,
            clippy: self.no_verify || self.skip_clippy,
            tests: self.no_verify || self.skip_tests,
        };
        Options::new(self.version.clone())
            .skip(skip)
            .push(!self.no_push)
            .assume_yes(self.yes)
            .registry(self.registry.clone())
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        if self.execute && cx.approve.is_none() && cx.gated(&ws) {
            // Refused before the checks run and before anything is asked: no plan passes
            // the gate without an approval.
            approval::gate(
                &ws.target_dir,
                cx.command,
                &ws.config.require_approval,
                ws.config.table,
                None,
                &Value::Null,
            )?;
        }
        if self.execute && !self.yes && !std::io::stdin().is_terminal() {
            bail!("refusing to release without confirmation: stdin is not a terminal; pass --yes to confirm");
        }
        let options = self.options().invocation(ctx.invocation());
        // An approval is compared with the plan as soon as it exists, before fmt, clippy and
        // the tests run: a wrong digest costs no wait. (It is compared again before acting.)
        let early_gate = |plan: &ReleasePlan| -> Result<()> {
            if let (true, Some(approve)) = (self.execute, cx.approve.as_deref()) {
                let value = approval::subject(plan, &cx.work_tree(&ws))?;
                let table = ws.config.table;
                approval::gate(&ws.target_dir, cx.command, &ws.config.require_approval, table, Some(approve), &value)?;
            }
            Ok(())
        };
        let plan = release::plan_with(&ctx.sh, &ws, &options, &ctx.out, early_gate)?;
        if let Some(why) = &plan.resumed {
            ctx.out.note(why);
        }
        if plan.is_done() {
            match cx.json() {
                true if !self.execute => cx.print_plan_json(&ws, &plan)?,
                true => {}
                false => print_plan(&plan, &ws.root),
            }
            ctx.out.status("Finished", format!("{} is released already; nothing to do", plan.tag));
            return if self.execute { print_done(cx, &plan) } else { Ok(()) };
        }

        // The plan comes first, with the checks that take seconds; the slow ones (clippy,
        // the tests) after it, at --execute once confirmed, in a dry run with --checks.
        if !cx.json() {
            print_plan(&plan, &ws.root);
        }
        let failed = preflight::failures(&plan.checks);
        if let Some(failed) = failed {
            return preflight_failed(cx, &ws, &plan, &failed);
        }
        if !self.execute {
            let checked = match self.checks {
                true => self.slow_checks(cx, &ws, plan.clone(), &options)?,
                false => plan.clone(),
            };
            if cx.json() {
                cx.print_plan_json(&ws, &checked)?;
            }
            // The approval is of the plan, with its slow checks still to run, as --execute makes it.
            cx.print_digest(&ws, &plan)?;
            if checked.checks.iter().any(preflight::Check::is_pending) {
                ctx.out.note("the slow checks run at --execute, before the first change; --checks runs them now");
            }
            ctx.out.note("dry run: nothing was changed; pass --execute to act");
            return Ok(());
        }
        // The gate before the question, so a "y" is never followed by a refusal.
        let plan_value = approval::subject(&plan, &cx.work_tree(&ws))?;
        approval::gate(
            &ws.target_dir,
            cx.command,
            &ws.config.require_approval,
            ws.config.table,
            cx.approve.as_deref(),
            &plan_value,
        )?;
        if !self.yes && !confirm(&plan)? {
            bail!("release cancelled; nothing was changed");
        }
        let checked = self.slow_checks(cx, &ws, plan.clone(), &options)?;
        // The tag's annotation ends with the trail's head, kept on the remote with the tag.
        let head = crate::audit::head_line(&ws);
        let tags = plan.steps.iter().any(|s| s.skip.is_none() && matches!(s.action, Action::Tag { .. }));
        let checked = match &head {
            Some(line) => checked.with_trailer(line),
            None => checked,
        };
        // What is approved (and recorded) is the plan with its slow checks pending, as the
        // dry run shows it; what runs is that plan with them passed. The line is for the
        // version this run makes, not the one it starts from.
        let executed = cx.execute(&ws, &plan, Some(&plan.version), |produced| {
            release::execute(&ctx.sh, &ws, &checked, &options, &ctx.out)?;
            if let Some(line) = head.filter(|_| tags) {
                produced.add("audit_head", line);
            }
            super::produced_tag(&ctx.sh, &checked.tag, produced)
        });
        match executed {
            Ok(()) => print_done(cx, &checked),
            // Stopped part way (the error names the step): the plan is the document, so
            // stdout still holds one.
            Err(err) if cx.json() => {
                cx.print_plan_json(&ws, &checked)?;
                Err(err)
            }
            Err(err) => Err(err),
        }
    }
}

impl Args {
    /// Runs the plan's pending checks and prints their results (text: under the plan,
    /// which is printed already); a failure ends the run with nothing changed.
    fn slow_checks(&self, cx: &Cx, ws: &Workspace, plan: ReleasePlan, options: &Options) -> Result<ReleasePlan> {
        let pending: Vec<&str> = plan.checks.iter().filter(|c| c.is_pending()).map(|c| c.name).collect();
        if pending.is_empty() {
            return Ok(plan);
        }
        let plan = release::run_checks(&cx.ctx.sh, ws, plan, options, &cx.ctx.out);
        if !cx.json() {
            crate::outln!("  1. preflight, the slow checks:");
            let ran: Vec<_> = plan.checks.iter().filter(|c| pending.contains(&c.name)).cloned().collect();
            super::print_checks(&ran);
        }
        match preflight::failures(&plan.checks) {
            Some(failed) => preflight_failed(cx, ws, &plan, &failed).map(|()| plan),
            None => Ok(plan),
        }
    }
}

/// Ends a run whose preflight failed: with JSON the plan, whose checks say why, then the
/// error (the text plan is printed already).
fn preflight_failed(cx: &Cx, ws: &Workspace, plan: &ReleasePlan, failed: &str) -> Result<()> {
    if cx.json() {
        cx.print_plan_json(ws, plan)?;
    }
    preflight::annotate(&cx.ctx.out, &plan.checks);
    bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run")
}

/// With JSON, an executed release's one document: each step, done by this run or skipped
/// (with why). A step that fails stops the run with an error instead.
fn print_done(cx: &Cx, plan: &ReleasePlan) -> Result<()> {
    if !cx.json() {
        cx.ctx.out.note(next_step(plan, &cx.ctx.invocation(), cx.ctx.workspace()?.root.as_std_path()));
        return Ok(());
    }
    #[derive(serde::Serialize)]
    struct Done<'a> {
        version: &'a semver::Version,
        tag: &'a str,
        steps: Vec<StepDone<'a>>,
    }
    #[derive(serde::Serialize)]
    struct StepDone<'a> {
        number: usize,
        step: serde_json::Value,
        outcome: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    }
    let steps = plan
        .steps
        .iter()
        .map(|s| StepDone {
            number: s.number,
            step: serde_json::to_value(&s.action).map(|a| a["step"].clone()).unwrap_or_default(),
            outcome: if s.skip.is_some() { "skipped" } else { "done" },
            reason: s.skip.as_deref(),
        })
        .collect();
    cx.print_json(&Done { version: &plan.version, tag: &plan.tag, steps })
}

/// What comes after a release: the push (when it was left out), then what the tag starts.
fn next_step(plan: &ReleasePlan, invocation: &str, root: &std::path::Path) -> String {
    let tag = &plan.tag;
    let pushed = plan.steps.last().is_some_and(|s| s.skip.as_deref() != Some(crate::steps::release::runbook::NO_PUSH));
    if !pushed {
        return format!("next: push the release commit and its tag: `git push {} {} {tag}`", plan.remote, plan.branch);
    }
    let workflow = ".github/workflows/release.yml";
    let by_hand = format!(
        "`{invocation} publish-ordered --execute`, then `{invocation} dist --execute` on each platform and \
         `{invocation} github-release --assets dist --execute`"
    );
    match root.join(workflow).is_file() {
        true => format!(
            "next: pushing {tag} started {workflow} (publish, binaries, GitHub release); follow it in your CI, or do those steps here: {by_hand}"
        ),
        false => format!("next: publish and ship {tag}: {by_hand}"),
    }
}

/// Asks on the terminal; anything but `y` or `yes` is a no.
fn confirm(plan: &ReleasePlan) -> Result<bool> {
    let what =
        if plan.steps.last().is_some_and(|s| s.skip.is_none()) { "commit, tag and push" } else { "commit and tag" };
    eprint!("Release {}: {what}? [y/N] ", plan.tag);
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer from the terminal")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// The plan as text: every step, every check's result, a diff of every edit.
fn print_plan(plan: &ReleasePlan, root: &Utf8Path) {
    let kind = if plan.prerelease { ", a pre-release" } else { "" };
    let from = match &plan.resumed {
        Some(_) if plan.previous == plan.version => "continuing".to_string(),
        Some(_) => format!("from {}, continuing", plan.previous),
        None => format!("from {}", plan.previous),
    };
    crate::outln!("Release {} ({from}{kind}) on {}", plan.tag, plan.branch);
    if let Some(why) = &plan.resumed {
        crate::outln!("  resuming: {why}");
    }
    for step in &plan.steps {
        crate::outln!("  {}. {}", step.number, describe(plan, &step.action));
        if let Some(skip) = &step.skip {
            crate::outln!("     {skip}");
            continue;
        }
        match &step.action {
            Action::Preflight => super::print_checks(&plan.checks),
            Action::Bump { edits } => edits.iter().for_each(|e| print_diff(e, root)),
            Action::Changelog { edit } => edit.iter().for_each(|e| print_diff(e, root)),
            _ => {}
        }
    }
}

/// What a step does, in one line.
fn describe(plan: &ReleasePlan, action: &Action) -> String {
    match action {
        Action::Preflight => "preflight: git state, lock file, formatting; then lints and tests".into(),
        Action::Bump { edits } if edits.is_empty() => format!("bump to {}", plan.version),
        Action::Bump { edits } => {
            format!("bump {} -> {} ({})", plan.previous, plan.version, crate::output::plural(edits.len(), "file"))
        }
        Action::Changelog { .. } => format!("changelog: add the section for {}", plan.version),
        Action::Verify { lockfile: true } => {
            format!("verify: `{LOCK_CHECK}` accepts Cargo.lock, and check-version passes for {}", plan.tag)
        }
        Action::Verify { lockfile: false } => {
            format!("verify: check-version passes for {} (no Cargo.lock)", plan.tag)
        }
        Action::Commit { message } => format!("commit {message:?}"),
        Action::Tag { tag, message } => format!("tag {tag}, annotated {message:?}"),
        Action::Push { remote, branch, tag } => format!("push {branch} and {tag} to {remote} in one atomic push"),
    }
}

/// A unified diff of an edit, indented under its step.
fn print_diff(edit: &FileEdit, root: &Utf8Path) {
    for line in edit.diff(root).lines() {
        crate::outln!("     {line}");
    }
}
