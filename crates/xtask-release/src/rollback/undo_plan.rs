//! The rollback plan as plain data, computed from the facts by pure functions: which
//! crates to yank or unyank and in which order, what happens to the tag and to the
//! GitHub release. What is already done is a skipped step, so a re-run changes nothing.

use semver::Version;
use serde::Serialize;

use crate::publish::registry_config::Registry;

/// The first line of the notice a rollback puts on top of a release's notes.
pub const NOTICE: &str = "> **YANKED**";
/// Ends the notice; holds the release's pre-release flag from before, for `--undo`.
const MARKER: &str = "<!-- xtask-release rollback: prerelease=";

/// What the registry, git and GitHub say now.
#[derive(Debug, Clone)]
pub struct Facts {
    pub version: Version,
    pub tag: String,
    pub remote: String,
    pub registry: Registry,
    /// The crates of the publish plan, dependencies first, each with whether the index
    /// lists it at the version as yanked (`None`: not listed).
    pub crates: Vec<(String, Option<bool>)>,
    /// The commit the local tag points at, when it exists.
    pub local_tag: Option<String>,
    /// Whether the remote has the tag.
    pub remote_tag: bool,
    pub release: Release,
    /// The commit to put the tag back on: `--commit`, else the one the audit trail
    /// recorded when the tag was deleted.
    pub known_commit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// `--no-github`.
    Skipped,
    None,
    Found {
        marked: bool,
    },
}

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    pub version: Version,
    pub tag: String,
    pub registry: Registry,
    /// The GitHub API the release is marked through, `None` without GitHub (`--no-github`,
    /// or no token).
    pub github_api: Option<String>,
    pub undo: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    #[serde(flatten)]
    pub action: Action,
    /// Why the step is not taken (already done, nothing to act on), or `None` to take it.
    pub skip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Yank {
        name: String,
    },
    Unyank {
        name: String,
    },
    MarkRelease {
        reason: Option<String>,
    },
    RestoreRelease,
    DeleteRemoteTag {
        remote: String,
    },
    /// The commit the local tag points at; `None` when there is no local tag.
    DeleteLocalTag {
        commit: Option<String>,
    },
    CreateTag {
        commit: Option<String>,
    },
    PushTag {
        remote: String,
    },
}

impl Step {
    fn take(action: Action) -> Step {
        Step { action, skip: None }
    }

    fn skip(action: Action, why: impl Into<String>) -> Step {
        Step { action, skip: Some(why.into()) }
    }

    /// One line for the plan and the audit trail.
    pub fn describe(&self, plan: &Plan) -> String {
        let (v, tag) = (&plan.version, &plan.tag);
        let registry = plan.registry.display();
        match &self.action {
            Action::Yank { name } => format!("yank {name} {v} on {registry}"),
            Action::Unyank { name } => format!("unyank {name} {v} on {registry}"),
            Action::MarkRelease { reason: None } => format!("mark the GitHub release {tag} as YANKED, a pre-release"),
            Action::MarkRelease { reason: Some(r) } => {
                format!("mark the GitHub release {tag} as YANKED ({r}), a pre-release")
            }
            Action::RestoreRelease => format!("restore the notes and pre-release flag of the GitHub release {tag}"),
            Action::DeleteRemoteTag { remote } => format!("delete tag {tag} on {remote}"),
            Action::DeleteLocalTag { commit: Some(c) } => format!("delete the local tag {tag} (at {})", short(c)),
            Action::DeleteLocalTag { commit: None } => format!("delete the local tag {tag}"),
            Action::CreateTag { commit: Some(c) } => format!("create tag {tag} at {}", short(c)),
            Action::CreateTag { commit: None } => format!("create tag {tag}"),
            Action::PushTag { remote } => format!("push tag {tag} to {remote}"),
        }
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// Yank dependents first, so no crate is left that depends on a yanked one; mark the
/// release before its tag goes (GitHub turns a release whose tag is deleted into a
/// draft); the remote tag before the local one, which is what a re-run reads.
pub fn rollback(facts: &Facts, reason: Option<&str>) -> Plan {
    let mut steps = Vec::new();
    for (name, state) in facts.crates.iter().rev() {
        let action = Action::Yank { name: name.clone() };
        steps.push(match state {
            None => Step::skip(action, "not on the registry"),
            Some(true) => Step::skip(action, "already yanked"),
            Some(false) => Step::take(action),
        });
    }
    let mark = Action::MarkRelease { reason: reason.map(str::to_string) };
    steps.push(match facts.release {
        Release::Skipped => Step::skip(mark, "--no-github"),
        Release::None => Step::skip(mark, "no GitHub release for the tag"),
        Release::Found { marked: true } => Step::skip(mark, "already marked"),
        Release::Found { marked: false } => Step::take(mark),
    });
    let remote = Action::DeleteRemoteTag { remote: facts.remote.clone() };
    steps.push(if facts.remote_tag { Step::take(remote) } else { Step::skip(remote, "not on the remote") });
    match &facts.local_tag {
        Some(commit) => steps.push(Step::take(Action::DeleteLocalTag { commit: Some(commit.clone()) })),
        None => steps.push(Step::skip(Action::DeleteLocalTag { commit: None }, "no local tag")),
    }
    plan(facts, false, steps)
}

/// The reverse: unyank dependencies first, restore the release, and put the tag back
/// when its commit is known.
pub fn undo(facts: &Facts) -> Plan {
    let mut steps = Vec::new();
    for (name, state) in &facts.crates {
        let action = Action::Unyank { name: name.clone() };
        steps.push(match state {
            None => Step::skip(action, "not on the registry"),
            Some(false) => Step::skip(action, "not yanked"),
            Some(true) => Step::take(action),
        });
    }
    steps.push(match facts.release {
        Release::Skipped => Step::skip(Action::RestoreRelease, "--no-github"),
        Release::None => Step::skip(Action::RestoreRelease, "no GitHub release for the tag"),
        Release::Found { marked: false } => Step::skip(Action::RestoreRelease, "not marked"),
        Release::Found { marked: true } => Step::take(Action::RestoreRelease),
    });
    let commit = facts.local_tag.clone().or_else(|| facts.known_commit.clone());
    if facts.local_tag.is_some() {
        steps.push(Step::skip(Action::CreateTag { commit: commit.clone() }, "the local tag exists"));
    } else if commit.is_none() {
        steps.push(Step::skip(
            Action::CreateTag { commit: None },
            "its commit is not known: pass --commit SHA (the audit trail has no record of it)",
        ));
    } else {
        steps.push(Step::take(Action::CreateTag { commit: commit.clone() }));
    }
    let push = Action::PushTag { remote: facts.remote.clone() };
    steps.push(match (facts.remote_tag, commit) {
        (true, _) => Step::skip(push, REMOTE_HAS_TAG),
        (false, None) => Step::skip(push, "no tag to push"),
        (false, Some(_)) => Step::take(push),
    });
    plan(facts, true, steps)
}

/// Why the plan cannot do what it is for, when it cannot: an undo whose tag is gone
/// everywhere and whose commit nobody knows would unyank and restore, then leave the
/// release without its tag and still say it was restored.
pub fn unfinishable(plan: &Plan) -> Option<String> {
    let tag_left_out = plan.steps.iter().any(|s| s.skip.is_some() && s.action == Action::CreateTag { commit: None });
    let pushed = plan
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::PushTag { .. }) && s.skip.as_deref() == Some(REMOTE_HAS_TAG));
    (plan.undo && tag_left_out && !pushed).then(|| {
        format!(
            "cannot undo the rollback of {}: the tag {} is gone here and on the remote, and the audit trail has no \
             record of its commit; find the release's commit (the GitHub release page or the registry's \
             `.cargo_vcs_info.json` names it) and pass --commit SHA; nothing was done",
            plan.version, plan.tag
        )
    })
}

/// Why an undo pushes no tag when the remote still has it.
const REMOTE_HAS_TAG: &str = "the remote has the tag";

fn plan(facts: &Facts, undo: bool, steps: Vec<Step>) -> Plan {
    Plan {
        version: facts.version.clone(),
        tag: facts.tag.clone(),
        registry: facts.registry.clone(),
        github_api: None,
        undo,
        steps,
    }
}

/// The release notes with the YANKED notice on top, remembering the pre-release flag.
pub fn mark(body: &str, reason: Option<&str>, prerelease: bool) -> String {
    let reason = reason.map(|r| format!(": {}", r.trim())).unwrap_or_default();
    format!(
        "{NOTICE}{reason}\n>\n> This release was withdrawn: its crates are yanked and its tag is deleted. Do not use it.\n\
         {MARKER}{prerelease} -->\n\n{body}"
    )
}

/// The notes and pre-release flag from before [`mark`], or `None` when not marked.
pub fn unmark(body: &str) -> Option<(String, bool)> {
    if !body.starts_with(NOTICE) {
        return None;
    }
    let at = body.find(MARKER)?;
    let rest = &body[at + MARKER.len()..];
    let (flag, after) = rest.split_once(" -->")?;
    let prerelease = flag.trim() == "true";
    Some((after.strip_prefix("\n\n").unwrap_or(after).to_string(), prerelease))
}

pub fn is_marked(body: &str) -> bool {
    unmark(body).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            version: Version::new(0, 2, 0),
            tag: "v0.2.0".into(),
            remote: "origin".into(),
            registry: Registry { name: Some("local".into()), index_url: "http://r/".into(), cargo_index: None },
            crates: vec![("core".into(), Some(false)), ("sdk".into(), Some(true)), ("app".into(), Some(false))],
            local_tag: Some("c0ffee".into()),
            remote_tag: true,
            release: Release::Found { marked: false },
            known_commit: None,
        }
    }

    fn taken(plan: &Plan) -> Vec<String> {
        plan.steps.iter().filter(|s| s.skip.is_none()).map(|s| s.describe(plan)).collect()
    }

    #[test]
    fn rollback_yanks_dependents_first_and_skips_what_is_done() {
        let plan = rollback(&facts(), Some("broken build"));
        assert_eq!(
            taken(&plan),
            [
                "yank app 0.2.0 on `local`",
                "yank core 0.2.0 on `local`",
                "mark the GitHub release v0.2.0 as YANKED (broken build), a pre-release",
                "delete tag v0.2.0 on origin",
                "delete the local tag v0.2.0 (at c0ffee)",
            ]
        );
        assert_eq!(plan.steps[1].skip.as_deref(), Some("already yanked"));
        let done = Facts {
            crates: vec![("core".into(), Some(true)), ("app".into(), None)],
            local_tag: None,
            remote_tag: false,
            release: Release::Found { marked: true },
            ..facts()
        };
        let again = rollback(&done, None);
        assert!(taken(&again).is_empty());
        // A re-run says there is no local tag, not "(at )".
        assert!(again.steps.iter().all(|s| !s.describe(&again).contains("(at )")));
        assert_eq!(unfinishable(&again), None);
    }

    #[test]
    fn undo_unyanks_dependencies_first_and_needs_a_commit_for_the_tag() {
        let gone = Facts { local_tag: None, remote_tag: false, release: Release::Found { marked: true }, ..facts() };
        let plan = undo(&gone);
        assert_eq!(
            taken(&plan),
            ["unyank sdk 0.2.0 on `local`", "restore the notes and pre-release flag of the GitHub release v0.2.0"]
        );
        assert!(plan.steps.iter().any(|s| s.skip.as_deref().is_some_and(|w| w.contains("pass --commit SHA"))));
        assert!(unfinishable(&plan).is_some_and(|why| why.contains("pass --commit SHA; nothing was done")));
        // The remote still has the tag: the release keeps it, so the undo can finish.
        assert_eq!(unfinishable(&undo(&Facts { remote_tag: true, ..gone.clone() })), None);
        let plan = undo(&Facts { known_commit: Some("abc".into()), ..gone });
        assert_eq!(unfinishable(&plan), None);
        assert!(
            taken(&plan).ends_with(&["create tag v0.2.0 at abc".to_string(), "push tag v0.2.0 to origin".to_string()])
        );
    }

    #[test]
    fn the_notice_round_trips() {
        let marked = mark("### Fixes\n\n- a", Some("miscompiles"), false);
        assert!(marked.starts_with("> **YANKED**: miscompiles\n"), "{marked}");
        assert_eq!(unmark(&marked), Some(("### Fixes\n\n- a".to_string(), false)));
        assert_eq!(unmark(&mark("", None, true)), Some((String::new(), true)));
        assert_eq!(unmark("### Fixes"), None);
    }
}
