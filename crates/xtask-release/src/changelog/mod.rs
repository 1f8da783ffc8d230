//! `changelog`: the section for a version from the commits since the previous tag,
//! rendered in Keep a Changelog layout and inserted under the file's header.
//!
//! Placement: after the intro and after an `## [Unreleased]` section when there is one,
//! so the new section sits above every older release.

pub(crate) mod commits;

use anyhow::{Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use semver::Version;
use serde::Serialize;
use xshell::Shell;

pub use self::commits::PreviousTag;
use self::commits::{Conventional, Message};
use crate::ops::date;
use crate::ops::fs::{self, FileEdit};
use crate::report::Reporter;
use crate::version::section::{self, body_under, is_link_definition};
use crate::workspace::Workspace;

/// Which section to write.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The version of the section [default: the workspace's].
    pub version: Option<Version>,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn version(mut self, version: Version) -> Options {
        self.version = Some(version);
        self
    }
}

/// Conventional-commit types and the heading each is grouped under, in the order the
/// groups are printed. Breaking changes come before all of them, "Other" after.
const GROUPS: &[(&[&str], &str)] = &[
    (&["feat"], "Features"),
    (&["fix"], "Fixes"),
    (&["perf"], "Performance"),
    (&["docs", "doc"], "Documentation"),
    (&["refactor"], "Refactoring"),
    (&["style"], "Style"),
    (&["test", "tests"], "Tests"),
    (&["build", "deps"], "Build"),
    (&["ci"], "CI"),
    (&["chore"], "Chores"),
    (&["revert"], "Reverts"),
];
const BREAKING: &str = "Breaking changes";
const OTHER: &str = "Other";

/// The header of a changelog created from nothing.
const NEW_FILE_HEADER: &str = "# Changelog\n\n\
All notable changes to this project are documented in this file.\n\n\
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n\
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).\n\n\
## [Unreleased]\n";

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    pub version: Version,
    pub path: Utf8PathBuf,
    /// Where the section starts from; `None` means all history.
    pub previous_tag: Option<PreviousTag>,
    /// The section as it would be inserted, heading included.
    pub section: String,
    /// Whether the changelog already has a section for the version (then nothing changes).
    pub exists: bool,
    #[serde(skip)]
    pub(crate) edit: Option<FileEdit>,
}

/// The edit that adds the section for `version` to the workspace's changelog, or `None`
/// when the section is already there. `release` calls this before its commit.
pub(crate) fn plan(sh: &Shell, ws: &Workspace, version: &Version) -> Result<Option<FileEdit>> {
    Ok(compute(sh, ws, version)?.edit)
}

/// The facts and the plan: the commits since the previous tag, rendered and placed.
pub(crate) fn compute(sh: &Shell, ws: &Workspace, version: &Version) -> Result<Plan> {
    let Some(file) = ws.config.changelog_file() else {
        bail!(
            "the changelog is off (changelog = false in [{}]); remove that key, or set \
             `changelog = \"FILE\"`, to keep one",
            ws.config.table
        );
    };
    let path = ws.root.join(file);
    let before = if path.exists() { fs::read(&path)? } else { String::new() };
    let (previous_tag, section) = section_from_commits(sh, ws, version)?;
    let exists = section::find(&before, version).is_some();
    let edit = (!exists).then(|| FileEdit { path: path.clone(), after: insert_section(&before, &section), before });
    Ok(Plan { version: version.clone(), path, previous_tag, section, exists, edit })
}

/// The section for `version` (heading included) from the commits since the previous
/// tag, leaving out release commits.
fn section_from_commits(sh: &Shell, ws: &Workspace, version: &Version) -> Result<(Option<PreviousTag>, String)> {
    let _root = sh.push_dir(ws.root.as_std_path());
    let previous_tag = commits::previous_tag(sh, &ws.config, version)?;
    let messages = commits::messages_since(sh, previous_tag.as_ref().map(|t| t.tag.as_str()))?;
    let messages: Vec<Message> = messages
        .iter()
        .filter(|m| !commits::matches_template(&ws.config.commit_message, m.lines().next().unwrap_or("")))
        .map(|m| Message::parse(m))
        .collect();
    Ok((previous_tag, render_section(version, &date::today()?, &messages)))
}

/// The release notes for `version`: its changelog section, or, when the workspace keeps
/// no changelog, the section rendered from the commits since the previous tag.
pub(crate) fn release_notes(sh: &Shell, ws: &Workspace, version: &Version) -> Result<String> {
    if ws.config.kept_changelog(&ws.root).is_ok() {
        return read_section_body(ws, version);
    }
    let (_, section) = section_from_commits(sh, ws, version)?;
    Ok(section::body(&section, version).unwrap_or_default())
}

/// Notes written by hand under `## [Unreleased]`, which the new section does not take in.
pub(crate) fn unreleased_notes(changelog: &str) -> Option<String> {
    body_under(changelog, is_unreleased).filter(|body| !body.is_empty())
}

fn is_unreleased(line: &str) -> bool {
    line.strip_prefix("## ").is_some_and(|h| {
        let h = h.trim().to_ascii_lowercase();
        h.starts_with("[unreleased]") || h == "unreleased"
    })
}

/// Reads the workspace's changelog and returns the section body for `version`, with an
/// error that says how to write it when it is missing.
fn read_section_body(ws: &Workspace, version: &Version) -> Result<String> {
    let path = match ws.config.kept_changelog(&ws.root) {
        Ok(path) => path,
        Err(why) => bail!("no changelog to read the notes for {version} from: {why}"),
    };
    if !path.exists() {
        bail!("{} does not exist; run `changelog --version {version} --execute` to write it", ws.rel(&path));
    }
    match section::body(&fs::read(&path)?, version) {
        Some(body) => Ok(body),
        None => bail!(
            "{} has no section for {version}; run `changelog --version {version} --execute` to add it",
            ws.rel(&path)
        ),
    }
}

/// `## [X.Y.Z] - YYYY-MM-DD` and the groups, each `### Title` with a list of entries.
pub(crate) fn render_section(version: &Version, date: &str, messages: &[Message]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    let mut push = |title: &'static str, entry: String| match groups.iter_mut().find(|(t, _)| *t == title) {
        Some((_, entries)) => entries.push(entry),
        None => groups.push((title, vec![entry])),
    };
    for message in messages {
        match message {
            Message::Conventional(c) if c.breaking => push(BREAKING, breaking_entry(c)),
            Message::Conventional(c) => match group_of(&c.kind) {
                Some(title) => push(title, entry(c)),
                // An unknown type keeps its whole subject, so `wip: x` does not read as `x`.
                None => push(OTHER, format!("- {}", c.subject)),
            },
            Message::Other(subject) if subject.starts_with("Revert \"") => push("Reverts", format!("- {subject}")),
            Message::Other(subject) => push(OTHER, format!("- {subject}")),
        }
    }
    let order = |title: &str| match title {
        BREAKING => 0,
        OTHER => GROUPS.len() + 1,
        _ => GROUPS.iter().position(|(_, t)| *t == title).map_or(GROUPS.len(), |i| i + 1),
    };
    groups.sort_by_key(|(title, _)| order(title));

    let mut out = format!("## [{version}] - {date}\n");
    if groups.is_empty() {
        out.push_str("\nNo changes.\n");
    }
    for (title, entries) in groups {
        out.push_str(&format!("\n### {title}\n\n"));
        for entry in entries {
            out.push_str(&entry);
            out.push('\n');
        }
    }
    out
}

fn group_of(kind: &str) -> Option<&'static str> {
    GROUPS.iter().find(|(kinds, _)| kinds.contains(&kind)).map(|(_, title)| *title)
}

/// `- **scope:** description`, or `- description` without a scope.
fn entry(c: &Conventional) -> String {
    match &c.scope {
        Some(scope) => format!("- **{scope}:** {}", c.description),
        None => format!("- {}", c.description),
    }
}

/// A breaking change with its footer's explanation as a nested item.
fn breaking_entry(c: &Conventional) -> String {
    match &c.breaking_note {
        Some(note) if note != &c.description => format!("{}\n  - {note}", entry(c)),
        _ => entry(c),
    }
}

/// `before` with `section` inserted after the intro and any `## [Unreleased]` section:
/// before the first release heading, or at the end when there is none. An empty text
/// becomes a new changelog with the standard header.
pub(crate) fn insert_section(before: &str, section: &str) -> String {
    let before = if before.trim().is_empty() { NEW_FILE_HEADER } else { before };
    let lines: Vec<&str> = before.lines().collect();
    // Link definitions at the end stay at the end.
    let tail_start = {
        let mut at = lines.len();
        while at > 0 && (lines[at - 1].trim().is_empty() || is_link_definition(lines[at - 1])) {
            at -= 1;
        }
        at
    };
    let at = lines.iter().position(|line| line.starts_with("## ") && !is_unreleased(line)).unwrap_or(tail_start);
    let head = lines[..at].join("\n");
    let head = head.trim_end();
    let tail = lines[at..].join("\n");
    let tail = tail.trim();
    let mut out = format!("{head}\n\n{}", section.trim_end());
    if !tail.is_empty() {
        out.push_str("\n\n");
        out.push_str(tail);
    }
    out.push('\n');
    out
}

/// The plan for the options: the version's section from the commits since the previous
/// tag. Changes nothing.
pub fn plan_for(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Plan> {
    let version = match &options.version {
        Some(version) => version.clone(),
        None => crate::version::current(ws)?,
    };
    let plan = compute(sh, ws, &version)?;
    // Said by the dry run too: --execute would refuse it.
    if plan.edit.is_some() {
        fs::check_inside(&ws.root, &plan.path)?;
    }
    Ok(plan)
}

/// Inserts the section as planned; nothing to do when the changelog has it already.
pub fn execute(ws: &Workspace, plan: &Plan, reporter: &dyn Reporter) -> Result<()> {
    let Some(edit) = &plan.edit else { return Ok(()) };
    fs::check_inside(&ws.root, &edit.path)?;
    edit.apply()?;
    let since = match &plan.previous_tag {
        Some(previous) => format!("commits since {}", previous.tag),
        None => "all commits (no previous release tag)".to_string(),
    };
    reporter.status("Updated", &format!("{} with the section for {}, from {since}", ws.rel(&plan.path), plan.version));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn groups_in_order_with_scopes_breaking_and_other() {
        let messages: Vec<Message> = [
            "fix(cli): exit 2 on usage errors",
            "Update the readme",
            "feat: add changelog",
            "feat(api)!: remove v1",
            "docs: explain config\n\nBREAKING CHANGE: the `old` key is gone",
            "WIP: half done",
        ]
        .into_iter()
        .map(Message::parse)
        .collect();
        assert_eq!(
            render_section(&v("1.0.0"), "2026-01-02", &messages),
            "## [1.0.0] - 2026-01-02\n\n\
             ### Breaking changes\n\n- **api:** remove v1\n- explain config\n  - the `old` key is gone\n\n\
             ### Features\n\n- add changelog\n\n\
             ### Fixes\n\n- **cli:** exit 2 on usage errors\n\n\
             ### Other\n\n- Update the readme\n- WIP: half done\n"
        );
    }

    #[test]
    fn inserted_after_unreleased_and_before_older_releases() {
        let before = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n- First.\n";
        let after = insert_section(before, "## [0.2.0] - 2026-02-01\n\n- Second.\n");
        assert_eq!(
            after,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-02-01\n\n- Second.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"
        );
        assert_eq!(section::body(&after, &v("0.2.0")).as_deref(), Some("- Second."));
        assert_eq!(section::body(&after, &v("0.1.0")).as_deref(), Some("- First."));
    }

    #[test]
    fn new_file_and_file_without_releases() {
        let created = insert_section("", "## [0.1.0] - 2026-01-01\n\nNo changes.\n");
        assert!(created.starts_with("# Changelog\n\n"), "{created}");
        assert!(created.ends_with("## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\nNo changes.\n"), "{created}");
        let links = "# Changelog\n\n[0.1.0]: https://example.com/v0.1.0\n";
        assert_eq!(
            insert_section(links, "## [0.1.0]\n"),
            "# Changelog\n\n## [0.1.0]\n\n[0.1.0]: https://example.com/v0.1.0\n"
        );
    }

    #[test]
    fn unreleased_notes_are_noticed() {
        assert_eq!(unreleased_notes("# C\n\n## [Unreleased]\n\n## [0.1.0]\n\n- x\n"), None);
        assert_eq!(unreleased_notes("# C\n\n## Unreleased\n\n- by hand\n\n## [0.1.0]\n").as_deref(), Some("- by hand"));
    }
}
