//! One model of a release: every command reads the same release version, lockstep set,
//! tag and changelog section, so they agree on workspaces shaped unlike ours.

mod support;

use std::process::Command;

use support::{assert_same_files, fixture};

/// The triple rustc builds for by default here.
fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find_map(|l| l.strip_prefix("host: ")).unwrap().to_string()
}

/// A crate at 1.0.0 published to a company registry (`publish = ["corp"]`) next to a
/// `publish = false` example at 0.0.1: the release is the crate's 1.0.0 for every
/// command, and the example keeps its own numbering.
#[test]
fn a_private_registry_crate_next_to_an_unpublished_example_is_one_release() {
    let fixture = fixture("private-registry");
    let before = fixture.snapshot();

    fixture.run(&["check-version", "--tag", "v1.0.0"]).ok();
    let run = fixture.run(&["tag"]).ok();
    assert!(run.stdout.contains("create annotated tag v1.0.0"), "{run}");
    let run = fixture.run(&["changelog"]).ok();
    assert!(run.stderr.contains("already has a section for 1.0.0"), "{run}");
    let run = fixture.run(&["build-matrix"]).ok();
    assert!(run.stdout.contains("corp-tool-1.0.0-"), "{run}");
    assert!(!run.stdout.contains("hello"), "the example does not ship: {run}");
    let run = fixture.run(&["dist", "--target", &host()]).ok();
    assert!(run.stdout.contains("corp-tool-1.0.0-"), "{run}");
    let run = fixture.run(&["release", "patch", "--no-verify"]).ok();
    assert!(run.stdout.contains("Release v1.0.1 (from 1.0.0)"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    // bump moves what check-version calls the release, and only that.
    let run = fixture.run(&["bump", "patch", "--execute"]).ok();
    assert!(fixture.read("crates/corp-tool/Cargo.toml").contains("version = \"1.0.1\""), "{run}");
    assert!(fixture.read("examples/hello/Cargo.toml").contains("version = \"0.0.1\""), "{run}");
    let run = fixture.run(&["check-version"]).fails(1);
    assert!(run.stdout.starts_with("CHANGELOG.md: has no section for 1.0.1;"), "{run}");
    assert_eq!(run.stdout.lines().count(), 1, "only the changelog is behind: {run}");
    fixture.write("CHANGELOG.md", &fixture.read("CHANGELOG.md").replace("## [Unreleased]", "## [1.0.1] - 2026-02-02"));
    fixture.commit_all("release: v1.0.1");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    fixture.run(&["check-version", "--tag", "v1.0.1"]).ok();
    let run = fixture.run(&["tag"]).ok();
    assert!(run.stdout.contains("create annotated tag v1.0.1"), "{run}");
}

/// A lockstep member left behind is one fact for every command: check-version names it,
/// and the commands that need the release version refuse with the same member named.
#[test]
fn a_member_left_behind_is_named_by_every_command() {
    let fixture = fixture("private-registry");
    let manifest = fixture.read("crates/corp-tool/Cargo.toml").replace("1.0.0", "0.9.0");
    fixture.write("crates/corp-tool/Cargo.toml", &manifest);
    // The root declares the release version; the crate has fallen behind it.
    let manifest = fixture.read("Cargo.toml").replace("edition = \"2021\"", "version = \"1.0.0\"\nedition = \"2021\"");
    fixture.write("Cargo.toml", &manifest);

    let run = fixture.run(&["check-version"]).fails(1);
    assert!(run.stdout.contains("`corp-tool` is at 0.9.0 but the workspace is at 1.0.0"), "{run}");
    for args in [&["tag"][..], &["build-matrix"], &["changelog"]] {
        let run = fixture.run(args).fails(1);
        assert!(run.stderr.contains("`corp-tool` is at 0.9.0"), "{args:?}: {run}");
        assert!(run.stderr.contains("release version 1.0.0"), "{args:?}: {run}");
    }
}

/// `## [v0.1.0]` and `## Version 0.1.0` are sections for 0.1.0 to every command that
/// looks for one: check-version, changelog, release and github-release.
#[test]
fn both_heading_styles_give_one_answer_everywhere() {
    for heading in ["## [v0.1.0] - 2026-01-01", "## Version 0.1.0"] {
        let fixture = fixture("single-crate");
        let notes = format!("# Changelog\n\n## [Unreleased]\n\n{heading}\n\n- First release.\n");
        fixture.write("CHANGELOG.md", &notes);
        fixture.commit_all("docs: changelog heading");
        fixture.git(&["push", "--quiet", "origin", "main"]);

        fixture.run(&["check-version", "--tag", "v0.1.0"]).ok();
        let run = fixture.run(&["changelog"]).ok();
        assert!(run.stderr.contains("already has a section for 0.1.0"), "{heading}: {run}");
        fixture.git(&["tag", "v0.1.0"]);
        let mut cmd = fixture.command(&["github-release", "--tag", "v0.1.0", "--format", "json"]);
        cmd.env("GITHUB_REPOSITORY", "acme/single");
        let run = support::run(cmd).ok();
        let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
        assert_eq!(plan["body"], "- First release.", "{heading}: {run}");

        // release finds the section of the version it releases the same way.
        let next = heading.replace("0.1.0", "0.2.0");
        fixture
            .write("CHANGELOG.md", &notes.replace("## [Unreleased]", &format!("## [Unreleased]\n\n{next}\n\n- More.")));
        fixture.commit_all("docs: notes for 0.2.0");
        fixture.git(&["push", "--quiet", "origin", "main"]);
        let run = fixture.run(&["release", "0.2.0", "--no-verify"]).ok();
        assert!(run.stdout.contains("skipped: CHANGELOG.md has a section for 0.2.0"), "{heading}: {run}");
    }
}

/// An unknown `{placeholder}` in any template of the config fails every command that
/// reads the config, naming the key, before anything else happens.
#[test]
fn an_unknown_placeholder_fails_every_command_naming_the_key() {
    let cases = [
        ("tag-message = \"Release {name}\"", "`tag-message` in [workspace.metadata.xtask-release]", "`{name}`"),
        ("commit-message = \"chore: {ver}\"", "`commit-message` in [workspace.metadata.xtask-release]", "`{ver}`"),
        (
            "github = { name = \"{project} {tag}\" }",
            "`name` in [workspace.metadata.xtask-release.github]",
            "`{project}`",
        ),
        (
            "dist = { asset-name = \"{bin}-{arch}\" }",
            "`asset-name` in [workspace.metadata.xtask-release.dist]",
            "`{arch}`",
        ),
    ];
    let commands: [&[&str]; 12] = [
        &["bump", "patch"],
        &["check-version"],
        &["tag"],
        &["release", "patch", "--no-verify"],
        &["publish-ordered"],
        &["build-matrix"],
        &["dist", "--target", "x86_64-unknown-linux-gnu"],
        &["verify-assets", "dist"],
        &["changelog"],
        &["github-release", "--tag", "v0.1.0"],
        &["verify-published"],
        &["audit"],
    ];
    for (line, key, placeholder) in cases {
        let fixture = fixture("lockstep");
        let table = "[workspace.metadata.xtask-release]\n";
        fixture.write("Cargo.toml", &fixture.read("Cargo.toml").replace(table, &format!("{table}{line}\n")));
        let before = fixture.snapshot();
        for args in commands {
            let mut cmd = fixture.command(args);
            cmd.env("GITHUB_REPOSITORY", "acme/lockstep");
            let run = support::run(cmd).fails(1);
            assert!(run.stderr.contains(key) && run.stderr.contains(placeholder), "{line}, {args:?}: {run}");
        }
        assert_same_files(&before, &fixture.snapshot());
    }
}
