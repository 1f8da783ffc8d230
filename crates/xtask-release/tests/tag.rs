//! `tag`: preflight, the annotated tag, pushing only the tag, safe re-runs, and the
//! git states it refuses, each leaving files, commits and tags as they were.

mod support;

use support::git::{BadState, assert_refused_everywhere, bad_git_states};
use support::{assert_same_files, fixture};

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let fixture = fixture("single-crate");
    let before = fixture.snapshot();
    let refs = fixture.origin_refs();
    let run = fixture.run(&["tag", "--push"]).ok();
    assert!(run.stdout.contains("create annotated tag v0.1.0 with message \"Release v0.1.0\""), "{run}");
    assert!(run.stdout.contains("push tag v0.1.0 (only the tag) to origin"), "{run}");
    assert!(run.stdout.contains("ok      clean tree"), "{run}");
    assert!(run.stderr.contains("dry run"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
    assert_eq!(fixture.tags(), "");
    assert_eq!(fixture.origin_refs(), refs);
}

#[test]
fn execute_push_makes_an_annotated_tag_and_pushes_only_it() {
    let fixture = fixture("single-crate");
    let head = fixture.head();
    // A local commit on another branch must not reach origin.
    fixture.git(&["switch", "--quiet", "-c", "topic"]);
    fixture.write("notes.txt", "local only\n");
    fixture.commit_all("local work");
    fixture.git(&["switch", "--quiet", "main"]);

    fixture.run(&["tag", "--execute", "--push"]).ok();

    assert_eq!(fixture.git(&["cat-file", "-t", "v0.1.0"]).trim(), "tag");
    assert_eq!(fixture.git(&["rev-parse", "v0.1.0^{commit}"]).trim(), head);
    assert_eq!(fixture.git(&["tag", "-l", "--format=%(contents)", "v0.1.0"]).trim(), "Release v0.1.0");
    let tag_object = fixture.git(&["rev-parse", "v0.1.0"]).trim().to_string();
    assert_eq!(fixture.origin_refs(), format!("{head} refs/heads/main\n{tag_object} refs/tags/v0.1.0\n"));
}

#[test]
fn tag_message_comes_from_config() {
    let fixture = fixture("single-crate");
    fixture.configure_and_push(
        "\n[workspace.metadata.xtask-release]\ntag-message = \"single {version}\"\n",
        "configure the tag message",
    );
    fixture.run(&["tag", "--execute"]).ok();
    assert_eq!(fixture.git(&["tag", "-l", "--format=%(contents)", "v0.1.0"]).trim(), "single 0.1.0");
    assert!(!fixture.origin_refs().contains("refs/tags/"), "pushed without --push");
}

#[test]
fn rerun_keeps_the_tag_it_made_and_only_pushes_it() {
    let fixture = fixture("single-crate");
    fixture.run(&["tag", "--execute"]).ok();
    let object = fixture.git(&["rev-parse", "v0.1.0"]);

    let run = fixture.run(&["tag", "--execute", "--push"]).ok();
    assert!(run.stdout.contains("keep tag v0.1.0"), "{run}");
    assert_eq!(fixture.git(&["rev-parse", "v0.1.0"]), object, "the tag was made again");
    assert!(fixture.origin_refs().contains(&format!("{} refs/tags/v0.1.0", object.trim())));

    let run = fixture.run(&["tag", "--execute", "--push"]).ok();
    assert!(run.stderr.contains("nothing to push"), "{run}");
}

#[test]
fn prerelease_is_reported_in_text_and_json() {
    let fixture = fixture("single-crate");
    for file in ["Cargo.toml", "Cargo.lock"] {
        let text = fixture.read(file).replace("version = \"0.1.0\"", "version = \"0.2.0-rc.1\"");
        fixture.write(file, &text);
    }
    let changelog = fixture.read("CHANGELOG.md").replace("## [0.1.0]", "## [0.2.0-rc.1] - 2026-02-01\n\n## [0.1.0]");
    fixture.write("CHANGELOG.md", &changelog);
    fixture.commit_all("0.2.0-rc.1");
    fixture.git(&["push", "--quiet", "origin", "main"]);

    let run = fixture.run(&["tag"]).ok();
    assert!(run.stdout.contains("Tag v0.2.0-rc.1 (pre-release)"), "{run}");
    let run = fixture.run(&["tag", "--format", "json"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
    assert_eq!(plan["tag"], "v0.2.0-rc.1");
    assert_eq!(plan["prerelease"], true);
    assert_eq!(plan["create"], true);
}

/// Git states `tag --execute --push` refuses: exit code 1, the problem named, and files,
/// HEAD, local tags and origin exactly as they were.
#[test]
fn refuses_bad_git_states_and_changes_nothing() {
    let mut states = bad_git_states("v0.1.0");
    states.push(BadState::new("tag exists locally elsewhere", "points at", |f| {
        f.git(&["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"]);
        f.write("more.txt", "x\n");
        f.commit_all("more");
        f.git(&["push", "--quiet", "origin", "main"]);
    }));
    states.push(BadState::new("Cargo.lock disagrees with the version", "FAILED  check-version: Cargo.lock", |f| {
        let lock = f.read("Cargo.lock").replace("version = \"0.1.0\"", "version = \"0.0.9\"");
        f.write("Cargo.lock", &lock);
        f.commit_all("stale lock");
        f.git(&["push", "--quiet", "origin", "main"]);
    }));
    assert_refused_everywhere("single-crate", &["tag", "--execute", "--push"], &states);
}

#[test]
fn failed_checks_are_annotated_in_github_actions() {
    let fixture = fixture("single-crate");
    fixture.git(&["switch", "--quiet", "-c", "feature"]);
    let mut cmd = fixture.command(&["tag"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let run = support::run(cmd).fails(1);
    assert!(
        run.stderr.contains("::error::release branch: on branch feature, not the release branch main; switch"),
        "{run}"
    );
    assert!(!run.stderr.contains("::error::clean tree"), "{run}");
}
