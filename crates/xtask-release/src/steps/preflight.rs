//! Preflight for `tag` and `release`: the git state gathered as facts, then judged by a
//! pure function into check results, all of them reported rather than the first failure.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::Serialize;
use xshell::Shell;

use crate::audit::anchor;
use crate::ops::git::{self, TagInfo};
use crate::output::plural;
use crate::report::Reporter;

/// The git state preflight judges, read once.
#[derive(Debug, Clone)]
pub struct GitFacts {
    /// `git status --porcelain` lines.
    pub changed: Vec<String>,
    /// `None` on a detached HEAD.
    pub branch: Option<String>,
    pub upstream: Option<String>,
    pub head: String,
    pub local_tag: Option<TagInfo>,
    pub remote: Remote,
    /// Git's index lock (`.git/index.lock`) when it exists: a git command is running, or
    /// one was killed (an interrupted release) and left it.
    pub index_lock: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Remote {
    /// No remote of the configured name.
    Missing,
    /// Fetching from it or listing its tags failed; the message says why.
    Unreachable(String),
    Reached {
        /// Commits HEAD is ahead of and behind `remote/branch`; `None` when the remote
        /// has no such branch.
        ahead_behind: Option<(u32, u32)>,
        /// The object the tag names on the remote.
        tag: Option<String>,
    },
}

impl GitFacts {
    /// Reads the facts for releasing `tag` from `branch` to `remote`, fetching first.
    pub fn gather(sh: &Shell, branch: &str, remote: &str, tag: &str) -> Result<GitFacts> {
        // Before anything is committed: a name git refuses would fail at `git tag`, after.
        if let Err(why) = crate::ops::refname::check_tag(tag) {
            bail!("`{tag}` cannot be a git tag: {why}; change tag-prefix, or give a version that makes a valid tag");
        }
        git::repository(sh)?;
        let current = git::current_branch(sh)?;
        let upstream = match &current {
            Some(b) => git::upstream(sh, b)?,
            None => None,
        };
        let remote = if !git::has_remote(sh, remote)? {
            Remote::Missing
        } else {
            let tracking = format!("{remote}/{branch}");
            let reached = git::fetch(sh, remote)
                .and_then(|()| Ok((git::ahead_behind(sh, &tracking)?, git::remote_tag(sh, remote, tag)?)));
            match reached {
                Ok((ahead_behind, tag)) => Remote::Reached { ahead_behind, tag },
                Err(err) => Remote::Unreachable(
                    err.downcast_ref::<git::Failure>().map_or_else(|| format!("{err:#}"), git::Failure::brief),
                ),
            }
        };
        Ok(GitFacts {
            changed: git::changed_files(sh)?,
            branch: current,
            upstream,
            head: git::head(sh)?,
            local_tag: git::tag_info(sh, tag)?,
            remote,
            index_lock: git::index_lock(sh)?,
        })
    }

    /// Whether the local tag is the one this run would create: annotated, at HEAD, with
    /// `message`. Such a tag is left from an earlier run and is kept, not made again.
    pub fn tag_at_head(&self, message: &str) -> bool {
        self.local_tag
            .as_ref()
            .is_some_and(|t| t.annotated && t.commit == self.head && anchor::strip(&t.message) == message)
    }

    /// Whether the remote has the very tag object we have locally.
    pub fn tag_pushed(&self) -> bool {
        match (&self.remote, &self.local_tag) {
            (Remote::Reached { tag: Some(remote), .. }, Some(local)) => *remote == local.object,
            _ => false,
        }
    }

    /// Whether the remote branch is at HEAD.
    pub fn branch_pushed(&self) -> bool {
        matches!(self.remote, Remote::Reached { ahead_behind: Some((0, 0)), .. })
    }
}

/// What the run about to happen needs from the git state.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub branch: &'a str,
    pub remote: &'a str,
    pub tag: &'a str,
    pub tag_message: &'a str,
    /// Whether the tag may exist already, at HEAD with `tag_message` (a re-run).
    pub tag_may_exist: bool,
    /// How many commits HEAD may be ahead of the remote branch: 1 when the release
    /// commit of an interrupted run is there but not pushed.
    pub may_be_ahead: u32,
    /// Whether something will be pushed, so the remote must exist.
    pub push: bool,
    /// The config's table, where a fix names `branch` or `remote`.
    pub table: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
    pub detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
    /// Not run yet: a slow check a plan lists with what it will run.
    Pending,
}

impl Check {
    pub fn passed(name: &'static str, detail: impl Into<String>) -> Check {
        Check { name, outcome: Outcome::Passed, detail: detail.into(), fix: None }
    }

    pub fn failed(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { name, outcome: Outcome::Failed, detail: detail.into(), fix: Some(fix.into()) }
    }

    pub fn skipped(name: &'static str, detail: impl Into<String>) -> Check {
        Check { name, outcome: Outcome::Skipped, detail: detail.into(), fix: None }
    }

    pub fn pending(name: &'static str, detail: impl Into<String>) -> Check {
        Check { name, outcome: Outcome::Pending, detail: detail.into(), fix: None }
    }

    pub fn is_pending(&self) -> bool {
        self.outcome == Outcome::Pending
    }

    pub fn is_failed(&self) -> bool {
        self.outcome == Outcome::Failed
    }
}

/// Judges the facts: clean tree, release branch, up to date with the remote, tag free
/// locally and on the remote.
pub fn evaluate(facts: &GitFacts, expect: &Expect) -> Vec<Check> {
    vec![
        no_index_lock(facts),
        clean_tree(facts),
        release_branch(facts, expect),
        up_to_date(facts, expect),
        local_tag(facts, expect),
        remote_tag(facts, expect),
    ]
}

fn no_index_lock(facts: &GitFacts) -> Check {
    const NAME: &str = "git index unlocked";
    match &facts.index_lock {
        None => Check::passed(NAME, "no git command holds the index"),
        Some(lock) => Check::failed(
            NAME,
            format!("{} (an interrupted release does)", git::index_lock_held(lock)),
            format!("{}; then re-run, which continues the release", git::index_lock_fix(lock)),
        ),
    }
}

fn clean_tree(facts: &GitFacts) -> Check {
    const NAME: &str = "clean tree";
    if facts.changed.is_empty() {
        return Check::passed(NAME, "no uncommitted changes");
    }
    let files: Vec<&str> = facts.changed.iter().map(|l| l.get(3..).unwrap_or(l).trim()).collect();
    let fix = match files.iter().any(|f| f.ends_with(".xtask-release.tmp")) {
        true => {
            "the `.*.xtask-release.tmp` files are left by an interrupted run: delete them (`bump --execute` \
                 removes them too); commit or stash the rest (`git stash -u`)"
        }
        false => "commit or stash them first (`git stash -u`)",
    };
    Check::failed(
        NAME,
        format!("the working tree is dirty: {}: {}", plural(files.len(), "uncommitted change"), files.join(", ")),
        fix,
    )
}

fn release_branch(facts: &GitFacts, expect: &Expect) -> Check {
    const NAME: &str = "release branch";
    let switch = format!("switch to it: `git switch {}` (or set `branch` in [{}])", expect.branch, expect.table);
    match &facts.branch {
        Some(b) if b == expect.branch => Check::passed(NAME, format!("on {b}")),
        Some(b) => Check::failed(NAME, format!("on branch {b}, not the release branch {}", expect.branch), switch),
        None => Check::failed(
            NAME,
            format!("HEAD is detached at {}; releases are cut from branch {}", short(&facts.head), expect.branch),
            switch,
        ),
    }
}

fn up_to_date(facts: &GitFacts, expect: &Expect) -> Check {
    const NAME: &str = "up to date";
    let (remote, branch) = (expect.remote, expect.branch);
    let tracking = format!("{remote}/{branch}");
    let (ahead, behind) = match &facts.remote {
        Remote::Missing => return Check::skipped(NAME, format!("no remote {remote}")),
        Remote::Unreachable(err) => return unreachable(NAME, remote, err),
        Remote::Reached { ahead_behind: None, .. } => {
            return Check::failed(
                NAME,
                format!("branch {branch} is not on {remote}"),
                format!("push it first: `git push -u {remote} {branch}`"),
            );
        }
        Remote::Reached { ahead_behind: Some(counts), .. } => *counts,
    };
    let mut check = match (ahead, behind) {
        (0, 0) => Check::passed(NAME, format!("HEAD equals {tracking}")),
        (ahead, 0) if ahead <= expect.may_be_ahead => {
            Check::passed(NAME, format!("HEAD is the release commit on top of {tracking}, not pushed yet"))
        }
        (ahead, 0) => Check::failed(
            NAME,
            format!("HEAD is {} ahead of {tracking}", plural(ahead as usize, "commit")),
            format!("push them first (`git push {remote} {branch}`) so the release is cut from a published commit"),
        ),
        (0, behind) => Check::failed(
            NAME,
            format!("HEAD is {} behind {tracking}", plural(behind as usize, "commit")),
            format!("update first: `git pull --ff-only {remote} {branch}`"),
        ),
        (ahead, behind) => Check::failed(
            NAME,
            format!("HEAD and {tracking} have diverged: {} ahead, {behind} behind", plural(ahead as usize, "commit")),
            format!("rebase on it (`git pull --rebase {remote} {branch}`), check the result, and re-run"),
        ),
    };
    if let Some(upstream) = facts.upstream.as_deref().filter(|u| *u != tracking) {
        let _ = write!(check.detail, " (note: {branch} tracks {upstream}, but releases are pushed to {tracking})");
    }
    check
}

fn local_tag(facts: &GitFacts, expect: &Expect) -> Check {
    const NAME: &str = "tag free locally";
    let tag = expect.tag;
    let Some(info) = &facts.local_tag else {
        return Check::passed(NAME, format!("tag {tag} does not exist yet"));
    };
    if expect.tag_may_exist && facts.tag_at_head(expect.tag_message) {
        return Check::passed(
            NAME,
            format!("tag {tag} exists at HEAD from an earlier run; it is kept, not made again"),
        );
    }
    let why = if info.commit != facts.head {
        format!(
            "tag {tag} already exists locally and points at {}, not HEAD {}",
            short(&info.commit),
            short(&facts.head)
        )
    } else if !info.annotated {
        format!("tag {tag} already exists locally as a lightweight tag")
    } else if anchor::strip(&info.message) != expect.tag_message {
        format!("tag {tag} already exists locally with message {:?}, not {:?}", info.message, expect.tag_message)
    } else {
        format!("tag {tag} already exists locally")
    };
    Check::failed(
        NAME,
        why,
        format!("if it is a leftover, delete it (`git tag -d {tag}`); if {tag} was released, release a newer version"),
    )
}

fn remote_tag(facts: &GitFacts, expect: &Expect) -> Check {
    const NAME: &str = "tag free on remote";
    let (tag, remote) = (expect.tag, expect.remote);
    match &facts.remote {
        Remote::Missing if expect.push => Check::failed(
            NAME,
            format!("there is no remote {remote} to push to"),
            format!("add it (`git remote add {remote} URL`), set `remote` in [{}], or do not push", expect.table),
        ),
        Remote::Missing => Check::skipped(NAME, format!("no remote {remote}; nothing is pushed")),
        Remote::Unreachable(err) => unreachable(NAME, remote, err),
        Remote::Reached { tag: None, .. } => Check::passed(NAME, format!("tag {tag} is not on {remote}")),
        Remote::Reached { tag: Some(_), .. } if expect.tag_may_exist && facts.tag_pushed() => {
            Check::passed(NAME, format!("tag {tag} is on {remote} already, the same tag as here"))
        }
        Remote::Reached { tag: Some(object), .. } => Check::failed(
            NAME,
            format!("tag {tag} already exists on {remote} (object {})", short(object)),
            format!(
                "if {tag} was released, release a newer version; to inspect it: `git fetch {remote} tag {tag} --no-tags`"
            ),
        ),
    }
}

/// Where a release tag's commit stands against the release branch, read from git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagOnBranch {
    /// `None` when there is no such local tag.
    pub commit: Option<String>,
    /// Whether `<remote>/<branch>` exists here.
    pub tracking_exists: bool,
    /// Whether `<remote>/<branch>` contains the commit.
    pub contained: bool,
}

impl TagOnBranch {
    /// Reads the facts; no fetch, so it works on what a CI checkout holds.
    pub fn gather(sh: &Shell, tag: &str, tracking: &str) -> Result<TagOnBranch> {
        let commit = git::tag_commit(sh, tag)?;
        let tracking_exists = git::has_tracking(sh, tracking)?;
        let contained = match (&commit, tracking_exists) {
            (Some(commit), true) => git::contained_in(sh, commit, tracking)?,
            _ => false,
        };
        Ok(TagOnBranch { commit, tracking_exists, contained })
    }
}

/// Judges whether a tag may be released: only a commit that is on the release branch,
/// so that a tag pushed on any other commit cannot publish it.
pub fn tag_on_branch(facts: &TagOnBranch, tag: &str, remote: &str, branch: &str) -> Check {
    const NAME: &str = "tag on release branch";
    let tracking = format!("{remote}/{branch}");
    let Some(commit) = &facts.commit else {
        return Check::failed(
            NAME,
            format!("there is no tag {tag} here"),
            format!("fetch it (`git fetch {remote} tag {tag}`), or check the name"),
        );
    };
    if !facts.tracking_exists {
        return Check::failed(
            NAME,
            format!("{tracking} is not here, so it cannot be checked that it contains {tag}"),
            format!("fetch it first: `git fetch {remote} {branch}` (in a workflow: checkout with `fetch-depth: 0`)"),
        );
    }
    if facts.contained {
        return Check::passed(NAME, format!("{tag} ({}) is on {tracking}", short(commit)));
    }
    Check::failed(
        NAME,
        format!("{tag} points at {}, which is not on the release branch {tracking}", short(commit)),
        format!(
            "release only from {branch}: delete the tag (`git push {remote} :refs/tags/{tag}`), merge the commit into \
             {branch}, and tag it there"
        ),
    )
}

fn unreachable(name: &'static str, remote: &str, err: &str) -> Check {
    Check::failed(
        name,
        format!("cannot reach remote {remote}: {err}"),
        "check the network and `git remote -v`, then re-run",
    )
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// In GitHub Actions, an `::error` annotation for each failed check.
pub fn annotate(out: &dyn Reporter, checks: &[Check]) {
    for check in checks.iter().filter(|c| c.is_failed()) {
        let fix = check.fix.as_deref().map(|f| format!("; {f}")).unwrap_or_default();
        out.problem(None, &format!("{}: {}{fix}", check.name, check.detail));
    }
}

/// The names of the failed checks, when there are any, for the error that ends the run.
pub fn failures(checks: &[Check]) -> Option<String> {
    let failed: Vec<&str> = checks.iter().filter(|c| c.is_failed()).map(|c| c.name).collect();
    (!failed.is_empty()).then(|| failed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "1111111111111111111111111111111111111111";

    fn facts() -> GitFacts {
        GitFacts {
            changed: vec![],
            branch: Some("main".into()),
            upstream: Some("origin/main".into()),
            head: HEAD.into(),
            local_tag: None,
            remote: Remote::Reached { ahead_behind: Some((0, 0)), tag: None },
            index_lock: None,
        }
    }

    fn expect() -> Expect<'static> {
        Expect {
            branch: "main",
            remote: "origin",
            tag: "v1.0.0",
            tag_message: "Release v1.0.0",
            tag_may_exist: false,
            may_be_ahead: 0,
            push: true,
            table: crate::config::WORKSPACE_TABLE,
        }
    }

    fn outcome(checks: &[Check], name: &str) -> Outcome {
        checks.iter().find(|c| c.name == name).map(|c| c.outcome).unwrap()
    }

    #[test]
    fn a_clean_state_passes_everything() {
        let checks = evaluate(&facts(), &expect());
        assert_eq!(failures(&checks), None, "{checks:#?}");
    }

    #[test]
    fn every_failure_is_reported_not_just_the_first() {
        let facts = GitFacts {
            changed: vec![" M Cargo.toml".into()],
            branch: None,
            remote: Remote::Reached { ahead_behind: Some((1, 2)), tag: Some("abc".into()) },
            ..facts()
        };
        let checks = evaluate(&facts, &expect());
        assert_eq!(failures(&checks).as_deref(), Some("clean tree, release branch, up to date, tag free on remote"));
        assert!(checks[1].detail.contains("Cargo.toml"));
        assert!(checks[2].detail.contains("detached"));
        assert!(checks[3].detail.contains("diverged"));
    }

    #[test]
    fn a_left_index_lock_fails_with_the_command_that_removes_it() {
        let facts = GitFacts { index_lock: Some("/w/.git/index.lock".into()), ..facts() };
        let checks = evaluate(&facts, &expect());
        assert_eq!(failures(&checks).as_deref(), Some("git index unlocked"));
        assert!(checks[0].fix.as_deref().unwrap().contains("`rm /w/.git/index.lock`"), "{checks:?}");
    }

    #[test]
    fn ahead_and_behind_have_their_own_fixes() {
        let with = |counts| GitFacts { remote: Remote::Reached { ahead_behind: Some(counts), tag: None }, ..facts() };
        let behind = up_to_date(&with((0, 3)), &expect());
        assert!(behind.fix.unwrap().contains("pull --ff-only"));
        let ahead = up_to_date(&with((1, 0)), &expect());
        assert!(ahead.fix.unwrap().contains("git push origin main"));
        let resumed = up_to_date(&with((1, 0)), &Expect { may_be_ahead: 1, ..expect() });
        assert_eq!(resumed.outcome, Outcome::Passed);
    }

    #[test]
    fn an_existing_tag_passes_only_on_a_rerun_at_head_with_the_same_message() {
        let tag = |commit: &str, message: &str| TagInfo {
            object: "2222".into(),
            commit: commit.into(),
            annotated: true,
            message: message.into(),
        };
        let rerun = Expect { tag_may_exist: true, ..expect() };
        let at_head = GitFacts { local_tag: Some(tag(HEAD, "Release v1.0.0")), ..facts() };
        assert_eq!(outcome(&evaluate(&at_head, &rerun), "tag free locally"), Outcome::Passed);
        assert_eq!(outcome(&evaluate(&at_head, &expect()), "tag free locally"), Outcome::Failed);
        let elsewhere = GitFacts { local_tag: Some(tag("3333", "Release v1.0.0")), ..facts() };
        let check = local_tag(&elsewhere, &rerun);
        assert!(check.detail.contains("points at 3333"), "{check:?}");
        let other_message = GitFacts { local_tag: Some(tag(HEAD, "hand-made")), ..facts() };
        assert_eq!(local_tag(&other_message, &rerun).outcome, Outcome::Failed);
    }

    #[test]
    fn a_pushed_tag_passes_on_a_rerun_only_when_it_is_the_same_object() {
        let local =
            TagInfo { object: "2222".into(), commit: HEAD.into(), annotated: true, message: "Release v1.0.0".into() };
        let rerun = Expect { tag_may_exist: true, ..expect() };
        let on_remote = |object: &str| GitFacts {
            local_tag: Some(local.clone()),
            remote: Remote::Reached { ahead_behind: Some((0, 0)), tag: Some(object.into()) },
            ..facts()
        };
        assert_eq!(remote_tag(&on_remote("2222"), &rerun).outcome, Outcome::Passed);
        assert_eq!(remote_tag(&on_remote("4444"), &rerun).outcome, Outcome::Failed);
    }

    #[test]
    fn a_tag_is_released_only_from_a_commit_on_the_release_branch() {
        let facts = |contained, tracking_exists| TagOnBranch { commit: Some(HEAD.into()), tracking_exists, contained };
        assert_eq!(tag_on_branch(&facts(true, true), "v1.0.0", "origin", "main").outcome, Outcome::Passed);
        let off = tag_on_branch(&facts(false, true), "v1.0.0", "origin", "main");
        assert!(off.detail.contains("not on the release branch origin/main"), "{off:?}");
        let unfetched = tag_on_branch(&facts(false, false), "v1.0.0", "origin", "main");
        assert!(unfetched.fix.unwrap().contains("fetch-depth: 0"));
        let missing = TagOnBranch { commit: None, tracking_exists: true, contained: false };
        assert!(tag_on_branch(&missing, "v1.0.0", "origin", "main").detail.contains("no tag v1.0.0"));
    }

    #[test]
    fn a_missing_remote_fails_only_when_pushing() {
        let facts = GitFacts { remote: Remote::Missing, ..facts() };
        assert_eq!(outcome(&evaluate(&facts, &expect()), "tag free on remote"), Outcome::Failed);
        let local_only = Expect { push: false, ..expect() };
        assert_eq!(failures(&evaluate(&facts, &local_only)), None);
    }
}
