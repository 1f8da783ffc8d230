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

#[test]
fn without_a_tag_or_a_changelog_takes_all_history_and_creates_the_file() {
    let fixture = support::fixture("single-crate");
    fixture.git(&["rm", "--quiet", "CHANGELOG.md"]);
    commit(&fixture, "feat: first feature");
    // The workspace's own version is the default.
    let run = changelog(&fixture, &["--execute"]).ok();
    assert!(run.stderr.contains("no previous release tag"), "{run}");
    assert_eq!(fixture.read("CHANGELOG.md"), expected("CHANGELOG-new.md"));
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
