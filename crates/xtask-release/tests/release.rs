//! `release`: the dry run prints every step and check and changes nothing; `--execute`
//! makes one commit and one annotated tag and pushes both atomically; a failed step says
//! how to resume, and the re-run continues instead of releasing twice.

mod support;

use support::git::{assert_refused_everywhere, bad_git_states};
use support::{Fixture, assert_same_files, fixture};

/// The fixture's binaries are on one line each; the fmt check needs them formatted.
fn formatted(fixture: &Fixture) {
    for (file, word) in [("src/bin/a.rs", "a"), ("src/bin/b.rs", "b")] {
        fixture.write(file, &format!("fn main() {{\n    println!(\"{word}\");\n}}\n"));
    }
    fixture.commit_all("style: rustfmt");
    fixture.git(&["push", "--quiet", "origin", "main"]);
}

/// The subjects of every commit on HEAD, newest first.
fn subjects(fixture: &Fixture) -> Vec<String> {
    fixture.git(&["log", "--format=%s"]).lines().map(str::to_string).collect()
}

#[test]
fn dry_run_prints_every_step_and_changes_nothing() {
    let fixture = fixture("single-crate");
    let (files, head, refs) = (fixture.snapshot(), fixture.head(), fixture.origin_refs());

    let run = fixture.run(&["release", "minor", "--no-verify"]).ok();

    let steps = [
        "Release v0.2.0 (from 0.1.0) on main",
        "  1. preflight",
        "    ok      clean tree",
        "    ok      up to date: HEAD equals origin/main",
        "    skipped tests",
        "  2. bump 0.1.0 -> 0.2.0 (2 file(s))",
        "     +version = \"0.2.0\"",
        "  3. changelog: add the section for 0.2.0",
        "     +## [0.2.0]",
        "  4. verify: `cargo metadata --locked --offline` accepts Cargo.lock, and check-version passes for v0.2.0",
        "  5. commit \"release: v0.2.0\"",
        "  6. tag v0.2.0, annotated \"Release v0.2.0\"",
        "  7. push main and v0.2.0 to origin in one atomic push",
    ];
    let mut rest = run.stdout.as_str();
    for step in steps {
        let at = rest.find(step).unwrap_or_else(|| panic!("missing or out of order: {step:?}\n{run}"));
        rest = &rest[at + step.len()..];
    }
    assert!(run.stderr.contains("dry run"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags(), fixture.origin_refs()), (head, String::new(), refs));
}

#[test]
fn json_plan_has_the_seven_steps() {
    let fixture = fixture("single-crate");
    let run = fixture.run(&["release", "0.2.0-rc.1", "--no-verify", "--format", "json"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
    assert_eq!(plan["version"], "0.2.0-rc.1");
    assert_eq!(plan["tag"], "v0.2.0-rc.1");
    assert_eq!(plan["prerelease"], true);
    let steps: Vec<&str> = plan["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["preflight", "bump", "changelog", "verify", "commit", "tag", "push"]);
    assert_eq!(plan["checks"][0]["name"], "clean tree");
    assert_eq!(plan["checks"][0]["outcome"], "passed");
}

#[test]
fn dry_run_runs_fmt_clippy_and_tests_for_real() {
    let fixture = fixture("single-crate");
    formatted(&fixture);
    let run = fixture.run(&["release", "patch"]).ok();
    for check in ["ok      cargo fmt", "ok      cargo clippy", "ok      tests: `cargo test --workspace` passed"] {
        assert!(run.stdout.contains(check), "{check}\n{run}");
    }
}

#[test]
fn a_formatting_failure_is_reported_and_nothing_changes() {
    let fixture = fixture("single-crate");
    let files = fixture.snapshot();
    let run = fixture.run(&["release", "patch", "--execute", "--yes", "--skip-clippy", "--skip-tests"]).fails(1);
    assert!(run.stdout.contains("FAILED  cargo fmt: `cargo fmt --all --check` failed"), "{run}");
    assert!(run.stdout.contains("src/bin/a.rs"), "{run}");
    assert!(run.stderr.contains("preflight failed (cargo fmt)"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(subjects(&fixture).len(), 1);
}

#[test]
fn the_test_command_comes_from_config_and_its_failure_is_reported() {
    let fixture = fixture("single-crate");
    let manifest = fixture.read("Cargo.toml")
        + "\n[workspace.metadata.xtask-release]\ntest-command = [\"git\", \"no-such-command\"]\n";
    fixture.write("Cargo.toml", &manifest);
    fixture.commit_all("configure the test command");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let run = fixture.run(&["release", "patch", "--skip-fmt", "--skip-clippy"]).fails(1);
    assert!(run.stdout.contains("FAILED  tests: `git no-such-command` failed"), "{run}");
    assert!(run.stdout.contains("is not a git command"), "{run}");
    assert!(run.stderr.contains("preflight failed (tests)"), "{run}");
}

#[test]
fn execute_makes_one_commit_and_tag_and_pushes_both() {
    let fixture = fixture("single-crate");
    let before = fixture.head();

    fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).ok();

    assert_eq!(subjects(&fixture), ["release: v0.2.0", "initial"]);
    assert_eq!(fixture.git(&["rev-parse", "HEAD^"]).trim(), before);
    assert_eq!(fixture.git(&["status", "--porcelain"]), "", "the release left changes behind");
    assert!(fixture.read("Cargo.toml").contains("version = \"0.2.0\""));
    assert!(fixture.read("Cargo.lock").contains("version = \"0.2.0\""));
    assert!(fixture.read("CHANGELOG.md").contains("## [0.2.0]"));
    assert_eq!(fixture.git(&["cat-file", "-t", "v0.2.0"]).trim(), "tag");
    assert_eq!(fixture.git(&["tag", "-l", "--format=%(contents)", "v0.2.0"]).trim(), "Release v0.2.0");
    let (head, tag) = (fixture.head(), fixture.git(&["rev-parse", "v0.2.0"]));
    assert_eq!(fixture.git(&["rev-parse", "v0.2.0^{commit}"]).trim(), head);
    assert_eq!(fixture.origin_refs(), format!("{head} refs/heads/main\n{} refs/tags/v0.2.0\n", tag.trim()));
}

#[test]
fn a_rejected_push_resumes_without_a_second_commit_or_tag() {
    let fixture = fixture("single-crate");
    let refs = fixture.origin_refs();
    fixture.origin_rejects_pushes(true);

    let run = fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).fails(1);
    assert!(run.stderr.contains("release stopped at step 7 (push)"), "{run}");
    assert!(run.stderr.contains("tagged v0.2.0, but origin has neither"), "{run}");
    assert!(run.stderr.contains("resume with: xtask-release release 0.2.0 --execute --yes --no-verify"), "{run}");
    assert_eq!(fixture.origin_refs(), refs, "the atomic push changed origin");

    // The level again, not the resume command: it must finish 0.2.0, not bump to 0.3.0.
    fixture.origin_rejects_pushes(false);
    let run = fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).ok();
    assert!(run.stderr.contains("`minor` resolves to 0.2.0"), "{run}");
    assert!(run.stdout.contains("     done: tag v0.2.0 exists at HEAD"), "{run}");

    assert_eq!(subjects(&fixture), ["release: v0.2.0", "initial"]);
    assert_eq!(fixture.tags(), "v0.2.0\n");
    let head = fixture.head();
    assert!(fixture.origin_refs().starts_with(&format!("{head} refs/heads/main\n")), "{}", fixture.origin_refs());
    assert!(fixture.origin_refs().contains("refs/tags/v0.2.0"));

    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).ok();
    assert!(run.stderr.contains("v0.2.0 is released already; nothing to do"), "{run}");
    assert_eq!(fixture.head(), head);
}

#[test]
fn a_failed_commit_puts_every_file_back() {
    let fixture = fixture("single-crate");
    let files = fixture.snapshot();
    fixture.write(".git/hooks/pre-commit", "#!/bin/sh\necho 'hook: no commits today' >&2\nexit 1\n");
    std::process::Command::new("chmod")
        .args(["+x", ".git/hooks/pre-commit"])
        .current_dir(&fixture.root)
        .status()
        .unwrap();

    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).fails(1);

    assert!(run.stderr.contains("release stopped at step 5 (commit)"), "{run}");
    assert!(run.stderr.contains("every edited file was put back"), "{run}");
    assert!(run.stderr.contains("resume with: xtask-release release 0.2.0 --execute --yes --no-verify"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(fixture.git(&["status", "--porcelain"]), "", "the index or tree kept release edits");
    assert_eq!((subjects(&fixture).len(), fixture.tags()), (1, String::new()));
}

#[test]
fn a_lock_file_cargo_rejects_stops_before_the_commit_and_puts_every_file_back() {
    let fixture = fixture("single-crate");
    // A dependency Cargo.lock does not have: `--locked --offline` must refuse it.
    let manifest = fixture.read("Cargo.toml") + "\n[dependencies]\nnot-in-the-lock-file = \"1\"\n";
    fixture.write("Cargo.toml", &manifest);
    fixture.commit_all("add a dependency without locking it");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let (files, head) = (fixture.snapshot(), fixture.head());

    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).fails(1);

    assert!(run.stderr.contains("release stopped at step 4 (verify)"), "{run}");
    assert!(run.stderr.contains("Cargo.lock does not match the manifests"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(fixture.git(&["status", "--porcelain"]), "");
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));
}

#[test]
fn execute_off_a_terminal_without_yes_is_refused() {
    let fixture = fixture("single-crate");
    let (files, head) = (fixture.snapshot(), fixture.head());
    let run = fixture.run(&["release", "minor", "--execute", "--no-verify"]).fails(1);
    assert!(run.stderr.contains("stdin is not a terminal; pass --yes"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));
}

/// On a terminal `--execute` asks first. The terminal is a real pty from util-linux
/// `script`, which passes our stdin on as the typed answer.
#[test]
fn execute_on_a_terminal_asks_and_only_yes_goes_ahead() {
    let fixture = fixture("single-crate");
    let answer = |typed: &str| {
        let line = format!("{} release minor --execute --no-verify", support::BIN);
        let mut cmd = std::process::Command::new("script");
        cmd.args(["--quiet", "--return", "--command", &line, "/dev/null"]).current_dir(&fixture.root);
        fixture.env(&mut cmd);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("util-linux `script` runs");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (files, head) = (fixture.snapshot(), fixture.head());

    let (code, output) = answer("n\n");
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("Release v0.2.0: commit, tag and push? [y/N]"), "{output}");
    assert!(output.contains("release cancelled; nothing was changed"), "{output}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));

    let (code, output) = answer("y\n");
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(subjects(&fixture), ["release: v0.2.0", "initial"]);
    assert!(fixture.origin_refs().contains("refs/tags/v0.2.0"));
}

/// The git states `release` refuses, with the tag of the version it would make.
#[test]
fn refuses_bad_git_states_and_changes_nothing() {
    let args = ["release", "minor", "--execute", "--yes", "--no-verify"];
    assert_refused_everywhere("single-crate", &args, &bad_git_states("v0.2.0"));
}
