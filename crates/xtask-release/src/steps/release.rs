//! `release`: the whole local runbook as numbered steps.
//!
//! 1 preflight, 2 bump, 3 changelog, 4 verify (Cargo.lock, check-version), 5 commit,
//! 6 annotated tag, 7 one atomic push of branch and tag. The plan is computed first,
//! printed, and only then executed. A failure before the commit puts every edited file back; after it,
//! the error says what is done and the one command that finishes the job, and that
//! re-run decides from git facts which steps are done (see [`plan::resume`]).

pub mod plan;

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::context::Ctx;
use crate::ops::fs::{self, FileEdit};
use crate::ops::{cargo, git};
use crate::report::Reporter;
use crate::steps::code_checks::{self, Skip};
use crate::steps::preflight::{self, GitFacts};
use crate::version::{self, Target};
use crate::workspace::Workspace;
use plan::{Action, Inputs, LOCK_CHECK, ReleasePlan, Step};

/// What to release, and which checks and steps to leave out.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// An exact version or a level (`"minor".parse()`).
    pub target: Target,
    /// Which of `cargo fmt --check`, clippy and the tests to leave out.
    pub skip: Skip,
    /// Push branch and tag at the end (the default); false commits and tags only.
    pub push: bool,
    /// The caller asked for no confirmation (`--yes`); kept in the resume command.
    pub assume_yes: bool,
}

impl Options {
    pub fn new(target: Target) -> Options {
        Options { target, skip: Skip::default(), push: true, assume_yes: false }
    }

    pub fn skip(mut self, skip: Skip) -> Options {
        self.skip = skip;
        self
    }

    pub fn push(mut self, push: bool) -> Options {
        self.push = push;
        self
    }

    pub fn assume_yes(mut self, yes: bool) -> Options {
        self.assume_yes = yes;
        self
    }

    /// The command that continues this release: the exact version, never the level, so
    /// the re-run cannot bump again.
    pub fn resume_command(&self, invocation: &str, version: &semver::Version) -> String {
        let skip = self.skip;
        let all = skip.fmt && skip.clippy && skip.tests;
        let flags = [
            (self.assume_yes, "--yes"),
            (all, "--no-verify"),
            (skip.fmt && !all, "--skip-fmt"),
            (skip.clippy && !all, "--skip-clippy"),
            (skip.tests && !all, "--skip-tests"),
            (!self.push, "--no-push"),
        ];
        let mut command = format!("{invocation} release {version} --execute");
        for (_, flag) in flags.iter().filter(|(on, _)| *on) {
            command.push(' ');
            command.push_str(flag);
        }
        command
    }
}

/// Facts first (versions, git state, the edits, the code checks' results), then the
/// plan. Changes nothing.
pub fn plan(ctx: &Ctx, ws: &Workspace, options: &Options) -> Result<ReleasePlan> {
    let sh = &ctx.sh;
    let config = &ws.config;
    let current = version::current(ws)?;
    let current_tag = config.tag_for(&current);
    let release_subject = config.render(&config.commit_message, &current);
    let head_is_release = release_subject.lines().next() == Some(git::head_subject(sh)?.as_str());

    let gather = |tag: &str| GitFacts::gather(sh, &config.branch, &config.remote, tag);
    let current_facts = if head_is_release { Some(gather(&current_tag)?) } else { None };
    let finished = current_facts.as_ref().is_some_and(|f| {
        f.tag_at_head(&config.render(&config.tag_message, &current))
            && (!options.push || (f.tag_pushed() && f.branch_pushed()))
    });
    let resumed = plan::resume(&options.target, &current, &current_tag, head_is_release, finished);

    let (version, bump, changelog, facts) = match (&resumed, current_facts) {
        (Some(_), Some(facts)) => (current.clone(), Vec::new(), None, facts),
        _ => {
            let bump = version::bump::plan(ws, &options.target, &[])?;
            if bump.is_empty() {
                bail!(
                    "the workspace is at {} already and HEAD is not its release commit; \
                     release a newer version, or tag this one with `tag --execute`",
                    bump.version
                );
            }
            let changelog = crate::github::changelog::plan(sh, ws, &bump.version)?;
            let facts = gather(&config.tag_for(&bump.version))?;
            (bump.version, bump.edits, changelog, facts)
        }
    };
    let verify = code_checks::run(sh, options.skip, &config.test_command);
    Ok(ReleasePlan::new(Inputs {
        config,
        previous: current,
        version,
        resumed,
        facts: &facts,
        bump,
        changelog,
        has_lockfile: ws.root.join("Cargo.lock").exists(),
        verify,
        push: options.push,
    }))
}

/// Runs the steps that have something to do, in order. Files written before the commit
/// are put back when a step up to the commit fails; the error then ends with the command
/// that resumes the release.
pub fn execute(
    ctx: &Ctx,
    ws: &Workspace,
    plan: &ReleasePlan,
    options: &Options,
    reporter: &dyn Reporter,
) -> Result<()> {
    if let Some(failed) = preflight::failures(&plan.checks) {
        bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run");
    }
    let sh = &ctx.sh;
    let mut written = Written::default();
    for step in plan.steps.iter().skip(1).filter(|s| s.skip.is_none()) {
        if let Err(err) = run_step(sh, ws, plan, step, &mut written, reporter) {
            let state = if written.files.is_empty() && step.number < 5 {
                "nothing was changed".to_string()
            } else if step.number <= 5 {
                match written.roll_back(sh, step.number == 5) {
                    Ok(()) => "every edited file was put back; the repository is as it was".to_string(),
                    Err(undo) => {
                        format!("the edited files could not all be put back ({undo:#}); check `git status`")
                    }
                }
            } else {
                state_after_commit(plan, step)
            };
            return Err(err.context(format!(
                "release stopped at step {} ({}): {state}.\nFix the cause below, then resume with: {}",
                step.number,
                step.action.name(),
                options.resume_command(&ctx.invocation(), &plan.version),
            )));
        }
    }
    reporter.status("Released", &format!("{} (commit {})", plan.tag, git::head(sh)?));
    Ok(())
}

fn state_after_commit(plan: &ReleasePlan, step: &Step) -> String {
    let commit = format!("the release commit is on {}", plan.branch);
    match step.action {
        Action::Tag { .. } => format!("{commit}, not tagged and not pushed"),
        _ => format!("{commit} and tagged {}, but {} has neither (the push is atomic)", plan.tag, plan.remote),
    }
}

fn run_step(
    sh: &Shell,
    ws: &Workspace,
    plan: &ReleasePlan,
    step: &Step,
    written: &mut Written,
    reporter: &dyn Reporter,
) -> Result<()> {
    match &step.action {
        Action::Preflight => Ok(()),
        Action::Bump { edits } => {
            reporter.status("Bumping", &format!("{} -> {} ({} file(s))", plan.previous, plan.version, edits.len()));
            edits.iter().try_for_each(|edit| written.apply(edit))
        }
        Action::Changelog { edit } => {
            if let Some(edit) = edit {
                reporter.status("Updating", ws.rel(&edit.path).as_str());
                written.apply(edit)?;
            }
            Ok(())
        }
        Action::Verify { lockfile } => {
            if *lockfile {
                reporter.status("Checking", &format!("Cargo.lock with `{LOCK_CHECK}`"));
                check_lockfile(sh)?;
            }
            reporter.status("Checking", &format!("versions against {}", plan.tag));
            check_versions(sh, ws, &plan.tag)
        }
        Action::Commit { message } => {
            reporter.status("Committing", message);
            let paths: Vec<&str> = written.files.iter().map(|(edit, _)| ws.rel(&edit.path).as_str()).collect();
            git::commit(sh, &paths, message)?;
            written.files.clear();
            Ok(())
        }
        Action::Tag { tag, message } => {
            reporter.status("Tagging", &format!("{tag} ({message:?})"));
            git::create_tag(sh, tag, message)
        }
        Action::Push { remote, branch, tag } => {
            reporter.status("Pushing", &format!("{branch} and {tag} to {remote}"));
            git::push_atomic(sh, remote, branch, tag)
        }
    }
}

fn check_lockfile(sh: &Shell) -> Result<()> {
    let cargo = cargo::bin();
    cmd!(sh, "{cargo} metadata --locked --offline --format-version 1").quiet().ignore_stdout().run().context(
        "Cargo.lock does not match the manifests after the bump; run `cargo metadata --locked --offline` to see why",
    )
}

/// check-version on the files as written, with the workspace read again: the versions
/// cargo reported before the bump are stale.
fn check_versions(sh: &Shell, ws: &Workspace, tag: &str) -> Result<()> {
    let ws = Workspace::load(sh, Some(ws.manifest_path.as_std_path()))?;
    let problems = version::check::check(&ws, Some(tag))?;
    if problems.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = problems.iter().map(|p| format!("\n  {p}")).collect();
    bail!("check-version found problems in the edited files:{}", listed.concat())
}

/// Files written so far, with whether each existed before, so they can be put back.
#[derive(Default)]
struct Written {
    files: Vec<(FileEdit, bool)>,
}

impl Written {
    fn apply(&mut self, edit: &FileEdit) -> Result<()> {
        let existed = edit.path.exists();
        edit.apply()?;
        self.files.push((edit.clone(), existed));
        Ok(())
    }

    /// Puts every file back as it was, and out of the index when a commit was tried.
    fn roll_back(&self, sh: &Shell, staged: bool) -> Result<()> {
        if staged {
            let paths: Vec<&str> = self.files.iter().map(|(edit, _)| edit.path.as_str()).collect();
            git::unstage(sh, &paths)?;
        }
        for (edit, existed) in self.files.iter().rev() {
            if *existed {
                fs::write_atomic(&edit.path, edit.before.as_bytes())?;
            } else {
                std::fs::remove_file(&edit.path).with_context(|| format!("cannot remove {}", edit.path))?;
            }
        }
        Ok(())
    }
}
