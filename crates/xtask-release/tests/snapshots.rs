//! Snapshot tests (insta): the exact text and JSON every command prints on the fixtures,
//! stdout and stderr, so a wording or key change shows up as a reviewed `.snap` diff.
//! What varies from run to run (temp paths, durations, dates, commit hashes) is
//! normalised first. Update with `cargo insta review` or `INSTA_UPDATE=always`; on CI
//! (`CI=true`) a mismatch fails instead of writing, and so does a missing snapshot.
//!
//! Unix only: on Windows paths print with backslashes and binaries end in `.exe`, so the text
//! differs by design; tests/json.rs checks the JSON interface there, tests/dist.rs and
//! tests/checksum.rs the Windows paths.
#![cfg(unix)]

mod support;

use support::normalise::{built_sums, normalise};
use support::release_flow::Released;
use support::{Fixture, Run, fixture};

/// Runs the binary with `args` in the fixture and renders exit code, stdout and stderr,
/// normalised, as one snapshot text.
fn render(fixture: &Fixture, args: &[&str]) -> String {
    render_run(fixture, args, fixture.run(args))
}

/// Renders a run of the binary with `args`, normalised, as one snapshot text.
fn render_run(fixture: &Fixture, args: &[&str], run: Run) -> String {
    let text = format!(
        "$ xtask-release {}\nexit code: {}\n--- stdout\n{}\n--- stderr\n{}",
        args.iter()
            .map(|a| if a.contains(' ') { format!("'{a}'") } else { a.to_string() })
            .collect::<Vec<_>>()
            .join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    normalise(fixture, &text)
}

/// Text and JSON of one command, as two snapshots `<name>_text` and `<name>_json`.
fn text_and_json(fixture: &Fixture, name: &str, args: &[&str]) {
    insta::assert_snapshot!(format!("{name}_text"), render(fixture, args));
    let mut json = vec!["--format", "json"];
    json.extend(args);
    insta::assert_snapshot!(format!("{name}_json"), render(fixture, &json));
}

#[test]
fn bump_dry_run() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "bump_single_crate_minor", &["bump", "minor"]);
    let fixture = support::fixture("lockstep");
    text_and_json(&fixture, "bump_lockstep_minor", &["bump", "minor"]);
}

#[test]
fn check_version_passing_and_failing() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "check_version_passing", &["check-version"]);
    text_and_json(&fixture, "check_version_failing_tag", &["check-version", "--tag", "v0.2.0"]);
}

#[test]
fn build_matrix() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "build_matrix_single_crate", &["build-matrix"]);
}

#[test]
fn changelog_dry_run() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "changelog_single_crate", &["changelog"]);
}

#[test]
fn tag_dry_run() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "tag_single_crate", &["tag"]);
}

#[test]
fn release_dry_run_without_checks() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "release_single_crate_minor", &["release", "minor", "--no-verify"]);
}

#[test]
fn checksum_and_verify_assets() {
    let fixture = fixture("single-crate");
    fixture.write("assets/a.bin", "a\n");
    fixture.write("assets/b.txt", "b\n");
    text_and_json(&fixture, "checksum_dry_run", &["checksum", "assets"]);
    fixture.run(&["checksum", "assets", "--execute"]).ok();
    text_and_json(&fixture, "checksum_verify_passing", &["checksum", "assets", "--verify"]);
    text_and_json(&fixture, "verify_assets", &["verify-assets", "assets"]);
    fixture.write("assets/a.bin", "changed\n");
    text_and_json(&fixture, "checksum_verify_failing", &["checksum", "assets", "--verify"]);
}

#[test]
fn verify_assets_passing_and_missing_dir() {
    let fixture = fixture("single-crate");
    let matrix: serde_json::Value = serde_json::from_str(&fixture.run(&["build-matrix"]).ok().stdout).unwrap();
    for entry in matrix["include"].as_array().unwrap() {
        for asset in entry["assets"].as_array().unwrap() {
            let name = asset.as_str().unwrap();
            fixture.write(&format!("dist/{name}"), &format!("the bytes of {name}\n"));
        }
    }
    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).ok();
    text_and_json(&fixture, "verify_assets_passing", &["verify-assets", "dist"]);
    text_and_json(&fixture, "verify_assets_error_no_dir", &["verify-assets", "nothere"]);
}

/// `init`'s dry run on a repository without any of its files, and its refusal to
/// replace a workflow it did not write.
#[test]
fn init_dry_run_and_foreign_workflow() {
    let fixture = fixture("single-crate");
    support::stand_in_checkout(&fixture);
    let init = ["init", "--dependency-path", "../xtask-release"];
    text_and_json(&fixture, "init_single_crate", &init);
    fixture.write(".github/workflows/release.yml", "name: Release\n");
    text_and_json(&fixture, "init_beside_foreign_workflow", &init);
}

/// The trail of two executed steps, printed and verified, and a log that is not there.
#[test]
fn audit_print_verify_and_missing_log() {
    let fixture = fixture("single-crate");
    fixture.run(&["bump", "minor", "--execute"]).ok();
    fixture.run(&["changelog", "--execute"]).ok();
    text_and_json(&fixture, "audit_two_steps", &["audit"]);
    text_and_json(&fixture, "audit_verify", &["audit", "--verify"]);
    text_and_json(&fixture, "audit_error_no_log", &["audit", "--log", "nothere.jsonl"]);
}

/// One representative failure of each command that needs nothing but the fixture.
#[test]
fn errors_without_services() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "bump_error_not_a_version", &["bump", "banana"]);
    text_and_json(&fixture, "bump_error_lower_version", &["bump", "0.0.1"]);
    text_and_json(&fixture, "dist_error_unknown_target", &["dist", "--target", "nope-unknown-none"]);
    text_and_json(&fixture, "checksum_error_no_file", &["checksum", "nothere"]);
    text_and_json(&fixture, "publish_ordered_error_no_registry", &["publish-ordered", "--registry", "nowhere"]);
    text_and_json(
        &fixture,
        "verify_published_error_no_registry",
        &["verify-published", "--registry", "nowhere", "--skip", "release"],
    );
    text_and_json(&fixture, "rollback_error_no_token", &["rollback", "0.1.0", "--registry", "nowhere"]);
    text_and_json(&fixture, "github_release_error_no_repository", &["github-release"]);

    // A dirty tree stops `tag` and `release` in their preflight.
    fixture.write("src/bin/a.rs", "fn main() { println!(\"changed\"); }\n");
    text_and_json(&fixture, "tag_error_dirty_tree", &["tag"]);
    text_and_json(&fixture, "release_error_dirty_tree", &["release", "patch", "--no-verify"]);
    fixture.git(&["checkout", "--", "."]);

    // A template with an unknown placeholder stops every command that reads the config.
    let manifest = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.xtask-release.dist]\nasset-name = \"{{bin}}-{{arch}}\"\n"),
    );
    text_and_json(&fixture, "build_matrix_error_unknown_placeholder", &["build-matrix"]);
    fixture.write("Cargo.toml", &manifest);

    // No changelog file to write a section into is fine; a changelog switched off is not.
    fixture.write("Cargo.toml", &format!("{manifest}\n[package.metadata.xtask-release]\nchangelog = false\n"));
    text_and_json(&fixture, "changelog_error_off", &["changelog"]);
}

/// Text and JSON of one command run as `released.run` runs it (cargo at the local
/// registry, GitHub at the loopback server), as `<name>_text` and `<name>_json`.
fn released_text_and_json(released: &Released, name: &str, args: &[&str]) {
    released_snapshot(released, &format!("{name}_text"), args);
    released_snapshot(released, &format!("{name}_json"), &[&["--format", "json"], args].concat());
}

fn released_snapshot(released: &Released, name: &str, args: &[&str]) {
    let run = released.run(args);
    insta::assert_snapshot!(name.to_string(), render_run(&released.fixture, args, run));
}

/// `released_text_and_json` for output that names the checksums of `.crate` files, which
/// hold the commit id (`.cargo_vcs_info.json`) and so differ on every run.
fn released_text_and_json_of_packages(released: &Released, name: &str, args: &[&str]) {
    for (suffix, args) in [("text", args.to_vec()), ("json", [&["--format", "json"], args].concat())] {
        let run = released.run(&args);
        let text = built_sums(&render_run(&released.fixture, &args, run));
        insta::assert_snapshot!(format!("{name}_{suffix}"), text);
    }
}

/// One release of the lockstep fixture, command by command, against the real registry
/// and the GitHub server: each command's dry run, its executed run, and the checks and
/// plans that come after.
#[test]
fn publish_github_release_verify_and_rollback() {
    let released = Released::new();
    released_text_and_json(&released, "publish_ordered_dry_run", &["publish-ordered", "--registry", "local"]);
    released.tag();
    // One upload at a time, so that the status lines come in one order.
    let publish = ["publish-ordered", "--registry", "local", "--execute", "--jobs", "1"];
    released_snapshot(&released, "publish_ordered_execute_one_text", &[&publish[..], &["-p", "acme-core"]].concat());
    released_snapshot(&released, "publish_ordered_execute_rest_json", &[&["--format", "json"], &publish[..]].concat());

    // The assets `build-matrix` promises, with made-up content, and their checksums.
    let matrix: serde_json::Value = serde_json::from_str(&released.run(&["build-matrix"]).ok().stdout).unwrap();
    std::fs::create_dir_all(&released.dist).unwrap();
    for entry in matrix["include"].as_array().unwrap() {
        for asset in entry["assets"].as_array().unwrap() {
            let name = asset.as_str().unwrap();
            std::fs::write(released.dist.join(name), format!("the bytes of {name}\n")).unwrap();
        }
    }
    let dist = released.dist.to_str().unwrap();
    let sums = released.dist.join("SHA256SUMS");
    released.run(&["checksum", dist, "--sums", sums.to_str().unwrap(), "--execute"]).ok();
    released_text_and_json(&released, "github_release_dry_run", &["github-release", "--assets", dist]);
    let execute = ["github-release", "--assets", dist, "--execute"];
    released_snapshot(&released, "github_release_execute_json", &[&["--format", "json"], &execute[..]].concat());
    released_snapshot(&released, "github_release_rerun_text", &execute);

    released_text_and_json(&released, "verify_published_passing", &["verify-published", "--registry", "local"]);
    let rollback = ["rollback", "0.1.0", "--registry", "local", "--reason", "miscompiles on arm"];
    released_text_and_json(&released, "rollback_dry_run", &rollback);

    // Failures against the services: an asset that changed since it was uploaded, and a
    // crate whose content changed under a version already published.
    let asset = released.dist.join("acme-proxy-0.1.0-linux-amd64");
    let original = std::fs::read(&asset).unwrap();
    std::fs::write(&asset, "rebuilt, other bytes\n").unwrap();
    released_text_and_json(&released, "github_release_error_asset_changed", &execute);
    std::fs::write(&asset, original).unwrap();
    released.fixture.write("crates/core/src/lib.rs", "pub fn name() -> &'static str { \"changed\" }\n");
    released.fixture.git(&["commit", "--quiet", "-am", "change acme-core"]);
    released_text_and_json_of_packages(&released, "publish_ordered_error_changed_content", &publish);

    // The rollback itself, what verify-published says then, and the plan to undo it.
    released_snapshot(&released, "rollback_execute_text", &[&rollback[..], &["--execute", "--yes"]].concat());
    released_text_and_json(
        &released,
        "verify_published_failing_after_rollback",
        &["verify-published", "--registry", "local"],
    );
    released_text_and_json(&released, "rollback_undo_dry_run", &["rollback", "0.1.0", "--registry", "local", "--undo"]);
}

/// `dist`'s plan for a configured target (any host can plan it), and on x86_64 Linux,
/// whose target every toolchain there has, the build itself.
#[test]
fn dist_plan_and_build() {
    let fixture = fixture("single-crate");
    let dist = ["dist", "--target", "x86_64-unknown-linux-gnu", "--out", "dist"];
    text_and_json(&fixture, "dist_dry_run", &dist);
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        let execute = [&dist[..], &["--execute"]].concat();
        insta::assert_snapshot!("dist_execute_text", built_sums(&render(&fixture, &execute)));
        let json = [&["--format", "json"], &execute[..]].concat();
        insta::assert_snapshot!("dist_execute_json", built_sums(&render(&fixture, &json)));
    }
}

/// The executed local steps, as text and then as JSON: `bump`, `changelog` and `tag
/// --push` by hand for 0.2.0 and 0.2.1, then `release` for 0.3.0 and 0.3.1.
#[test]
fn executed_bump_changelog_tag_and_release() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "changelog_new_section", &["changelog", "--version", "0.2.0"]);
    for (json, level) in [(false, "minor"), (true, "patch")] {
        let suffix = if json { "json" } else { "text" };
        let with_format =
            |args: &[&'static str]| if json { [&["--format", "json"], args].concat() } else { args.to_vec() };
        let bump = with_format(&["bump", level, "--execute"]);
        insta::assert_snapshot!(format!("bump_execute_{suffix}"), render(&fixture, &bump));
        let changelog = with_format(&["changelog", "--execute"]);
        insta::assert_snapshot!(format!("changelog_execute_{suffix}"), render(&fixture, &changelog));
        fixture.git(&["commit", "--quiet", "-am", "release"]);
        fixture.git(&["push", "--quiet", "origin", "main"]);
        let tag = with_format(&["tag", "--execute", "--push"]);
        insta::assert_snapshot!(format!("tag_execute_push_{suffix}"), render(&fixture, &tag));
    }
    let release = ["release", "minor", "--no-verify", "--execute", "--yes"];
    insta::assert_snapshot!("release_execute_text", render(&fixture, &release));
    let release = ["--format", "json", "release", "patch", "--no-verify", "--execute", "--yes"];
    insta::assert_snapshot!("release_execute_json", render(&fixture, &release));
}

#[test]
fn checksum_execute_with_sums_file() {
    let fixture = fixture("single-crate");
    fixture.write("assets/a.bin", "a\n");
    fixture.write("assets/b.txt", "b\n");
    text_and_json(
        &fixture,
        "checksum_execute_sums",
        &["checksum", "assets", "--sums", "assets/SHA256SUMS", "--execute"],
    );
}

/// Inside GitHub Actions a failing check also annotates, on stderr; with `--format json`
/// stdout is still the one document.
#[test]
fn check_version_failing_in_github_actions() {
    let fixture = fixture("single-crate");
    for (name, args) in [
        ("check_version_failing_github_actions_text", &["check-version", "--tag", "v0.2.0"][..]),
        ("check_version_failing_github_actions_json", &["--format", "json", "check-version", "--tag", "v0.2.0"][..]),
    ] {
        let mut cmd = fixture.command(args);
        cmd.env("GITHUB_ACTIONS", "true");
        insta::assert_snapshot!(name, render_run(&fixture, args, support::run(cmd)));
    }
}

/// The commands and global options, as `--help` lists them.
#[test]
fn help() {
    let fixture = fixture("single-crate");
    insta::assert_snapshot!("help_text", render(&fixture, &["--help"]));
}

/// Every command `--help` lists has at least one text and one JSON snapshot here, so a
/// new command cannot ship without its output pinned.
#[test]
fn every_command_has_text_and_json_snapshots() {
    use clap::CommandFactory;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let mut missing = Vec::new();
    for command in xtask_release::Cli::command().get_subcommands() {
        let prefix = format!("snapshots__{}_", command.get_name().replace('-', "_"));
        for kind in ["_text.snap", "_json.snap"] {
            if !files.iter().any(|f| f.starts_with(&prefix) && f.ends_with(kind)) {
                missing.push(format!("{}{kind}", command.get_name()));
            }
        }
    }
    assert!(missing.is_empty(), "commands without a snapshot: {missing:?}");
}
