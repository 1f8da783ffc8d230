//! `github-release` against a loopback stand-in for GitHub's REST API: request shapes
//! and auth, the pre-release flag, idempotent re-runs, content mismatches, retries, and
//! a token that never shows up in the output.

mod support;

use std::path::PathBuf;

use support::github::{GitHubMock, REPO, Request};
use support::{Fixture, Run};

/// A token made up to be noticed if it leaks into output.
const TOKEN: &str = "ghs_canary0123456789TOKEN";

/// The single-crate fixture (v0.1.0 with a changelog section, tagged) and an assets directory
/// beside its work tree.
fn setup(assets: &[(&str, &str)]) -> (Fixture, PathBuf) {
    let fixture = support::fixture("single-crate");
    // A release is made for a tag that exists.
    fixture.git(&["tag", "v0.1.0"]);
    let dir = fixture.tmp.path().join("assets");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in assets {
        std::fs::write(dir.join(name), content).unwrap();
    }
    (fixture, dir)
}

fn release(fixture: &Fixture, mock: &GitHubMock, args: &[&str]) -> Run {
    let mut cmd = fixture.command(&[&["github-release"], args].concat());
    mock.env(&mut cmd);
    let run = support::run(cmd);
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN), "the token leaked\n{run}");
    run
}

fn uploads(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.path.starts_with("/uploads/"))
        .filter_map(|r| r.query("name").map(str::to_string))
        .collect()
}

const ASSETS: &[(&str, &str)] = &[
    ("single-0.1.0-x86_64-unknown-linux-gnu.tar.gz", "binary bytes"),
    ("single-0.1.0-x86_64-unknown-linux-gnu.tar.gz.sha256", "abc  single-0.1.0-x86_64-unknown-linux-gnu.tar.gz\n"),
    ("SHA256SUMS", "abc  single-0.1.0-x86_64-unknown-linux-gnu.tar.gz\n"),
];

#[test]
fn creates_the_release_with_notes_and_uploads_every_asset() {
    let (fixture, dir) = setup(ASSETS);
    let mock = GitHubMock::start(TOKEN);
    let run = release(&fixture, &mock, &["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"]).ok();
    assert!(run.stderr.contains("Created"), "{run}");

    let requests = mock.requests();
    for request in &requests {
        assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()), "{request:?}");
        assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"), "{request:?}");
        assert!(request.header("user-agent").is_some_and(|ua| ua.starts_with("xtask-release/")), "{request:?}");
    }
    let shape: Vec<(&str, &str)> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    let id = mock.state().releases[0].id;
    let (assets, upload) =
        (format!("/repos/{REPO}/releases/{id}/assets"), format!("/uploads/repos/{REPO}/releases/{id}/assets"));
    assert_eq!(
        shape,
        [
            ("GET", format!("/repos/{REPO}/releases/tags/v0.1.0").as_str()),
            ("GET", format!("/repos/{REPO}/releases").as_str()),
            ("POST", format!("/repos/{REPO}/releases").as_str()),
            ("GET", assets.as_str()),
            ("POST", upload.as_str()),
            ("POST", upload.as_str()),
            ("POST", upload.as_str()),
        ]
    );
    assert_eq!(requests[0].header("accept"), Some("application/vnd.github+json"));

    let create = requests[2].json();
    assert_eq!(create["tag_name"], "v0.1.0");
    assert_eq!(create["name"], "v0.1.0");
    assert_eq!(create["body"], "### Features\n\n- First release.");
    assert_eq!(create["prerelease"], false);
    assert_eq!(create["draft"], false);

    for upload in &requests[4..] {
        assert_eq!(upload.header("content-type"), Some("application/octet-stream"));
        assert_eq!(upload.header("content-length"), Some(upload.body.len().to_string().as_str()));
    }
    let mut sorted: Vec<&str> = ASSETS.iter().map(|(name, _)| *name).collect();
    sorted.sort();
    assert_eq!(uploads(&requests), sorted);
    let state = mock.state();
    for (name, content) in ASSETS {
        let asset = state.releases[0].assets.iter().find(|a| a.name == *name).unwrap();
        assert_eq!(asset.content, content.as_bytes(), "{name}");
    }
}

#[test]
fn a_pre_release_tag_from_the_workflow_makes_a_pre_release() {
    let (fixture, _) = setup(&[]);
    fixture.write(
        "CHANGELOG.md",
        "# Changelog\n\n## [0.2.0-rc.1] - 2026-02-01\n\n- Almost there.\n\n## [0.1.0]\n\n- Old.\n",
    );
    fixture.git(&["tag", "v0.2.0-rc.1"]);
    let mock = GitHubMock::start(TOKEN);
    let outputs = fixture.tmp.path().join("github-output");
    let mut cmd = fixture.command(&["github-release", "--execute", "--github-output"]);
    mock.env(&mut cmd);
    cmd.env("GITHUB_REF_NAME", "v0.2.0-rc.1").env("GITHUB_REF_TYPE", "tag").env("GITHUB_OUTPUT", &outputs);
    support::run(cmd).ok();

    let requests = mock.requests();
    let create = requests.iter().find(|r| r.method == "POST" && !r.path.starts_with("/uploads/")).unwrap().json();
    assert_eq!(create["tag_name"], "v0.2.0-rc.1");
    assert_eq!(create["prerelease"], true);
    assert_eq!(create["body"], "- Almost there.");
    assert_eq!(std::fs::read_to_string(outputs).unwrap(), "tag=v0.2.0-rc.1\nversion=0.2.0-rc.1\nprerelease=true\n");
}

#[test]
fn a_rerun_uploads_only_what_is_missing() {
    let (fixture, dir) = setup(&ASSETS[..2]);
    let mock = GitHubMock::start(TOKEN);
    let args = ["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"];
    release(&fixture, &mock, &args).ok();
    assert_eq!(uploads(&mock.requests()).len(), 2);

    // The sums file arrives late; GitHub's records have no digest, so content is compared by download.
    std::fs::write(dir.join(ASSETS[2].0), ASSETS[2].1).unwrap();
    mock.state().digests = false;
    mock.state().requests.clear();
    let run = release(&fixture, &mock, &args).ok();
    assert!(run.stderr.contains("Found the release"), "{run}");
    let requests = mock.requests();
    assert!(
        !requests.iter().any(|r| r.method == "POST" && r.path.ends_with("/releases")),
        "created twice: {requests:?}"
    );
    assert_eq!(uploads(&requests), ["SHA256SUMS"]);
    let downloads = requests.iter().filter(|r| r.header("accept") == Some("application/octet-stream")).count();
    assert_eq!(downloads, 2, "the two uploaded assets are compared by content");

    mock.state().requests.clear();
    release(&fixture, &mock, &args).ok();
    assert!(uploads(&mock.requests()).is_empty());
    assert_eq!(mock.state().releases.len(), 1);
    assert_eq!(mock.state().releases[0].assets.len(), 3);
}

#[test]
fn a_same_named_asset_with_other_content_is_an_error_before_any_upload() {
    let (fixture, dir) = setup(ASSETS);
    let mock = GitHubMock::start(TOKEN);
    // Same size, other bytes: only the digest tells them apart.
    mock.add_release("v0.1.0", &[("single-0.1.0-x86_64-unknown-linux-gnu.tar.gz", b"BINARY BYTES")]);
    let run = release(&fixture, &mock, &["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"]).fails(1);
    assert!(run.stderr.contains("single-0.1.0-x86_64-unknown-linux-gnu.tar.gz"), "{run}");
    assert!(run.stderr.contains("other content"), "{run}");
    assert!(uploads(&mock.requests()).is_empty(), "nothing may be uploaded after a mismatch");
}

/// A stale asset of another version left in the directory is refused by name, before
/// the release is created or anything uploaded.
#[test]
fn an_asset_of_another_version_is_refused_before_any_request() {
    let mut assets = ASSETS.to_vec();
    assets.push(("single-0.0.9-x86_64-unknown-linux-gnu.tar.gz", "old"));
    let (fixture, dir) = setup(&assets);
    let mock = GitHubMock::start(TOKEN);
    let run = release(&fixture, &mock, &["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"]).fails(1);
    assert!(
        run.stderr.contains("single-0.0.9-x86_64-unknown-linux-gnu.tar.gz (0.0.9)")
            && run.stderr.contains("another version than the tag v0.1.0")
            && run.stderr.contains("remove them from the assets directory"),
        "{run}"
    );
    assert!(mock.requests().is_empty(), "nothing may be sent");
}

#[test]
fn a_missing_or_wrong_token_fails_without_printing_it() {
    let (fixture, dir) = setup(ASSETS);
    let mock = GitHubMock::start(TOKEN);
    let args = ["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"];

    let mut cmd = fixture.command(&[&["github-release"], &args[..]].concat());
    mock.env(&mut cmd);
    cmd.env_remove("GITHUB_TOKEN");
    let run = support::run(cmd).fails(1);
    assert!(run.stderr.contains("GITHUB_TOKEN is not set"), "{run}");
    assert!(mock.requests().is_empty());

    let wrong = "ghs_wrongcanary987654321";
    let mut cmd = fixture.command(&[&["github-release"], &args[..]].concat());
    mock.env(&mut cmd);
    cmd.env("GITHUB_TOKEN", wrong);
    let run = support::run(cmd).fails(1);
    assert!(run.stderr.contains("401") && run.stderr.contains("Bad credentials"), "{run}");
    assert!(!run.stdout.contains(wrong) && !run.stderr.contains(wrong), "the token leaked\n{run}");
    assert_eq!(mock.requests().len(), 1, "a 401 is final, not retried");
    assert!(mock.state().releases.is_empty());
}

#[test]
fn the_dry_run_needs_no_token_and_sends_nothing() {
    let (fixture, dir) = setup(ASSETS);
    let mock = GitHubMock::start(TOKEN);
    let before = fixture.snapshot();
    let mut cmd =
        fixture.command(&["github-release", "--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--format", "json"]);
    mock.env(&mut cmd);
    cmd.env_remove("GITHUB_TOKEN");
    let run = support::run(cmd).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["repo"], REPO);
    assert_eq!(plan["tag"], "v0.1.0");
    assert_eq!(plan["name"], "v0.1.0");
    assert_eq!(plan["prerelease"], false);
    assert_eq!(plan["body"], "### Features\n\n- First release.");
    assert_eq!(plan["assets"].as_array().unwrap().len(), 3);
    assert!(mock.requests().is_empty());
    support::assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn the_repository_comes_from_the_origin_remote_when_not_given() {
    let (fixture, _) = setup(&[]);
    for (url, slug) in
        [("git@github.com:acme/gadget.git", "acme/gadget"), ("https://github.com/acme/gizmo", "acme/gizmo")]
    {
        fixture.git(&["remote", "set-url", "origin", url]);
        let run = fixture.run(&["github-release", "--format", "json"]).ok();
        let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(plan["repo"], slug);
        assert_eq!(plan["tag"], "v0.1.0", "the workspace's version is the default tag");
    }
}

#[test]
fn transient_server_errors_are_retried() {
    let (fixture, dir) = setup(&ASSETS[..1]);
    let mock = GitHubMock::start(TOKEN);
    mock.state().fail_next.extend([500, 502]);
    let run = release(&fixture, &mock, &["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"]).ok();
    assert!(run.stderr.contains("retrying"), "{run}");
    let requests = mock.requests();
    let tag_lookups = requests.iter().filter(|r| r.path.ends_with("/tags/v0.1.0")).count();
    assert_eq!(tag_lookups, 3, "two failures, then the answer");
    assert_eq!(uploads(&requests).len(), 1);
    assert_eq!(mock.state().releases.len(), 1);
}

#[test]
fn a_missing_changelog_section_is_an_error_saying_how_to_write_it() {
    let (fixture, _) = setup(&[]);
    fixture.git(&["tag", "v0.3.0"]);
    let mock = GitHubMock::start(TOKEN);
    let run = release(&fixture, &mock, &["--tag", "v0.3.0"]).fails(1);
    assert!(
        run.stderr.contains("no section for 0.3.0") && run.stderr.contains("changelog --version 0.3.0 --execute"),
        "{run}"
    );
}

#[test]
fn drafts_from_the_config_are_found_again_on_a_rerun() {
    let (fixture, dir) = setup(&ASSETS[..1]);
    let manifest = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace]\n\n[workspace.metadata.xtask-release.github]\ndraft = true\nname = \"Single {{version}}\"\n"),
    );
    let mock = GitHubMock::start(TOKEN);
    let args = ["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"];
    release(&fixture, &mock, &args).ok();
    let create = mock.requests().iter().find(|r| r.method == "POST" && r.path.ends_with("/releases")).unwrap().json();
    assert_eq!(create["draft"], true);
    assert_eq!(create["name"], "Single 0.1.0");

    // GitHub's lookup by tag does not see drafts; the re-run must find it in the list.
    release(&fixture, &mock, &args).ok();
    let state = mock.state();
    assert_eq!(state.releases.len(), 1, "a second draft was created");
    assert_eq!(state.releases[0].assets.len(), 1);
}

#[test]
fn an_unfinished_upload_is_replaced_and_a_lost_reply_is_not_an_error() {
    let (fixture, dir) = setup(ASSETS);
    let mock = GitHubMock::start(TOKEN);
    mock.add_release("v0.1.0", &[(ASSETS[0].0, b"half")]);
    mock.state().releases[0].assets[0].state = "starter".into();
    mock.state().lose_upload_replies = 1;
    let run = release(&fixture, &mock, &["--tag", "v0.1.0", "--assets", dir.to_str().unwrap(), "--execute"]).ok();
    assert!(run.stderr.contains("Deleting"), "{run}");
    assert!(mock.requests().iter().any(|r| r.method == "DELETE"), "the unfinished asset was not deleted");
    let state = mock.state();
    let mut names: Vec<&str> = state.releases[0].assets.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    let mut expected: Vec<&str> = ASSETS.iter().map(|(name, _)| *name).collect();
    expected.sort();
    assert_eq!(names, expected, "each asset exactly once");
    let binary = state.releases[0].assets.iter().find(|a| a.name == ASSETS[0].0).unwrap();
    assert_eq!(binary.content, ASSETS[0].1.as_bytes());
}

#[test]
fn a_dropped_connection_is_retried() {
    let (fixture, _) = setup(&[]);
    let mock = GitHubMock::start(TOKEN);
    mock.state().hang_up = 1;
    let run = release(&fixture, &mock, &["--tag", "v0.1.0", "--execute"]).ok();
    assert!(run.stderr.contains("retrying"), "{run}");
    assert_eq!(mock.state().releases.len(), 1);
}

/// A tag that exists neither here nor on the remote is named as such, before any
/// request (GitHub would make the tag itself, at the head of the default branch).
#[test]
fn a_tag_that_does_not_exist_is_named_before_any_request() {
    let (fixture, dir) = setup(&[("tool-linux", "bytes")]);
    let mock = GitHubMock::start(TOKEN);
    let before = fixture.snapshot();
    for execute in [false, true] {
        let mut args = vec!["--tag", "v9.9.9", "--assets", dir.to_str().unwrap()];
        if execute {
            args.push("--execute");
        }
        let run = release(&fixture, &mock, &args).fails(1);
        assert!(
            run.stderr.contains("tag v9.9.9 does not exist, in this clone or on `origin`")
                && run.stderr.contains("`tag --execute --push`"),
            "{run}"
        );
    }
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
    support::assert_same_files(&before, &fixture.snapshot());
    // On the remote alone is enough.
    fixture.git(&["tag", "v9.9.9"]);
    fixture.git(&["push", "--quiet", "origin", "v9.9.9"]);
    fixture.git(&["tag", "-d", "v9.9.9"]);
    let run = release(&fixture, &mock, &["--tag", "v9.9.9"]);
    assert!(!run.stderr.contains("does not exist"), "{run}");
}
