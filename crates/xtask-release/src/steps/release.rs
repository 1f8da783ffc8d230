//! `release`: the whole local runbook as numbered steps.
//!
//! 1 preflight, 2 bump, 3 changelog, 4 verify (Cargo.lock, check-version), 5 commit,
//! 6 annotated tag, 7 one atomic push of branch and tag. The plan is computed first,
//! printed, and only then executed. A failure before the commit puts every edited file back; after it,
//! the error says what is done and the one command that finishes the job, and that
//! re-run decides from git facts which steps are done (see `runbook::resume`).

pub(crate) mod runbook;
pub(crate) mod scratch;

pub use crate::steps::code_checks::Skip;
pub use runbook::{Action, ReleasePlan, Step};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8Path;
use xshell::Shell;

use crate::ops::cargo::{self, LOCK_CHECK};
use crate::ops::fs::{self, FileEdit};
use crate::ops::git;
use crate::output::plural;
use crate::report::Reporter;
use crate::steps::code_checks;
use crate::steps::preflight::{self, Check, GitFacts};
use crate::version::{self, Target};
use crate::workspace::Workspace;
use runbook::{Inputs, Leftover};
use scratch::Scratch;

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
    /// How the user runs us (`cargo xtask`), for the resume command in an error.
    pub invocation: String,
    /// The registry the release is published to (`None`: cargo's default), whose refusals
    /// preflight checks for.
    pub registry: Option<String>,
}

impl Options {
    pub fn new(target: Target) -> Options {
        Options {
            target,
            skip: Skip::default(),
            push: true,
            assume_yes: false,
            invocation: "cargo xtask".into(),
            registry: None,
        }
    }

    pub fn registry(mut self, registry: Option<String>) -> Options {
        self.registry = registry;
        self
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

    pub fn invocation(mut self, invocation: impl Into<String>) -> Options {
        self.invocation = invocation.into();
        self
    }

    /// The command that continues this release: the exact version, never the level, so
    /// the re-run cannot bump again.
    pub fn resume_command(&self, version: &semver::Version) -> String {
        let invocation = &self.invocation;
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
        if let Some(registry) = &self.registry {
            command.push_str(&format!(" --registry {}", crate::context::shell_quote(registry)));
        }
        for (_, flag) in flags.iter().filter(|(on, _)| *on) {
            command.push(' ');
            command.push_str(flag);
        }
        command
    }
}

/// Facts first (versions, git state, the edits), then the plan. The edits are
/// computed from HEAD's files in a scratch copy, so that edits an interrupted run left
/// in the tree are recognised as this release's own, and the lock check runs on them
/// before anything is written. The checks run in `sh` and say how they go through
/// `reporter`.
pub fn plan(sh: &Shell, ws: &Workspace, options: &Options, reporter: &dyn Reporter) -> Result<ReleasePlan> {
    plan_with(sh, ws, options, reporter, |_| Ok(()))
}

/// [`plan`], calling `before_checks` with the plan as it is when every check passes,
/// before the lock check, fmt, clippy and the tests run: a plan that may be carried out
/// is that plan, so an approval can be refused (by `before_checks` failing) before any
/// slow check runs.
pub fn plan_with(
    sh: &Shell,
    ws: &Workspace,
    options: &Options,
    reporter: &dyn Reporter,
    before_checks: impl FnOnce(&ReleasePlan) -> Result<()>,
) -> Result<ReleasePlan> {
    let config = &ws.config;
    let scratch = Scratch::of_head(sh, ws)?;
    let head_ws = scratch.workspace()?;
    let current = version::current(&head_ws)?;
    let current_tag = config.tag_for(&current);
    let release_subject = config.render(&config.commit_message, &current)?;
    let head_is_release = release_subject.lines().next() == Some(git::head_subject(sh)?.as_str());

    let gather = |tag: &str| GitFacts::gather(sh, &config.branch, &config.remote, tag);
    let current_facts = if head_is_release { Some(gather(&current_tag)?) } else { None };
    let current_tag_message = config.render(&config.tag_message, &current)?;
    let finished = current_facts.as_ref().is_some_and(|f| {
        f.tag_at_head(&current_tag_message) && (!options.push || (f.tag_pushed() && f.branch_pushed()))
    });
    let mut resumed = runbook::resume(&options.target, &current, &current_tag, head_is_release, finished);
    let committed = resumed.is_some();
    // A version released already has nothing to do: said before any check runs.
    let asked_for_current = matches!(&options.target, Target::Exact(v) if *v == current);
    let released = match (&current_facts, asked_for_current) {
        (Some(_), true) if finished => Some(format!("HEAD is the release commit of {current_tag}, tagged and pushed")),
        (None, true) => released_elsewhere(sh, &current_tag)?,
        _ => None,
    };
    if let Some(released) = released {
        let facts = match current_facts {
            Some(facts) => facts,
            None => gather(&current_tag)?,
        };
        return ReleasePlan::new(Inputs {
            config,
            previous: current.clone(),
            version: current,
            resumed: None,
            committed,
            released: Some(released),
            facts: &facts,
            bump: Vec::new(),
            changelog: Ok(None),
            has_lockfile: ws.root.join("Cargo.lock").exists(),
            verify: Vec::new(),
            temporary: Vec::new(),
            push: options.push,
        });
    }

    let mut temporary = Vec::new();
    let mut changelog_off = None;
    let (version, bump, changelog, facts) = match (&resumed, current_facts) {
        (Some(_), Some(facts)) => (current.clone(), Vec::new(), None, facts),
        _ => {
            let bump = version::edits::plan(&head_ws, &options.target, &[])?;
            if bump.is_empty() {
                bail!(
                    "the workspace is at {} already and HEAD is not its release commit; \
                     release a newer version, or tag this one with `tag --execute`",
                    bump.version
                );
            }
            let version = bump.version;
            // No changelog kept: step 3 is skipped, saying why (and how to opt in).
            let changelog = match head_ws.config.kept_changelog(&head_ws.root) {
                Ok(_) => crate::changelog::plan(&scratch.sh, &head_ws, &version)?,
                Err(why) => {
                    changelog_off = Some(why);
                    None
                }
            };
            let bump: Vec<FileEdit> = bump.edits.into_iter().map(|e| scratch.to_real(e, &ws.root)).collect();
            // A run interrupted on an earlier day dated the section it wrote with that day.
            let today = crate::ops::date::today()?;
            let changelog = changelog.map(|e| scratch.to_real(e, &ws.root)).map(|edit| {
                let written = fs::read(&edit.path).ok();
                runbook::dated_as_written(edit, &version, written.as_deref(), &today)
            });
            let edits: Vec<&FileEdit> = bump.iter().chain(&changelog).collect();
            // Computed in the copy, where a symlink may lead elsewhere than in the tree.
            edits.iter().try_for_each(|edit| fs::check_inside(&ws.root, &edit.path))?;
            let mut facts = gather(&config.tag_for(&version))?;
            let read = |path: &Utf8Path| fs::read(path).ok();
            if let Leftover::Ours { written, temporary: left } =
                runbook::leftover(&facts.changed, &scratch.top, &edits, read)
            {
                // The earlier run's edits are this run's; preflight judges the rest.
                facts.changed.clear();
                resumed = Some(format!(
                    "the working tree holds this release's edits for {version} ({written} of {} \
                     written) from an interrupted run, and nothing else; continuing from them",
                    plural(edits.len(), "file")
                ));
                temporary = left;
            }
            (version, bump, changelog, facts)
        }
    };
    let changelog = changelog_off.map_or(Ok(changelog), Err);
    let has_lockfile = ws.root.join("Cargo.lock").exists();
    let plan = |verify: Vec<Check>, bump: Vec<FileEdit>, changelog: Result<Option<FileEdit>, String>| {
        ReleasePlan::new(Inputs {
            config,
            previous: current.clone(),
            version: version.clone(),
            resumed: resumed.clone(),
            committed,
            released: None,
            facts: &facts,
            bump,
            changelog,
            has_lockfile,
            verify,
            temporary: temporary.clone(),
            push: options.push,
        })
    };
    // From the manifests alone, so it takes no time: known before the approval is compared.
    let publish = publish_check(ws, options.registry.as_deref());
    let mut expected = vec![publish.clone(), lock_check_settled(ws, committed).unwrap_or_else(lock_check_passed)];
    expected.extend(code_checks::expected(options.skip, &config.test_command));
    before_checks(&plan(expected, bump.clone(), changelog.clone())?)?;

    let edits = bump.iter().chain(changelog.as_ref().ok().and_then(Option::as_ref));
    let mut checks = vec![publish, lock_check(sh, ws, &scratch, edits, committed, reporter)];
    checks.extend(code_checks::run(sh, reporter, options.skip, &config.test_command));
    plan(checks, bump, changelog)
}

/// What `publish-ordered` would refuse from the manifests alone (see
/// [`crate::publish::refusals`]): checked before the tag is pushed, since the tag starts
/// the publish job.
fn publish_check(ws: &Workspace, registry: Option<&str>) -> Check {
    const NAME: &str = "publishable";
    let options = crate::publish::Options { registry: registry.map(String::from), ..Default::default() };
    match crate::publish::refusals(ws, &options) {
        Ok(crate::publish::Accepted { registry, selected, .. }) => Check::passed(
            NAME,
            format!(
                "publish-ordered accepts the manifests of {} for {}",
                plural(selected.len(), "crate"),
                registry.display()
            ),
        ),
        Err(err) => Check::failed(
            NAME,
            format!("publish-ordered would refuse this release: {err:#}"),
            "fix the manifests as listed, commit, and re-run (`publish-ordered` shows the same)",
        ),
    }
}

/// Why the workspace's version, when HEAD is not its release commit, is released
/// already: its tag exists (here, or on the remote once fetched). `None` when it is not.
fn released_elsewhere(sh: &Shell, tag: &str) -> Result<Option<String>> {
    Ok(git::tag_commit(sh, tag)?.map(|commit| {
        let short = commit.get(..10).unwrap_or(&commit);
        format!("the manifests are at its version and {tag} exists (at {short}); a newer version is a new release")
    }))
}

/// Runs the slow checks the plan lists as pending (clippy, the tests), each saying when
/// it starts, how long it has run and how long it took: `--execute` runs them before the
/// first change, a dry run only when asked (`--checks`).
pub fn run_checks(
    sh: &Shell,
    ws: &Workspace,
    mut plan: ReleasePlan,
    options: &Options,
    reporter: &dyn Reporter,
) -> ReleasePlan {
    plan.checks = code_checks::run_pending(sh, reporter, plan.checks, options.skip, &ws.config.test_command);
    plan
}

/// Runs the steps that have something to do, in order. Files written before the
/// commit are put back when a step up to the commit fails; the error then ends with
/// the command that resumes the release.
pub fn execute(
    sh: &Shell,
    ws: &Workspace,
    plan: &ReleasePlan,
    options: &Options,
    reporter: &dyn Reporter,
) -> Result<()> {
    // A caller that has not run the slow checks gets them run here, before any change.
    let checked;
    let plan = match plan.checks.iter().any(Check::is_pending) {
        true => {
            checked = run_checks(sh, ws, plan.clone(), options, reporter);
            &checked
        }
        false => plan,
    };
    if let Some(failed) = preflight::failures(&plan.checks) {
        bail!("preflight failed ({failed}); nothing was changed. Fix what is listed above and re-run");
    }
    // The preflight looked before the code checks ran, which take minutes: a git command
    // started (or killed) since then holds the index, and the commit would fail on it
    // after the files were written.
    if let Some(lock) = git::index_lock(sh)? {
        bail!("{}; nothing was changed. {}, then re-run", git::index_lock_held(&lock), git::index_lock_fix(&lock));
    }
    for file in &plan.temporary_files {
        std::fs::remove_file(file).with_context(|| format!("cannot remove {file}, left by an interrupted run"))?;
    }
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
                options.resume_command(&plan.version),
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
            reporter
                .status("Bumping", &format!("{} -> {} ({})", plan.previous, plan.version, plural(edits.len(), "file")));
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
                check_lockfile(sh, ws, reporter)?;
            }
            reporter.status("Checking", &format!("versions against {}", plan.tag));
            check_versions(sh, ws, &plan.tag)
        }
        Action::Commit { message } => {
            reporter.status("Committing", message);
            let paths: Vec<&str> = written.files.iter().map(|(edit, _)| ws.rel(&edit.path).as_str()).collect();
            git::commit(sh, &paths, message, reporter)?;
            written.files.clear();
            Ok(())
        }
        Action::Tag { tag, message } => {
            reporter.status("Tagging", &format!("{tag} ({message:?})"));
            git::create_tag(sh, tag, &crate::audit::anchor::append(message, plan.trailer.as_deref()), reporter)
        }
        Action::Push { remote, branch, tag } => {
            reporter.status("Pushing", &format!("{branch} and {tag} to {remote}"));
            git::push_atomic(sh, remote, branch, tag, reporter)
        }
    }
}

/// Step 1's lock check: Cargo.lock as the edits leave it, checked in the scratch copy
/// before anything is written (so the dry run checks it too).
fn lock_check<'a>(
    sh: &Shell,
    ws: &Workspace,
    scratch: &Scratch,
    edits: impl Iterator<Item = &'a FileEdit>,
    committed: bool,
    reporter: &dyn Reporter,
) -> Check {
    if let Some(check) = lock_check_settled(ws, committed) {
        return check;
    }
    for edit in edits {
        if let Err(err) = scratch.write(edit, &ws.root) {
            return Check::failed(
                LOCK_CHECK_NAME,
                format!("{err:#}"),
                "check the space in the temporary directory and re-run",
            );
        }
    }
    let lock = scratch.root.join("Cargo.lock");
    let text = fs::read(&lock).unwrap_or_default();
    let progress = reporter.progress("Checking", &format!("Cargo.lock after the bump with `{LOCK_CHECK}`"));
    let result = cargo::check_lock(sh, &scratch.root.join("Cargo.toml"), &text);
    progress.finish(result.is_ok());
    match result {
        Ok(()) => lock_check_passed(),
        Err(problem) => {
            // Cargo names the copy's paths; the user knows the workspace's.
            let detail = problem.detail("Cargo.lock").replace(scratch.root.as_str(), ws.root.as_str());
            Check::failed(LOCK_CHECK_NAME, detail, problem.fix())
        }
    }
}

const LOCK_CHECK_NAME: &str = "lock file";

/// The lock check's result when it is known without running it: skipped.
fn lock_check_settled(ws: &Workspace, committed: bool) -> Option<Check> {
    if !ws.root.join("Cargo.lock").exists() {
        return Some(Check::skipped(LOCK_CHECK_NAME, "no Cargo.lock"));
    }
    committed.then(|| Check::skipped(LOCK_CHECK_NAME, "checked before the release commit of the earlier run"))
}

fn lock_check_passed() -> Check {
    Check::passed(LOCK_CHECK_NAME, format!("`{LOCK_CHECK}` accepts Cargo.lock with the edits"))
}

/// Step 4's lock check, on the files as written.
fn check_lockfile(sh: &Shell, ws: &Workspace, reporter: &dyn Reporter) -> Result<()> {
    let lock = ws.root.join("Cargo.lock");
    let text = fs::read(&lock)?;
    let progress = reporter.progress("Checking", &format!("Cargo.lock with `{LOCK_CHECK}`"));
    let result = cargo::check_lock(sh, &ws.manifest_path, &text);
    progress.finish(result.is_ok());
    result.map_err(|problem| anyhow::anyhow!(problem.message("Cargo.lock")))
}

/// check-version on the files as written, with the workspace read again: the versions
/// cargo reported before the bump are stale.
fn check_versions(sh: &Shell, ws: &Workspace, tag: &str) -> Result<()> {
    let ws = Workspace::load(sh, Some(ws.manifest_path.as_std_path()))?;
    let problems = version::agreement::check(&ws, Some(tag))?;
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
            // `git reset` runs no hook, so there is nothing of git's to report.
            git::unstage(sh, &paths, &crate::report::Silent)?;
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
