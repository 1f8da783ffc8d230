//! `changelog` on a fixture history with a previous tag, merge commits, breaking changes,
//! scopes, non-conventional messages and a release commit, compared with expected files.

mod support;

use std::path::Path;

use support::{Fixture, assert_same_files};

/// 2026-03-04 12:00:00 UTC: the date every section here carries.
const EPOCH: &str = "1772625600";

fn expected(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected/changelog").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn commit(fixture: &Fixture, message: &str) {
    fixture.git(&["commit", "--quiet", "--allow-empty", "-m", message]);
}

/// The single-crate fixture released as v0.1.0, then a cycle of work since.
fn history() -> Fixture {
    let fixture = support::fixture("single-crate");
    fixture.git(&["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"]);
    commit(&fixture, "feat(parser): handle nested tables");
    commit(&fixture, "fix: exit 2 on usage errors");
    fixture.git(&["switch", "--quiet", "-c", "topic"]);
    commit(&fixture, "feat(cli)!: rename --dry to --execute");
    commit(&fixture, "perf(parser): avoid a copy per line");
    fixture.git(&["switch", "--quiet", "main"]);
    commit(&fixture, "Update the readme");
    fixture.git(&["merge", "--quiet", "--no-ff", "topic", "-m", "Merge branch 'topic'"]);
    commit(
        &fixture,
        "refactor: split config\n\nThe loader moves to its own module.\n\nBREAKING CHANGE: `[old]` keys are\nrejected now.\nRefs: #12",
    );
    commit(&fixture, "docs(readme): document the config keys");
    commit(&fixture, "release: v0.1.1");
    commit(&fixture, "chore: bump dependencies");
    fixture
}

fn changelog(fixture: &Fixture, args: &[&str]) -> support::Run {
    let mut cmd = fixture.command(&[&["changelog"], args].concat());
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    support::run(cmd)
}

#[test]
fn dry_run_prints_the_section_and_changes_nothing() {
    let fixture = history();
    let before = fixture.snapshot();
    let run = changelog(&fixture, &["--version", "0.2.0"]).ok();
    assert_eq!(run.stdout, expected("section-0.2.0.md"));
    assert!(run.stderr.contains("commits since v0.1.0"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn execute_inserts_under_the_header_and_a_rerun_changes_nothing() {
    let fixture = history();
    let run = changelog(&fixture, &["--version", "0.2.0", "--execute"]).ok();
    assert!(run.stderr.contains("Updated CHANGELOG.md"), "{run}");
    assert_eq!(fixture.read("CHANGELOG.md"), expected("CHANGELOG-0.2.0.md"));

    let written = fixture.snapshot();
    let rerun = changelog(&fixture, &["--version", "0.2.0", "--execute"]).ok();
    assert!(rerun.stderr.contains("already has a section for 0.2.0"), "{rerun}");
    assert_eq!(rerun.stdout, "");
    assert_same_files(&written, &fixture.snapshot());
}

/// Adopting before any release: the commits go under `[Unreleased]`, not under a version
/// that was never released, and the first release takes them from there, so no entry is
/// in two sections.
#[test]
fn before_any_release_the_commits_go_under_unreleased_and_the_first_release_takes_them() {
    let fixture = support::fixture("single-crate");
    fixture.git(&["rm", "--quiet", "CHANGELOG.md"]);
    commit(&fixture, "feat: first feature");
    // The workspace's own version is the default; it was never tagged.
    let run = changelog(&fixture, &["--execute"]).ok();
    assert!(run.stderr.contains("Updated CHANGELOG.md with entries under [Unreleased], from all commits"), "{run}");
    assert_eq!(fixture.read("CHANGELOG.md"), expected("CHANGELOG-new.md"));
    let rerun = changelog(&fixture, &["--execute"]).ok();
    assert!(rerun.stderr.contains("has notes under [Unreleased] already"), "{rerun}");
    assert_eq!(fixture.read("CHANGELOG.md"), expected("CHANGELOG-new.md"));

    fixture.git(&["add", "CHANGELOG.md"]);
    commit(&fixture, "docs: adopt a changelog");
    commit(&fixture, "fix: a later fix, written by hand or not at all");
    let run = changelog(&fixture, &["--version", "0.2.0", "--execute"]).ok();
    assert!(run.stderr.contains("with the section for 0.2.0, from the notes under [Unreleased]"), "{run}");
    let written = fixture.read("CHANGELOG.md");
    assert!(
        written.contains("## [Unreleased]\n\n## [0.2.0] - 2026-03-04\n\n### Features\n\n- first feature\n"),
        "{written}"
    );
    assert_eq!(written.matches("first feature").count(), 1, "{written}");
    assert!(!written.contains("a later fix"), "{written}");
}

/// A changelog kept by hand (Keep a Changelog): the release renames `[Unreleased]`, opens
/// an empty one above it and moves the compare links on; nothing is made from commits.
#[test]
fn notes_kept_under_unreleased_become_the_release_and_the_links_move_on() {
    let fixture = history();
    let kept = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Nested tables, by hand.\n\n\
                ## [0.1.0] - 2026-01-01\n\n- First release.\n\n\
                [unreleased]: https://github.com/o/r/compare/v0.1.0...HEAD\n\
                [0.1.0]: https://github.com/o/r/releases/tag/v0.1.0\n";
    fixture.write("CHANGELOG.md", kept);
    let before = fixture.snapshot();
    let dry = changelog(&fixture, &["--version", "0.2.0"]).ok();
    assert!(
        dry.stderr.contains("Would turn the notes under [Unreleased] in CHANGELOG.md into the section for 0.2.0"),
        "{dry}"
    );
    assert!(!dry.stderr.contains("they stay there"), "{dry}");
    assert_same_files(&before, &fixture.snapshot());

    changelog(&fixture, &["--version", "0.2.0", "--execute"]).ok();
    assert_eq!(
        fixture.read("CHANGELOG.md"),
        "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-03-04\n\n### Added\n\n- Nested tables, by hand.\n\n\
         ## [0.1.0] - 2026-01-01\n\n- First release.\n\n\
         [unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD\n\
         [0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0\n\
         [0.1.0]: https://github.com/o/r/releases/tag/v0.1.0\n"
    );
    let written = fixture.snapshot();
    let rerun = changelog(&fixture, &["--version", "0.2.0", "--execute"]).ok();
    assert!(rerun.stderr.contains("already has a section for 0.2.0"), "{rerun}");
    assert_same_files(&written, &fixture.snapshot());
}

/// A history that follows no convention is a plain list, each subject once.
#[test]
fn commits_without_conventions_are_a_plain_list() {
    let fixture = support::fixture("single-crate");
    fixture.git(&["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"]);
    commit(&fixture, "Handle nested tables");
    commit(&fixture, "Update the readme");
    commit(&fixture, "Update the readme");
    let run = changelog(&fixture, &["--version", "0.2.0"]).ok();
    assert_eq!(run.stdout, "## [0.2.0] - 2026-03-04\n\n- Handle nested tables\n- Update the readme\n");
}

#[test]
fn json_plan_names_the_previous_tag_and_the_section() {
    let fixture = history();
    let run = changelog(&fixture, &["--version", "0.2.0", "--format", "json"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["previous_tag"]["tag"], "v0.1.0");
    assert_eq!(plan["exists"], false);
    assert_eq!(plan["section"], expected("section-0.2.0.md"));
}

#[test]
fn bad_source_date_epoch_is_an_error_naming_it() {
    let fixture = history();
    let before = fixture.snapshot();
    let mut cmd = fixture.command(&["changelog", "--execute"]);
    cmd.env("SOURCE_DATE_EPOCH", "yesterday");
    let run = support::run(cmd).fails(1);
    assert!(run.stderr.contains("SOURCE_DATE_EPOCH"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn tag_prefix_and_release_commits_follow_the_config() {
    let fixture = support::fixture("single-crate");
    let manifest = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!(
            "{manifest}\n[workspace]\n\n[workspace.metadata.xtask-release]\ntag-prefix = \"single-\"\n\
             commit-message = \"chore(release): {{version}}\"\n"
        ),
    );
    fixture.git(&["commit", "--quiet", "-am", "chore: adopt xtask-release"]);
    // Another project's tag scheme in the same repository is not a previous release.
    fixture.git(&["tag", "v9.0.0"]);
    fixture.git(&["tag", "single-0.1.0"]);
    commit(&fixture, "fix(cli): quote paths");
    commit(&fixture, "chore(release): 0.1.1");
    let run = changelog(&fixture, &["--version", "0.2.0"]).ok();
    assert!(run.stderr.contains("commits since single-0.1.0"), "{run}");
    assert_eq!(run.stdout, "## [0.2.0] - 2026-03-04\n\n### Fixes\n\n- **cli:** quote paths\n");
}

/// `release` takes the notes kept under `[Unreleased]` into its commit, and the
/// release's notes are what was written by hand, not the commits.
#[test]
fn release_turns_the_kept_notes_into_its_section() {
    let fixture = history();
    fixture.write(
        "CHANGELOG.md",
        "# Changelog\n\n## [Unreleased]\n\n- Nested tables, by hand.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n",
    );
    fixture.git(&["commit", "--quiet", "-am", "docs: notes by hand"]);
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let mut cmd = fixture.command(&["release", "minor", "--no-verify", "--execute", "--yes"]);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    let run = support::run(cmd).ok();
    let released = fixture.git(&["show", "v0.2.0:CHANGELOG.md"]);
    assert_eq!(
        released,
        "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-03-04\n\n- Nested tables, by hand.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n",
        "{run}"
    );
}
