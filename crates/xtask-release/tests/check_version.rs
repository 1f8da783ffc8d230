//! `check-version`: a consistent workspace passes, every problem of a broken one is
//! reported with its file and fix, the tag comes from GitHub Actions on tag pushes only,
//! and problems become `::error` annotations there.

mod support;

use support::{assert_same_files, fixture};

#[test]
fn consistent_workspaces_pass() {
    for (name, tag) in
        [("lockstep", "v0.1.0"), ("explicit", "ex-v0.3.1"), ("devcycle", "v1.4.2"), ("single-crate", "v0.1.0")]
    {
        let fixture = fixture(name);
        let run = fixture.run(&["check-version", "--tag", tag]).ok();
        assert!(
            run.stderr.contains(&format!("Checked manifests, Cargo.lock, extra files, changelog and tag {tag}")),
            "{run}"
        );
    }
}

#[test]
fn a_bump_without_a_changelog_section_fails_until_one_is_added() {
    let fixture = fixture("lockstep");
    fixture.run(&["bump", "minor", "--execute"]).ok();
    let run = fixture.run(&["check-version"]).fails(1);
    assert_eq!(
        run.stdout,
        "CHANGELOG.md: has no section for 0.2.0; add a `## [0.2.0]` heading with the release notes, \
         or set `changelog = false` in [workspace.metadata.xtask-release] if you keep none\n"
    );
    fixture.write("CHANGELOG.md", &fixture.read("CHANGELOG.md").replace("## [Unreleased]", "## [0.2.0] - 2026-02-02"));
    fixture.run(&["check-version", "--tag", "v0.2.0"]).ok();
}

/// The explicit fixture with one problem of each kind: a member behind, the exact
/// requirement on it now unsatisfied, Cargo.lock stale, two extra files off (one
/// missing), no changelog section, and a wrong tag.
fn broken_explicit() -> support::Fixture {
    let fixture = fixture("explicit");
    fixture.write("crates/util/Cargo.toml", &fixture.read("crates/util/Cargo.toml").replace("'0.3.1'", "'0.3.2'"));
    fixture.write("package.json", &fixture.read("package.json").replace("0.3.1", "0.3.0"));
    std::fs::remove_file(fixture.path("python/ex/__init__.py")).unwrap();
    fixture.write("CHANGELOG.md", "# Changelog\n\n## 0.3.0\n");
    fixture
}

#[test]
fn every_problem_is_reported_with_its_file_and_fix() {
    let fixture = broken_explicit();
    let before = fixture.snapshot();
    let run = fixture.run(&["check-version", "--tag", "ex-v0.4.0"]).fails(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let expected = [
        "Cargo.toml: the tag `ex-v0.4.0` does not match the version 0.3.2; run `bump 0.4.0` and commit, or tag this commit `ex-v0.3.2`",
        "crates/app/Cargo.toml: `ex-app` is at 0.3.1 but the workspace is at 0.3.2; run `bump <VERSION>` to set one version everywhere",
        "crates/base/Cargo.toml: `ex-base` is at 0.3.1 but the workspace is at 0.3.2; run `bump <VERSION>` to set one version everywhere",
        "crates/app/Cargo.toml: [dependencies] requires `ex-util` \"=0.3.1\", which its version 0.3.2 does not satisfy; set it to \"0.3.2\" (`bump` does)",
        "Cargo.lock: `ex-util` is 0.3.1 here but 0.3.2 in its manifest; run `cargo update --workspace` and commit Cargo.lock",
        "package.json: the version here is 0.3.0 but the workspace is at 0.3.2; set it to 0.3.2 (`bump` does)",
        "python/pyproject.toml: the version here is 0.3.1 but the workspace is at 0.3.2; set it to 0.3.2 (`bump` does)",
        "CHANGELOG.md: has no section for 0.3.2; add a `## [0.3.2]` heading with the release notes, or set `changelog = false` in [workspace.metadata.xtask-release] if you keep none",
    ];
    for line in expected {
        assert!(lines.contains(&line), "missing: {line}\n{run}");
    }
    assert!(
        lines.iter().any(|l| l.starts_with("python/ex/__init__.py: cannot be read (") && l.ends_with("or create it")),
        "{run}"
    );
    assert_eq!(lines.len(), expected.len() + 1, "{run}");
    assert!(run.stderr.contains("check-version found 9 problems"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    let run = fixture.run(&["--format", "json", "check-version", "--tag", "ex-v0.4.0"]).fails(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["format_version"], 1, "{run}");
    assert_eq!(doc["tag"], "ex-v0.4.0", "{run}");
    let problems = doc["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 9, "{run}");
    assert_eq!(problems[0]["file"], "Cargo.toml");
    assert!(problems[0]["message"].as_str().unwrap().starts_with("the tag `ex-v0.4.0`"));
}

#[test]
fn github_actions_annotations_and_the_tag_from_the_ref() {
    let fixture = fixture("lockstep");
    let github = |ref_type: &str, ref_name: &str| {
        let mut cmd = fixture.command(&["check-version"]);
        cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_REF_TYPE", ref_type).env("GITHUB_REF_NAME", ref_name);
        support::run(cmd)
    };
    let run = github("tag", "v0.2.0").fails(1);
    assert!(
        run.stderr.contains(
            "::error file=Cargo.toml::the tag `v0.2.0` does not match the version 0.1.0; run `bump 0.2.0` and commit, or tag this commit `v0.1.0`\n"
        ),
        "{run}"
    );
    // On a branch push GITHUB_REF_NAME is the branch, not a tag.
    let run = github("branch", "main").ok();
    assert!(!run.stderr.contains("::error"), "{run}");
    github("tag", "v0.1.0").ok();
    // A workspace in a subdirectory of the checkout: annotations name the path from the
    // checkout's root, where GitHub looks for the file.
    let mut cmd = fixture.command(&["check-version", "--tag", "v0.2.0"]);
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_WORKSPACE", fixture.tmp.path());
    let run = support::run(cmd).fails(1);
    assert!(run.stderr.contains("::error file=work/Cargo.toml::the tag `v0.2.0`"), "{run}");
    // Outside GitHub Actions there are no annotations.
    let run = fixture.run(&["check-version", "--tag", "v0.2.0"]).fails(1);
    assert!(!run.stderr.contains("::error"), "{run}");
}

/// `--on-release-branch`, as the release workflow's plan job runs it: a tag is released
/// only from a commit that origin's release branch contains.
#[test]
fn on_release_branch_refuses_a_tag_on_a_commit_the_release_branch_lacks() {
    let fixture = fixture("single-crate");
    fixture.git(&["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"]);
    let run = fixture.run(&["check-version", "--tag", "v0.1.0", "--on-release-branch"]).ok();
    assert!(run.stderr.contains("v0.1.0 ("), "{run}");
    assert!(run.stderr.contains("is on origin/main"), "{run}");

    // The same version tagged on a side branch that main never got.
    fixture.git(&["tag", "-d", "v0.1.0"]);
    fixture.git(&["switch", "--quiet", "-c", "side"]);
    fixture.write("side.txt", "not on main\n");
    fixture.commit_all("side work");
    fixture.git(&["tag", "-a", "v0.1.0", "-m", "Release v0.1.0"]);
    let mut cmd = fixture.command(&["check-version", "--tag", "v0.1.0", "--on-release-branch"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let run = support::run(cmd).fails(1);
    assert!(run.stderr.contains("which is not on the release branch origin/main"), "{run}");
    assert!(run.stderr.contains("git push origin :refs/tags/v0.1.0"), "{run}");
    assert!(format!("{}{}", run.stdout, run.stderr).contains("::error::v0.1.0 points at"), "{run}");

    // Without the branch fetched, it says how to fetch it rather than guessing.
    fixture.git(&["update-ref", "-d", "refs/remotes/origin/main"]);
    let run = fixture.run(&["check-version", "--tag", "v0.1.0", "--on-release-branch"]).fails(1);
    assert!(run.stderr.contains("fetch-depth: 0"), "{run}");
}

#[test]
fn a_tag_that_differs_only_in_its_prefix_says_so() {
    let fixture = fixture("lockstep");
    let run = fixture.run(&["check-version", "--tag", "0.1.0"]).fails(1);
    assert_eq!(
        run.stdout,
        "Cargo.toml: the tag `0.1.0` names the version 0.1.0 but with the prefix ``, while tag-prefix is `v`; \
         set `tag-prefix = \"\"` in [workspace.metadata.xtask-release] if that is how your tags are written, \
         or tag this commit `v0.1.0`\n"
    );
    let run = fixture.run(&["check-version", "--tag", "release-0.1.0"]).fails(1);
    assert!(run.stdout.contains("set `tag-prefix = \"release-\"`"), "{run}");
}
