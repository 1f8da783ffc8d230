//! A changelog is optional: `changelog = false` turns every changelog step and check off;
//! with the key unset and no CHANGELOG.md nothing creates one (and the dry run says how
//! to opt in); `changelog = ""` is a config error.

mod support;

use support::github::GitHubMock;
use support::{assert_same_files, fixture};

fn set_changelog_off(fixture: &support::Fixture) {
    let manifest = fixture.read("Cargo.toml");
    let table = "[workspace.metadata.xtask-release]\n";
    let manifest = match manifest.contains(table) {
        true => manifest.replace(table, &format!("{table}changelog = false\n")),
        false => format!("{manifest}\n{table}changelog = false\n"),
    };
    fixture.write("Cargo.toml", &manifest);
    fixture.git(&["commit", "--quiet", "-am", "no changelog"]);
    fixture.git(&["push", "--quiet", "origin", "main"]);
}

#[test]
fn a_workspace_without_a_changelog_passes_check_version_without_claiming_to_check_it() {
    let fixture = fixture("no-changelog");
    let run = fixture.run(&["check-version", "--tag", "v0.4.1"]).ok();
    assert!(run.stderr.contains("Checked manifests, Cargo.lock, extra files and tag v0.4.1: they agree"), "{run}");
    assert!(!run.stderr.contains("changelog"), "{run}");
}

#[test]
fn release_creates_no_changelog_and_the_dry_run_says_how_to_opt_in() {
    let fixture = fixture("no-changelog");
    let before = fixture.snapshot();
    let run = fixture.run(&["release", "minor", "--no-verify"]).ok();
    assert!(
        run.stdout.contains("skipped: there is no CHANGELOG.md; to keep one, run `changelog --execute` once"),
        "{run}"
    );
    assert_same_files(&before, &fixture.snapshot());

    fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).ok();
    assert!(!fixture.path("CHANGELOG.md").exists());
    assert!(fixture.read("Cargo.toml").contains("version = \"0.5.0\""));
    fixture.run(&["check-version", "--tag", "v0.5.0"]).ok();
}

#[test]
fn changelog_false_turns_off_step_3_and_the_check_even_with_a_changelog_file() {
    let fixture = fixture("lockstep");
    set_changelog_off(&fixture);
    let changelog = fixture.read("CHANGELOG.md");
    let run = fixture.run(&["release", "minor", "--no-verify"]).ok();
    assert!(run.stdout.contains("skipped: changelog = false in [workspace.metadata.xtask-release]"), "{run}");
    fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).ok();
    assert_eq!(fixture.read("CHANGELOG.md"), changelog, "the changelog was touched");
    let run = fixture.run(&["check-version", "--tag", "v0.2.0"]).ok();
    assert!(!run.stderr.contains("changelog"), "{run}");
    // The changelog command has nothing to write.
    let run = fixture.run(&["changelog"]).fails(1);
    assert!(
        run.stderr.contains("the changelog is off (changelog = false in [workspace.metadata.xtask-release])"),
        "{run}"
    );
}

#[test]
fn check_changelog_false_alone_is_not_reported_as_checked() {
    let fixture = fixture("lockstep");
    let manifest = fixture.read("Cargo.toml");
    fixture.write("Cargo.toml", &manifest.replace("extra-files =", "check-changelog = false\nextra-files ="));
    let run = fixture.run(&["check-version"]).ok();
    assert!(run.stderr.contains("Checked manifests, Cargo.lock and extra files: they agree"), "{run}");
}

#[test]
fn an_empty_changelog_name_is_a_config_error() {
    let fixture = fixture("no-changelog");
    let manifest = fixture.read("Cargo.toml");
    fixture.write("Cargo.toml", &format!("{manifest}\n[workspace.metadata.xtask-release]\nchangelog = \"\"\n"));
    let before = fixture.snapshot();
    let run = fixture.run(&["release", "minor", "--no-verify"]).fails(1);
    assert!(
        run.stderr.contains("invalid config in ")
            && run.stderr.contains(
                "[workspace.metadata.xtask-release] changelog: `changelog = \"\"` names no file; write a file name"
            ),
        "{run}"
    );
    assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn github_release_takes_its_notes_from_the_commits_without_a_changelog() {
    let fixture = fixture("no-changelog");
    set_changelog_off(&fixture);
    fixture.git(&["tag", "-a", "v0.4.1", "-m", "Release v0.4.1"]);
    fixture.write("crates/quill/src/extra.rs", "");
    fixture.git(&["add", "-A"]);
    fixture.git(&["commit", "--quiet", "-m", "feat(cli): read from stdin"]);
    fixture.git(&["commit", "--quiet", "--allow-empty", "-m", "fix: an empty line is not a record"]);
    fixture.run(&["bump", "0.5.0", "--execute"]).ok();
    fixture.git(&["commit", "--quiet", "-am", "release: v0.5.0"]);
    fixture.git(&["tag", "-a", "v0.5.0", "-m", "Release v0.5.0"]);

    let token = "ghs_notes0123456789";
    let mock = GitHubMock::start(token);
    let mut cmd = fixture.command(&["github-release", "--tag", "v0.5.0", "--execute"]);
    mock.env(&mut cmd);
    support::run(cmd).ok();
    let requests = mock.requests();
    let create = requests.iter().find(|r| r.method == "POST" && !r.path.starts_with("/uploads/")).unwrap().json();
    // The notes, then the audit trail's head (the bump's line) after a blank line.
    let body = create["body"].as_str().unwrap();
    let (notes, head) = body.rsplit_once("\n\n").unwrap();
    assert_eq!(notes, "### Features\n\n- **cli:** read from stdin\n\n### Fixes\n\n- an empty line is not a record");
    assert!(head.starts_with("audit-head: 1 sha256:"), "{body}");
    assert!(!fixture.path("CHANGELOG.md").exists());
}
