//! The release plan: the seven numbered steps as data, each either to do or with the
//! reason it has nothing to do, computed from facts by pure functions.

use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use semver::Version;
use serde::Serialize;

use crate::config::Config;
use crate::ops::date;
use crate::ops::fs::FileEdit;
use crate::steps::preflight::{self, Check, Expect, GitFacts};
use crate::version::{Target, section};

/// Why the push step is skipped with `--no-push`: what a caller checks to tell that the
/// release commit and tag stay local.
pub(crate) const NO_PUSH: &str = "skipped: --no-push";

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ReleasePlan {
    pub version: Version,
    pub previous: Version,
    pub tag: String,
    pub prerelease: bool,
    pub branch: String,
    pub remote: String,
    /// Set when this run continues an interrupted release of `version` instead of
    /// starting a new one (from its release commit, or from its edits left in the
    /// working tree); says why.
    pub resumed: Option<String>,
    /// Step 1's results: git state, then the lock check, fmt, clippy and tests.
    pub checks: Vec<Check>,
    /// Temporary files an interrupted run's writes left beside the files it edits;
    /// removed before step 2.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub temporary_files: Vec<Utf8PathBuf>,
    pub steps: Vec<Step>,
    /// A last line for the tag's annotation, after a blank line, that is not part of the plan (nor of
    /// its digest): the command line puts the audit trail's head there.
    #[serde(skip)]
    pub(crate) trailer: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub number: usize,
    #[serde(flatten)]
    pub action: Action,
    /// Why the step has nothing to do: `done: ...` when an earlier run did it,
    /// `skipped: ...` when a flag or the files make it unneeded.
    pub skip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Action {
    Preflight,
    Bump {
        edits: Vec<FileEdit>,
    },
    Changelog {
        edit: Option<FileEdit>,
    },
    /// The edits written, before they are committed: Cargo.lock (among the bump's edits)
    /// passes `cargo update --workspace --locked`, and check-version passes for the tag.
    Verify {
        lockfile: bool,
    },
    Commit {
        message: String,
    },
    Tag {
        tag: String,
        message: String,
    },
    Push {
        remote: String,
        branch: String,
        tag: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Preflight => "preflight",
            Action::Bump { .. } => "bump",
            Action::Changelog { .. } => "changelog",
            Action::Verify { .. } => "verify",
            Action::Commit { .. } => "commit",
            Action::Tag { .. } => "tag",
            Action::Push { .. } => "push",
        }
    }
}

/// When HEAD is the release commit of the current version (`head_is_release`), a re-run
/// continues that release instead of bumping again: for the exact version, always; for
/// a level, while that release is not `finished` (tagged, and pushed unless `--no-push`).
/// Returns why it resumes, or `None` for a new release.
pub fn resume(target: &Target, current: &Version, tag: &str, head_is_release: bool, finished: bool) -> Option<String> {
    if !head_is_release {
        return None;
    }
    match target {
        Target::Exact(v) if v == current => {
            Some(format!("HEAD is the release commit of {tag} from an earlier run; continuing that release"))
        }
        Target::Level(_) if !finished => Some(format!(
            "HEAD is the release commit of {tag} from an earlier run, which is not finished; \
             `{target}` resolves to {current} to finish it instead of bumping again"
        )),
        _ => None,
    }
}

/// The changelog edit as an interrupted run wrote it, when that run was on an earlier
/// day: the section's heading carries the date of the run that wrote it, and `edit` is
/// recomputed with `today`, so after midnight it would not be recognised as this
/// release's own. When `written` (the file in the working tree) has the version's
/// heading that differs from `edit`'s only by a valid date at most one day after `today`
/// (a clock a little behind), `edit` takes that heading, and the release keeps the date
/// it was started on. Otherwise `edit` is returned as it is.
pub fn dated_as_written(edit: FileEdit, version: &Version, written: Option<&str>, today: &str) -> FileEdit {
    let Some(written) = written else { return edit };
    let heading = |text| heading_line(text, version);
    let (Some((at, ours)), Some((_, theirs))) = (heading(&edit.after), heading(written)) else { return edit };
    let ours_line = ours.trim_end_matches(['\n', '\r']);
    let theirs_line = theirs.trim_end_matches(['\n', '\r']);
    let Some(prefix) = ours_line.strip_suffix(today) else { return edit };
    let earlier = theirs_line.strip_prefix(prefix).and_then(date::parse_iso_date);
    match (earlier, date::parse_iso_date(today)) {
        (Some(earlier), Some(today)) if earlier <= today + 1 && theirs_line != ours_line => {
            let after = format!("{}{theirs_line}{}", &edit.after[..at], &edit.after[at + ours_line.len()..]);
            FileEdit { after, ..edit }
        }
        _ => edit,
    }
}

/// The byte offset and the line (with its line ending) of `version`'s section heading.
fn heading_line<'a>(text: &'a str, version: &Version) -> Option<(usize, &'a str)> {
    let index = section::find(text, version)?;
    let mut at = 0;
    for line in text.split_inclusive('\n').take(index) {
        at += line.len();
    }
    text[at..].split_inclusive('\n').next().map(|line| (at, line))
}

/// What the working tree holds besides HEAD, judged against the release's edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leftover {
    /// Nothing changed.
    Clean,
    /// Only this release's own edits, `written` of them (each file either as HEAD has it
    /// or as the edit writes it), and temporary files of our interrupted writes: an
    /// earlier run was stopped before its commit, and this one continues from there.
    Ours { written: usize, temporary: Vec<Utf8PathBuf> },
    /// Changes that are not (only) the release's edits.
    Other,
}

/// Judges the `changed` paths (`git status --porcelain` lines, relative to `top`, the
/// repository's root) against `edits`; `read` gives a file's current text.
pub fn leftover(
    changed: &[String],
    top: &Utf8Path,
    edits: &[&FileEdit],
    read: impl Fn(&Utf8Path) -> Option<String>,
) -> Leftover {
    if changed.is_empty() {
        return Leftover::Clean;
    }
    let mut temporary = Vec::new();
    let mut written = 0;
    for line in changed {
        let path = top.join(porcelain_path(line));
        if let Some(edit) = edits.iter().find(|e| e.path == path) {
            match read(&path) {
                Some(text) if text == edit.after => written += 1,
                Some(text) if text == edit.before => {}
                _ => return Leftover::Other,
            }
        } else if line.starts_with("??") && edits.iter().any(|e| is_temporary_of(&path, &e.path)) {
            temporary.push(path);
        } else {
            return Leftover::Other;
        }
    }
    Leftover::Ours { written, temporary }
}

/// The path of a `git status --porcelain` line: the new name of a rename, unquoted.
fn porcelain_path(line: &str) -> &str {
    let path = line.get(3..).unwrap_or(line);
    let path = path.rsplit(" -> ").next().unwrap_or(path);
    path.strip_prefix('"').and_then(|p| p.strip_suffix('"')).unwrap_or(path)
}

/// Whether `path` is a temporary file an atomic write of `file` leaves when killed:
/// `.NAME.xtask-release*.tmp` beside it.
fn is_temporary_of(path: &Utf8Path, file: &Utf8Path) -> bool {
    let (Some(name), Some(file_name)) = (path.file_name(), file.file_name()) else { return false };
    path.parent() == file.parent() && name.starts_with(&format!(".{file_name}.xtask-release")) && name.ends_with(".tmp")
}

/// Everything the plan is computed from.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub previous: Version,
    pub version: Version,
    pub resumed: Option<String>,
    /// Whether HEAD is the release commit of `version` from an earlier run.
    pub committed: bool,
    /// Set when `version` is released already (says how it is known): every step is done,
    /// and no check is judged.
    pub released: Option<String>,
    pub facts: &'a GitFacts,
    pub bump: Vec<FileEdit>,
    /// The section to add, `Ok(None)` when it is there already, `Err` saying why no
    /// changelog is kept (`changelog = false`, or none and the key unset).
    pub changelog: Result<Option<FileEdit>, String>,
    pub has_lockfile: bool,
    /// The lock check, fmt, clippy and tests, already run (or skipped).
    pub verify: Vec<Check>,
    /// Temporary files of an interrupted run's writes, see [`ReleasePlan::temporary_files`].
    pub temporary: Vec<Utf8PathBuf>,
    pub push: bool,
}

impl ReleasePlan {
    /// The plan from the facts: a pure function; it fails only on a config template that
    /// was not checked.
    pub(crate) fn new(inputs: Inputs) -> anyhow::Result<ReleasePlan> {
        let Inputs {
            config,
            previous,
            version,
            resumed,
            committed,
            released,
            facts,
            bump,
            changelog,
            has_lockfile,
            verify,
            temporary,
            push,
        } = inputs;
        let tag = config.tag_for(&version);
        let tag_message = config.render(&config.tag_message, &version)?;
        let resuming = committed;
        let expect = Expect {
            branch: &config.branch,
            remote: &config.remote,
            tag: &tag,
            tag_message: &tag_message,
            tag_may_exist: resuming,
            may_be_ahead: u32::from(resuming),
            push,
            table: config.table,
        };
        let mut checks = match released {
            Some(_) => Vec::new(),
            None => preflight::evaluate(facts, &expect),
        };
        checks.extend(verify);

        let released = released.map(|why| format!("done: {tag} is released already: {why}"));
        let done = released.clone().or_else(|| resuming.then(|| format!("done: HEAD is the release commit of {tag}")));
        let (changelog, changelog_skip) = match changelog {
            Ok(None) => {
                let file = config.changelog_file().unwrap_or_default();
                (None, Some(format!("skipped: {file} has a section for {version} already")))
            }
            Ok(Some(edit)) => (Some(edit), None),
            Err(why) => (None, Some(format!("skipped: {why}"))),
        };
        let tag_skip = (resuming && facts.tag_at_head(&tag_message))
            .then(|| format!("done: tag {tag} exists at HEAD from an earlier run"))
            .or(released.clone());
        let push_skip = if let Some(released) = released {
            Some(released)
        } else if !push {
            Some(NO_PUSH.to_string())
        } else if resuming && facts.tag_pushed() && facts.branch_pushed() {
            Some(format!("done: {} has {} and {tag} already", config.remote, config.branch))
        } else {
            None
        };
        let steps = vec![
            (Action::Preflight, None),
            (Action::Bump { edits: bump }, done.clone()),
            (Action::Changelog { edit: changelog }, done.clone().or(changelog_skip)),
            (Action::Verify { lockfile: has_lockfile }, done.clone()),
            (Action::Commit { message: config.render(&config.commit_message, &version)? }, done),
            (Action::Tag { tag: tag.clone(), message: tag_message }, tag_skip),
            (
                Action::Push { remote: config.remote.clone(), branch: config.branch.clone(), tag: tag.clone() },
                push_skip,
            ),
        ];
        Ok(ReleasePlan {
            prerelease: !version.pre.is_empty(),
            branch: config.branch.clone(),
            remote: config.remote.clone(),
            steps: steps
                .into_iter()
                .enumerate()
                .map(|(i, (action, skip))| Step { number: i + 1, action, skip })
                .collect(),
            version,
            previous,
            tag,
            resumed,
            checks,
            temporary_files: temporary,
            trailer: None,
        })
    }

    /// Whether every step but preflight has nothing to do.
    pub fn is_done(&self) -> bool {
        self.steps.iter().skip(1).all(|s| s.skip.is_some())
    }

    /// Ends the tag's annotation with `line`, after a blank line, when step 6 makes the tag; `line` is not part
    /// of the plan (the command line puts the audit trail's head there).
    pub fn with_trailer(mut self, line: impl Into<String>) -> ReleasePlan {
        self.trailer = Some(line.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::Level;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    const HEAD: &str = "1111111111111111111111111111111111111111";

    fn facts(tag: Option<&str>, remote_tag: Option<&str>, ahead: u32) -> GitFacts {
        GitFacts {
            changed: vec![],
            branch: Some("main".into()),
            upstream: Some("origin/main".into()),
            head: HEAD.into(),
            local_tag: tag.map(|object| crate::ops::git::TagInfo {
                object: object.into(),
                commit: HEAD.into(),
                annotated: true,
                message: "Release v0.2.0".into(),
            }),
            remote: preflight::Remote::Reached { ahead_behind: Some((ahead, 0)), tag: remote_tag.map(Into::into) },
            index_lock: None,
        }
    }

    fn plan(facts: &GitFacts, resumed: bool, push: bool) -> ReleasePlan {
        ReleasePlan::new(Inputs {
            config: &Config::default(),
            previous: v(if resumed { "0.2.0" } else { "0.1.0" }),
            version: v("0.2.0"),
            resumed: resumed.then(|| "an earlier run".into()),
            committed: resumed,
            released: None,
            facts,
            bump: vec![],
            changelog: Ok(None),
            has_lockfile: true,
            verify: vec![],
            temporary: vec![],
            push,
        })
        .unwrap()
    }

    fn todo(plan: &ReleasePlan) -> Vec<&'static str> {
        plan.steps.iter().filter(|s| s.skip.is_none()).map(|s| s.action.name()).collect()
    }

    #[test]
    fn a_resumed_release_after_a_failed_push_only_pushes() {
        let plan = plan(&facts(Some("2222"), None, 1), true, true);
        assert_eq!(preflight::failures(&plan.checks), None, "{:#?}", plan.checks);
        assert_eq!(todo(&plan), ["preflight", "push"]);
    }

    #[test]
    fn a_resumed_release_after_a_failed_tag_tags_and_pushes() {
        let plan = plan(&facts(None, None, 1), true, true);
        assert_eq!(todo(&plan), ["preflight", "tag", "push"]);
    }

    #[test]
    fn a_finished_release_has_nothing_to_do() {
        let plan = plan(&facts(Some("2222"), Some("2222"), 0), true, true);
        assert!(plan.is_done(), "{:#?}", plan.steps);
    }

    #[test]
    fn a_new_release_does_everything_but_a_push_turned_off() {
        let plan = plan(&facts(None, None, 0), false, false);
        assert_eq!(todo(&plan), ["preflight", "bump", "verify", "commit", "tag"]);
        assert_eq!(plan.steps[6].skip.as_deref(), Some(NO_PUSH));
        assert!(plan.steps[2].skip.as_deref().unwrap().contains("CHANGELOG.md has a section for 0.2.0"));
    }

    #[test]
    fn a_new_release_refuses_a_tag_left_at_head() {
        let plan = plan(&facts(Some("2222"), None, 0), false, true);
        assert_eq!(preflight::failures(&plan.checks).as_deref(), Some("tag free locally"));
    }

    #[test]
    fn a_new_release_does_not_resume() {
        assert_eq!(resume(&Target::Level(Level::Minor), &v("0.1.0"), "v0.1.0", false, false), None);
        assert_eq!(resume(&Target::Exact(v("0.2.0")), &v("0.1.0"), "v0.1.0", false, false), None);
    }

    #[test]
    fn the_same_version_resumes_on_its_release_commit() {
        let note = resume(&Target::Exact(v("0.2.0")), &v("0.2.0"), "v0.2.0", true, true);
        assert!(note.unwrap().contains("continuing"));
        assert_eq!(resume(&Target::Exact(v("0.3.0")), &v("0.2.0"), "v0.2.0", true, false), None);
    }

    #[test]
    fn a_level_resumes_only_an_unfinished_release() {
        let note = resume(&Target::Level(Level::Minor), &v("0.2.0"), "v0.2.0", true, false);
        assert!(note.unwrap().contains("`minor` resolves to 0.2.0"));
        assert_eq!(resume(&Target::Level(Level::Minor), &v("0.2.0"), "v0.2.0", true, true), None);
    }
    #[test]
    fn a_section_written_on_an_earlier_day_keeps_its_date() {
        let before = "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- one\n";
        let section =
            |date: &str| format!("# Changelog\n\n## [0.2.0] - {date}\n\n- two\n\n## [0.1.0] - 2026-01-01\n\n- one\n");
        let edit = FileEdit { path: "CHANGELOG.md".into(), before: before.into(), after: section("2026-12-03") };
        let dated = |written: Option<&str>| dated_as_written(edit.clone(), &v("0.2.0"), written, "2026-12-03").after;
        assert_eq!(dated(Some(&section("2026-12-02"))), section("2026-12-02"));
        assert_eq!(dated(Some(&section("2025-06-30"))), section("2025-06-30"), "resumed much later");
        assert_eq!(dated(Some(&section("2026-12-04"))), section("2026-12-04"), "a clock a day behind");
        for other in ["2026-12-05", "2026-02-30", "someday", "2026-12-02 (yanked)"] {
            assert_eq!(dated(Some(&section(other))), section("2026-12-03"), "{other}");
        }
        assert_eq!(dated(Some(before)), section("2026-12-03"), "not written yet");
        assert_eq!(dated(None), section("2026-12-03"), "no file");
        let crlf = section("2026-12-02").replace('\n', "\r\n");
        let edit = FileEdit { after: section("2026-12-03").replace('\n', "\r\n"), ..edit.clone() };
        assert_eq!(dated_as_written(edit, &v("0.2.0"), Some(&crlf), "2026-12-03").after, crlf);
    }
}
