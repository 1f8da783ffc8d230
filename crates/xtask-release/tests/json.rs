//! The machine interface: with `--format json` every command prints exactly one JSON
//! document on stdout, with `"format_version": 1` and snake_case keys throughout, and
//! paths relative to the workspace root. Also inside GitHub Actions with a failing check,
//! whose annotations go to stderr.

mod support;

use std::process::Command;

use serde_json::Value;
use support::github::GitHubMock;
use support::registry::Registry;
use support::{Fixture, Run, fixture};

/// Runs `args` with `--format json` and returns the one document stdout holds, after
/// checking its version and keys.
#[track_caller]
fn document(fixture: &Fixture, mut cmd: Command, code: i32) -> Value {
    cmd.args(["--format", "json"]);
    let run = support::run(cmd).fails(code);
    let doc = parse_one(&run);
    assert_eq!(doc["format_version"], 1, "no format_version 1\n{run}");
    assert!(run.stdout.starts_with("{\n  \"format_version\": 1"), "format_version is not the first key\n{run}");
    let mut bad = Vec::new();
    keys_not_snake_case(&doc, "", &mut bad);
    assert!(bad.is_empty(), "keys that are not snake_case: {bad:?}\n{run}");
    let root = fixture.root.to_string_lossy().replace('\\', "/");
    assert!(!run.stdout.replace("\\\\", "/").contains(&root), "an absolute path in the workspace\n{run}");
    doc
}

/// stdout parses as exactly one JSON value, with nothing before or after it.
#[track_caller]
fn parse_one(run: &Run) -> Value {
    let mut values = serde_json::Deserializer::from_str(&run.stdout).into_iter::<Value>();
    let first = match values.next() {
        Some(Ok(value)) => value,
        other => panic!("stdout is not a JSON document ({other:?})\n{run}"),
    };
    assert!(values.next().is_none(), "stdout holds more than one JSON document\n{run}");
    first
}

fn keys_not_snake_case(value: &Value, at: &str, bad: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let snake = !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !key.starts_with(|c: char| c.is_ascii_digit());
                if !snake {
                    bad.push(format!("{at}/{key}"));
                }
                keys_not_snake_case(value, &format!("{at}/{key}"), bad);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys_not_snake_case(v, at, bad)),
        _ => {}
    }
}

#[test]
fn every_command_prints_one_versioned_snake_case_document() {
    let fixture = fixture("single-crate");
    let cmd = |args: &[&str]| fixture.command(args);

    let bump = document(&fixture, cmd(&["bump", "minor"]), 0);
    let edits = bump["edits"].as_array().unwrap();
    let edit = edits.iter().find(|e| e["path"] == "Cargo.toml").expect("paths are relative to the workspace root");
    assert!(edit["content"].as_str().unwrap().contains("version = \"0.2.0\""), "bump's plan has the new content");

    let check = document(&fixture, cmd(&["check-version"]), 0);
    assert_eq!(check["problems"], Value::Array(Vec::new()));
    document(&fixture, cmd(&["tag"]), 0);
    let release = document(&fixture, cmd(&["release", "minor", "--no-verify"]), 0);
    assert_eq!(release["steps"][0]["step"], "preflight");
    document(&fixture, cmd(&["changelog"]), 0);
    let dist = document(&fixture, cmd(&["dist", "--target", "x86_64-unknown-linux-gnu"]), 0);
    assert!(dist["out_dir"].as_str().unwrap().ends_with("dist"), "{dist}");
    fixture.git(&["tag", "v0.1.0"]);
    let mut github = cmd(&["github-release", "--tag", "v0.1.0"]);
    github.env("GITHUB_REPOSITORY", "acme/single");
    let github = document(&fixture, github, 0);
    assert_eq!(github["tag"], "v0.1.0");

    // Checksums: a dry run, a write, a verification that passes and one that fails.
    fixture.write("assets/a.bin", "a\n");
    document(&fixture, cmd(&["checksum", "assets"]), 0);
    document(&fixture, cmd(&["checksum", "assets", "--execute"]), 0);
    let verified = document(&fixture, cmd(&["checksum", "assets", "--verify"]), 0);
    assert_eq!(verified["verified"], true);
    fixture.write("assets/a.bin", "changed\n");
    let failed = document(&fixture, cmd(&["checksum", "assets", "--verify"]), 1);
    assert_eq!(failed["verified"], false);
    document(&fixture, cmd(&["verify-assets", "assets"]), 1);

    // The build matrix is the exception: one line GitHub reads as it is.
    let run = support::run({
        let mut c = cmd(&["build-matrix"]);
        c.args(["--format", "json"]);
        c
    })
    .ok();
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
    parse_one(&run);
}

/// A path under the workspace root prints relative to it, one elsewhere (cargo's target
/// directory, which the other tests keep outside the work tree) absolute.
#[test]
fn paths_are_relative_inside_the_workspace_and_absolute_outside() {
    let fixture = fixture("single-crate");
    let plan = |target_dir: &std::path::Path| {
        let mut cmd = fixture.command(&["dist", "--target", "x86_64-unknown-linux-gnu"]);
        cmd.env("CARGO_TARGET_DIR", target_dir);
        document(&fixture, cmd, 0)
    };
    let binary = |plan: &Value| plan["assets"][0]["binary"].as_str().unwrap().replace('\\', "/");
    let inside = plan(&fixture.root.join("target"));
    assert_eq!(binary(&inside), "target/x86_64-unknown-linux-gnu/release/single-a", "{inside}");
    assert_eq!(inside["out_dir"].as_str().unwrap().replace('\\', "/"), "target/dist", "{inside}");
    let outside = plan(&fixture.tmp.path().join("elsewhere"));
    let shown = outside["assets"][0]["binary"].as_str().unwrap();
    assert!(std::path::Path::new(shown).is_absolute() && binary(&outside).ends_with("/single-a"), "{outside}");
}

#[test]
fn a_failing_check_in_github_actions_keeps_stdout_one_document() {
    let fixture = fixture("single-crate");
    let mut cmd = fixture.command(&["check-version", "--tag", "v0.2.0"]);
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_REF_TYPE", "tag").env("GITHUB_REF_NAME", "v0.2.0");
    cmd.args(["--format", "json"]);
    let run = support::run(cmd).fails(1);
    let doc = parse_one(&run);
    assert_eq!(doc["format_version"], 1, "{run}");
    assert_eq!(doc["problems"][0]["file"], "Cargo.toml", "{run}");
    assert!(run.stderr.contains("::error file="), "annotations go to stderr\n{run}");
    assert!(!run.stdout.contains("::"), "{run}");

    // A failed preflight (another branch) annotated, the plan still the only stdout.
    fixture.git(&["switch", "--quiet", "-c", "feature"]);
    let mut cmd = fixture.command(&["tag"]);
    cmd.env("GITHUB_ACTIONS", "true");
    let doc = document(&fixture, cmd, 1);
    assert!(doc["checks"].as_array().unwrap().iter().any(|c| c["outcome"] == "failed"), "{doc}");
}

#[test]
fn registry_commands_print_one_document_too() {
    let fixture = fixture("single-crate");
    let registry = Registry::start(fixture.tmp.path());
    let with_registry = |args: &[&str]| {
        let mut cmd = fixture.command(args);
        cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
            .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url());
        cmd
    };
    let plan = document(&fixture, with_registry(&["publish-ordered", "--registry", "local"]), 0);
    assert_eq!(plan["estimate"]["new_crates"], 1, "{plan}");
    assert!(plan["registry"]["index_url"].is_string(), "{plan}");
    document(&fixture, with_registry(&["rollback", "0.1.0", "--registry", "local", "--no-github"]), 0);
    let verify =
        document(&fixture, with_registry(&["verify-published", "--registry", "local", "--skip", "release"]), 1);
    // Problems are a list, as check-version's are: where, then what.
    let problems = verify["problems"].as_array().expect("a list of problems");
    assert_eq!(problems.len(), verify["problem_count"].as_u64().unwrap() as usize, "{verify}");
    assert_eq!(problems[0]["check"], "registry", "{verify}");
    assert!(problems[0]["subject"].as_str().unwrap().starts_with("single"), "{verify}");
    assert!(problems[0]["message"].as_str().unwrap().contains("index"), "{verify}");
}

/// Executed runs print one document too, and for `github-release` it is what was done
/// (the release and each asset's fate), not the plan it was done from.
#[test]
fn executed_runs_print_one_document_of_what_was_done() {
    let fixture = fixture("single-crate");
    fixture.git(&["tag", "v0.1.0"]);
    let assets = fixture.tmp.path().join("assets");
    std::fs::create_dir_all(&assets).unwrap();
    std::fs::write(assets.join("single-0.1.0-linux.tar.gz"), "binary bytes").unwrap();
    let mock = GitHubMock::start("ghs_json_test_token");
    let github = || {
        let mut cmd = fixture.command(&["github-release", "--tag", "v0.1.0", "--execute", "--assets"]);
        cmd.arg(&assets);
        mock.env(&mut cmd);
        cmd
    };
    let created = document(&fixture, github(), 0);
    assert_eq!(created["release"], "created", "{created}");
    assert!(created["url"].as_str().unwrap().contains("v0.1.0"), "{created}");
    assert!(created["id"].is_u64(), "{created}");
    assert!(created.get("body").is_none(), "the plan is not the outcome: {created}");
    assert_eq!(created["assets"][0]["name"], "single-0.1.0-linux.tar.gz", "{created}");
    assert_eq!(created["assets"][0]["size"], 12, "{created}");
    assert_eq!(created["assets"][0]["action"], "uploaded", "{created}");

    std::fs::write(assets.join("SHA256SUMS"), "sums\n").unwrap();
    let rerun = document(&fixture, github(), 0);
    assert_eq!(rerun["release"], "reused", "{rerun}");
    assert_eq!(rerun["id"], created["id"], "{rerun}");
    let actions: Vec<_> = rerun["assets"].as_array().unwrap().iter().map(|a| (&a["name"], &a["action"])).collect();
    assert_eq!(actions.len(), 2, "{rerun}");
    assert!(actions.contains(&(&"SHA256SUMS".into(), &"uploaded".into())), "{rerun}");
    assert!(actions.contains(&(&"single-0.1.0-linux.tar.gz".into(), &"skipped".into())), "{rerun}");

    // The local steps, executed: one document each, of what was written.
    let changelog = document(&fixture, fixture.command(&["changelog", "--version", "0.2.0", "--execute"]), 0);
    assert_eq!(changelog["written"], true, "{changelog}");
    assert!(changelog.get("section").is_none(), "the plan is not the outcome: {changelog}");
    fixture.git(&["commit", "--quiet", "-am", "changelog"]);
    let bump = document(&fixture, fixture.command(&["bump", "0.2.0", "--execute"]), 0);
    assert_eq!(bump["version"], "0.2.0", "{bump}");
    assert!(bump["written"].as_array().unwrap().contains(&"Cargo.toml".into()), "{bump}");
    assert!(bump.get("edits").is_none(), "the plan is not the outcome: {bump}");
    fixture.git(&["commit", "--quiet", "-am", "bump"]);
    fixture.git(&["push", "--quiet", "origin", "HEAD"]);
    let tag = document(&fixture, fixture.command(&["tag", "--execute", "--push"]), 0);
    assert_eq!((&tag["tag"], &tag["created"], &tag["pushed"]), (&"v0.2.0".into(), &true.into(), &true.into()), "{tag}");
    assert!(tag.get("checks").is_none(), "the plan is not the outcome: {tag}");
    let release = document(&fixture, fixture.command(&["release", "patch", "--no-verify", "--execute", "--yes"]), 0);
    assert_eq!(release["tag"], "v0.2.1", "{release}");
    let steps = release["steps"].as_array().unwrap();
    assert_eq!(steps.last().unwrap()["step"], "push", "{release}");
    assert!(steps.iter().all(|s| s["outcome"] == "done" || s["outcome"] == "skipped"), "{release}");
    assert!(release.get("checks").is_none(), "the plan is not the outcome: {release}");

    support::stand_in_checkout(&fixture);
    let init = document(&fixture, fixture.command(&["init", "--dependency-path", "../xtask-release", "--execute"]), 0);
    let written = init["written"].as_array().unwrap();
    assert!(written.iter().any(|p| p == "xtask/Cargo.toml"), "{init}");
    assert!(init.get("detected").is_none(), "the plan is not the outcome: {init}");
}
