//! `changelog`: the section for a version, in Keep a Changelog layout. Notes kept by hand
//! under `## [Unreleased]` become the release's section; only when there are none is it
//! made from the commits since the previous tag. Before the first release tag, the
//! commits go under `[Unreleased]`, so the first release does not repeat them.

pub(crate) mod commits;
mod layout;

use anyhow::{Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use semver::Version;
use serde::Serialize;
use xshell::Shell;

pub use self::commits::PreviousTag;
use self::commits::{Conventional, Message};
use self::layout::unreleased_notes;
use crate::ops::date;
use crate::ops::fs::{self, FileEdit};
use crate::report::Reporter;
use crate::version::section;
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

/// Where a section's entries come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The commits since the previous release tag, grouped by conventional-commit type.
    Commits,
    /// The notes kept by hand under `## [Unreleased]`, which become the release's section.
    Unreleased,
}

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    pub version: Version,
    pub path: Utf8PathBuf,
    /// Where the section starts from; `None` means all history.
    pub previous_tag: Option<PreviousTag>,
    /// The section as it would be written, heading included.
    pub section: String,
    pub source: Source,
    /// Whether the entries go under `## [Unreleased]` rather than a release heading: so
    /// it is before the first release (no release tag, no release section in the
    /// changelog), when no version was asked for.
    pub unreleased: bool,
    /// Whether the changelog has the section already (then nothing changes): the
    /// version's, or notes under `[Unreleased]` when that is where the entries would go.
    pub exists: bool,
    #[serde(skip)]
    pub(crate) edit: Option<FileEdit>,
}

impl Plan {
    /// Where the entries come from, for a status line: `the notes under [Unreleased]` or
    /// `commits since v0.1.0`.
    pub fn from(&self) -> String {
        match (self.source, &self.previous_tag) {
            (Source::Unreleased, _) => "the notes under [Unreleased]".to_string(),
            (Source::Commits, Some(previous)) => format!("commits since {}", previous.tag),
            (Source::Commits, None) => "all commits (no previous release tag)".to_string(),
        }
    }

    /// What the plan writes: `the section for 0.2.0` or `entries under [Unreleased]`.
    pub fn target(&self) -> String {
        match self.unreleased {
            true => "entries under [Unreleased]".to_string(),
            false => format!("the section for {}", self.version),
        }
    }
}

/// The edit that writes the section for `version` into the workspace's changelog, or
/// `None` when the section is already there. `release` calls this before its commit.
pub(crate) fn plan(sh: &Shell, ws: &Workspace, version: &Version) -> Result<Option<FileEdit>> {
    Ok(compute(sh, ws, version, false)?.edit)
}

/// The facts and the plan. For a release: its section exists already, or the notes under
/// `[Unreleased]` become it, or it is made from the commits. With `unreleased`, the
/// commits' entries fill an empty `[Unreleased]` instead.
fn compute(sh: &Shell, ws: &Workspace, version: &Version, unreleased: bool) -> Result<Plan> {
    let Some(file) = ws.config.changelog_file() else {
        bail!(
            "the changelog is off (changelog = false in [{}]); remove that key, or set \
             `changelog = \"FILE\"`, to keep one",
            ws.config.table
        );
    };
    let path = ws.root.join(file);
    let before = if path.exists() { fs::read(&path)? } else { String::new() };
    // A changelog with a release section says there were releases, tagged or not (a
    // bump, then `changelog`, then `tag`, by hand): the section is the version's.
    let unreleased = unreleased && !before.lines().any(|line| section::heading_version(line).is_some());
    let today = date::today()?;
    let _root = sh.push_dir(ws.root.as_std_path());
    let previous_tag = commits::previous_tag(sh, &ws.config, version)?;
    let plan = |section: String, source, exists: bool, after: Option<String>| Plan {
        version: version.clone(),
        path: path.clone(),
        previous_tag: previous_tag.clone(),
        section,
        source,
        unreleased,
        exists,
        edit: after.filter(|_| !exists).map(|after| FileEdit { path: path.clone(), after, before: before.clone() }),
    };
    if unreleased {
        if let Some(notes) = unreleased_notes(&before) {
            return Ok(plan(format!("## [Unreleased]\n\n{notes}\n"), Source::Unreleased, true, None));
        }
        let entries = render_entries(&messages_since(sh, ws, previous_tag.as_ref())?);
        let after = layout::fill_unreleased(&before, &entries);
        return Ok(plan(format!("## [Unreleased]\n\n{entries}"), Source::Commits, false, after));
    }
    let exists = section::find(&before, version).is_some();
    if !exists && let Some(notes) = unreleased_notes(&before) {
        let tag = ws.config.tag_for(version);
        let release = layout::Release { version: &version.to_string(), date: &today, tag: &tag };
        let after = layout::rename_unreleased(&before, &release);
        return Ok(plan(format!("{}\n\n{notes}\n", heading(version, &today)), Source::Unreleased, false, after));
    }
    let entries = render_entries(&messages_since(sh, ws, previous_tag.as_ref())?);
    let section = format!("{}\n\n{entries}", heading(version, &today));
    let after = layout::insert_section(&before, &section);
    Ok(plan(section, Source::Commits, exists, Some(after)))
}

/// The commits after `previous` (all history without one), release commits left out.
fn messages_since(sh: &Shell, ws: &Workspace, previous: Option<&PreviousTag>) -> Result<Vec<Message>> {
    let messages = commits::messages_since(sh, previous.map(|t| t.tag.as_str()))?;
    Ok(messages
        .iter()
        .filter(|m| !commits::matches_template(&ws.config.commit_message, m.lines().next().unwrap_or("")))
        .map(|m| Message::parse(m))
        .collect())
}

/// The release notes for `version`: its changelog section, or, when the workspace keeps
/// no changelog, the entries from the commits since the previous tag.
pub(crate) fn release_notes(sh: &Shell, ws: &Workspace, version: &Version) -> Result<String> {
    if ws.config.kept_changelog(&ws.root).is_ok() {
        return read_section_body(ws, version);
    }
    let _root = sh.push_dir(ws.root.as_std_path());
    let previous_tag = commits::previous_tag(sh, &ws.config, version)?;
    Ok(render_entries(&messages_since(sh, ws, previous_tag.as_ref())?).trim().to_string())
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

/// `## [X.Y.Z] - YYYY-MM-DD`.
fn heading(version: &Version, date: &str) -> String {
    format!("## [{version}] - {date}")
}

/// The entries of a section: groups, each `### Title` with a list, when any commit
/// follows the conventions; a plain list of subjects when none does (a heading over
/// every entry says nothing). The same entry twice (a cherry-pick, a re-applied commit)
/// is listed once.
pub(crate) fn render_entries(messages: &[Message]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    let mut push = |title: &'static str, entry: String| match groups.iter_mut().find(|(t, _)| *t == title) {
        Some((_, entries)) if entries.contains(&entry) => {}
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

    let mut out = String::new();
    match groups.as_slice() {
        [] => out.push_str("No changes.\n"),
        [(OTHER, entries)] => entries.iter().for_each(|entry| out.push_str(&format!("{entry}\n"))),
        _ => {
            for (title, entries) in groups {
                out.push_str(&format!("{}### {title}\n\n", if out.is_empty() { "" } else { "\n" }));
                entries.iter().for_each(|entry| out.push_str(&format!("{entry}\n")));
            }
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

/// The plan for the options: the version's section (the workspace's version by default).
/// Before the first release (no release tag, no release section in the changelog), when
/// no version was asked for, the commits' entries go under `[Unreleased]`: the version in
/// the manifests was never released, and the first release takes them from there.
/// Changes nothing.
pub fn plan_for(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Plan> {
    let (version, unreleased) = match &options.version {
        Some(version) => (version.clone(), false),
        None => {
            let version = crate::version::current(ws)?;
            let _root = sh.push_dir(ws.root.as_std_path());
            let released = commits::any_release_tag(sh, &ws.config)?;
            (version, !released)
        }
    };
    let plan = compute(sh, ws, &version, unreleased)?;
    // Said by the dry run too: --execute would refuse it.
    if plan.edit.is_some() {
        fs::check_inside(&ws.root, &plan.path)?;
    }
    Ok(plan)
}

/// Writes the section as planned; nothing to do when the changelog has it already.
pub fn execute(ws: &Workspace, plan: &Plan, reporter: &dyn Reporter) -> Result<()> {
    let Some(edit) = &plan.edit else { return Ok(()) };
    fs::check_inside(&ws.root, &edit.path)?;
    edit.apply()?;
    reporter.status("Updated", &format!("{} with {}, from {}", ws.rel(&plan.path), plan.target(), plan.from()));
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
            render_entries(&messages),
            "### Breaking changes\n\n- **api:** remove v1\n- explain config\n  - the `old` key is gone\n\n\
             ### Features\n\n- add changelog\n\n\
             ### Fixes\n\n- **cli:** exit 2 on usage errors\n\n\
             ### Other\n\n- Update the readme\n- WIP: half done\n"
        );
    }

    #[test]
    fn without_conventions_a_plain_list_each_subject_once() {
        let messages: Vec<Message> =
            ["Update the readme", "Fix the parser", "Update the readme"].into_iter().map(Message::parse).collect();
        assert_eq!(render_entries(&messages), "- Update the readme\n- Fix the parser\n");
        assert_eq!(render_entries(&[]), "No changes.\n");
        assert_eq!(heading(&v("1.0.0"), "2026-01-02"), "## [1.0.0] - 2026-01-02");
    }
}
