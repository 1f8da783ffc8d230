//! The CLI's shape: clap's own consistency checks, and the exit-code contract.

mod support;

use clap::CommandFactory;

#[test]
fn verify_cli() {
    xtask_release::Cli::command().debug_assert();
}

#[test]
fn usage_error_exits_2_and_help_exits_0() {
    let fixture = support::fixture("single-crate");
    let run = fixture.run(&["bump", "not-a-version"]).fails(2);
    assert!(run.stderr.contains("not-a-version"), "{run}");
    fixture.run(&["--help"]).ok();
    fixture.run(&["no-such-command"]).fails(2);
}

/// Run through the `cargo xtask` alias (a binary named `xtask`), usage lines say so, and
/// so do the commands we suggest; run as itself, it names itself.
#[test]
fn usage_lines_name_the_program_as_it_was_run() {
    let fixture = support::fixture("single-crate");
    let dir = tempfile::tempdir().unwrap();
    let xtask = dir.path().join("xtask");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_xtask-release"), &xtask).unwrap();
    let mut cmd = std::process::Command::new(&xtask);
    cmd.args(["bump"]).current_dir(fixture.path(""));
    let run = support::run(cmd).fails(2);
    assert!(run.stderr.contains("Usage: cargo xtask bump <VERSION>"), "{run}");
    let run = fixture.run(&["bump"]).fails(2);
    assert!(run.stderr.contains("Usage: xtask-release bump <VERSION>"), "{run}");
}

/// The commands that read the environment list what they read in their help.
#[test]
fn help_lists_the_environment_a_command_reads() {
    let fixture = support::fixture("single-crate");
    for (command, names) in [
        ("github-release", &["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"][..]),
        ("publish-ordered", &["CARGO_REGISTRY_TOKEN", "CARGO_REGISTRIES_<NAME>_TOKEN"][..]),
        ("verify-published", &["GITHUB_TOKEN", "GITHUB_API_URL"][..]),
        ("rollback", &["CARGO_REGISTRY_TOKEN", "GITHUB_TOKEN"][..]),
        ("changelog", &["SOURCE_DATE_EPOCH"][..]),
    ] {
        let run = fixture.run(&[command, "--help"]).ok();
        for name in names {
            assert!(run.stdout.contains(name), "{command} --help lacks {name}: {run}");
        }
    }
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    let fixture = support::fixture("single-crate");
    let mut child = fixture
        .command(&["bump", "minor"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the plan is printed, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// The engine never sees clap: only the CLI module(s) and `lib.rs` (which calls them)
/// may name it, so a library caller's options are plain types.
#[test]
fn clap_stays_in_the_cli() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            if rel == "cli" || rel.starts_with("cli/") || rel == "cli.rs" || rel == "lib.rs" {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read_to_string(&path).unwrap().contains("clap") {
                offenders.push(rel);
            }
        }
    }
    offenders.sort();
    assert!(offenders.is_empty(), "these files outside src/cli/ mention clap: {offenders:?}");
}
