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
        "  2. bump 0.1.0 -> 0.2.0 (2 files)",
        "     +version = \"0.2.0\"",
        "  3. changelog: add the section for 0.2.0",
        "     +## [0.2.0]",
        "  4. verify: `cargo update --workspace --locked` accepts Cargo.lock, and check-version passes for v0.2.0",
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
    let check = |name: &str| plan["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).cloned();
    assert_eq!(check("clean tree").unwrap()["outcome"], "passed");
    assert_eq!(check("lock file").unwrap()["outcome"], "passed");
}

/// A dry run prints the plan after the checks that take seconds; clippy and the tests
/// are listed with what they will run, and run only when asked (`--checks`), each with a
/// start line and its time, after the plan.
#[test]
fn dry_run_lists_clippy_and_tests_and_runs_them_only_with_checks() {
    let fixture = fixture("single-crate");
    formatted(&fixture);
    let run = fixture.run(&["release", "patch"]).ok();
    assert!(run.stdout.contains("ok      cargo fmt: `cargo fmt --all --check` passed"), "{run}");
    for pending in [
        "pending cargo clippy: `cargo clippy --workspace --all-targets -- -D warnings` runs at --execute",
        "pending tests: `cargo test --workspace` runs at --execute, before the first change (in a dry run: --checks)",
    ] {
        assert!(run.stdout.contains(pending), "{pending}\n{run}");
    }
    assert!(!run.stderr.contains("Running `cargo clippy"), "clippy ran in a dry run\n{run}");
    assert!(!run.stderr.contains("Running `cargo test"), "the tests ran in a dry run\n{run}");
    assert!(run.stderr.contains("--checks runs them now"), "{run}");

    let run = fixture.run(&["release", "patch", "--checks"]).ok();
    let plan_ends = run.stdout.find("  7. push").unwrap_or_else(|| panic!("{run}"));
    let results = run.stdout.find("  1. preflight, the slow checks:").unwrap_or_else(|| panic!("{run}"));
    assert!(plan_ends < results, "the plan came after the slow checks\n{run}");
    for check in ["ok      cargo clippy", "ok      tests: `cargo test --workspace` passed"] {
        assert!(run.stdout[results..].contains(check), "{check}\n{run}");
    }
    for line in
        ["Running `cargo clippy", "Finished running `cargo clippy", "Finished running `cargo test --workspace` in"]
    {
        assert!(run.stderr.contains(line), "{line}\n{run}");
    }
}

/// A version released already (its release commit tagged and pushed, or the manifests at
/// it and its tag there) has nothing to do, said before any check runs: a failing test
/// command is not run.
#[test]
fn a_released_version_has_nothing_to_do_before_any_check() {
    let fixture = fixture("single-crate");
    fixture.configure_and_push(
        "\n[workspace.metadata.xtask-release]\ntest-command = [\"git\", \"no-such-command\"]\n",
        "configure the test command",
    );
    fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).ok();
    let nothing = |run: &support::Run| {
        assert!(run.stderr.contains("v0.2.0 is released already; nothing to do"), "{run}");
        assert!(!run.stderr.contains("Running"), "a check ran\n{run}");
        assert!(!run.stdout.contains("fmt"), "a check ran\n{run}");
    };
    nothing(&fixture.run(&["release", "0.2.0", "--checks"]).ok());
    nothing(&fixture.run(&["release", "0.2.0", "--execute", "--yes"]).ok());

    // A commit after the release: the manifests are at 0.2.0 and v0.2.0 exists.
    fixture.write("README.md", "more\n");
    fixture.commit_all("docs: more");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let run = fixture.run(&["release", "0.2.0", "--checks"]).ok();
    nothing(&run);
    assert!(run.stdout.contains("the manifests are at its version and v0.2.0 exists"), "{run}");
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
    fixture.configure_and_push(
        "\n[workspace.metadata.xtask-release]\ntest-command = [\"git\", \"no-such-command\"]\n",
        "configure the test command",
    );
    let run = fixture.run(&["release", "patch", "--skip-fmt", "--skip-clippy", "--checks"]).fails(1);
    assert!(run.stdout.contains("FAILED  tests: `git no-such-command` failed"), "{run}");
    assert!(run.stdout.contains("is not a git command"), "{run}");
    assert!(run.stderr.contains("preflight failed (tests)"), "{run}");
}

#[test]
fn execute_makes_one_commit_and_tag_and_pushes_both() {
    let fixture = fixture("single-crate");
    let before = fixture.head();

    let run = fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).ok();
    // What comes next, in the words the user runs us with.
    assert!(
        run.stderr.contains("note: next: publish and ship v0.2.0: `xtask-release publish-ordered --execute`"),
        "{run}"
    );

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
    // Git for Windows runs hooks through its own sh without an executable bit.
    #[cfg(unix)]
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

/// The lock check runs on the edits in a scratch copy, so a lock file that does not
/// match is found in the dry run and `--execute` stops before writing anything.
#[test]
fn a_lock_file_that_does_not_match_is_refused_before_anything_is_written() {
    let fixture = fixture("single-crate");
    // A dependency Cargo.lock does not have: the lock check must refuse it, offline too.
    fixture
        .configure_and_push("\n[dependencies]\nnot-in-the-lock-file = \"1\"\n", "add a dependency without locking it");
    let (files, head) = (fixture.snapshot(), fixture.head());

    let dry = fixture.run(&["release", "0.2.0", "--no-verify"]).fails(1);
    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).fails(1);

    for run in [&dry, &run] {
        assert!(run.stdout.contains("FAILED  lock file: Cargo.lock does not match the manifests"), "{run}");
        assert!(run.stdout.contains("Cargo.lock has no package `not-in-the-lock-file`"), "{run}");
        assert!(run.stdout.contains("fix: update it (`cargo update --workspace`)"), "{run}");
        assert!(run.stderr.contains("preflight failed (lock file); nothing was changed"), "{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(fixture.git(&["status", "--porcelain"]), "");
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));
}

/// With nothing in cargo's cache and no network, the lock check says it is a cache or
/// network problem, with the command that fixes it, and not that Cargo.lock is wrong.
#[test]
fn a_lock_check_without_cache_or_network_says_so() {
    let fixture = fixture("single-crate");
    // A registry dependency, locked: checking the lock file needs its index entry.
    let manifest = fixture.read("Cargo.toml") + "\n[dependencies]\nitoa = \"1\"\n";
    fixture.write("Cargo.toml", &manifest);
    let lock = fixture.read("Cargo.lock").replace(
        "version = \"0.1.0\"\n",
        "version = \"0.1.0\"\ndependencies = [\n \"itoa\",\n]\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.18\"\n\
         source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
         checksum = \"8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682\"\n",
    );
    fixture.write("Cargo.lock", &lock);
    fixture.commit_all("depend on itoa");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let files = fixture.snapshot();
    let home = fixture.tmp.path().join("empty-cargo-home");
    let mut cmd = fixture.command(&["release", "minor", "--no-verify"]);
    cmd.env("CARGO_HOME", &home).env("CARGO_NET_OFFLINE", "true");
    let run = support::run(cmd).fails(1);

    assert!(run.stdout.contains("FAILED  lock file: cannot check Cargo.lock"), "{run}");
    assert!(run.stdout.contains("a cache or network problem, not a lock file that does not match"), "{run}");
    assert!(run.stdout.contains("fix: with network access, run `cargo fetch`"), "{run}");
    assert!(!run.stdout.contains("does not match the manifests"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
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

/// On a terminal (Linux only, see `Fixture::run_on_terminal`) `--execute` asks first.
#[test]
#[cfg(target_os = "linux")]
fn execute_on_a_terminal_asks_and_only_yes_goes_ahead() {
    let fixture = fixture("single-crate");
    let answer = |typed: &str| fixture.run_on_terminal("release minor --execute --no-verify", typed);
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

/// The project releases itself with itself: this repository's files as they are in the
/// working tree, committed in a fresh repository with a bare origin, and released offline
/// with a CARGO_HOME that holds the registry index and no package at all (so none for
/// other targets, as on a machine that only ever built for its own).
#[test]
fn this_repository_releases_itself_with_no_package_of_other_targets_downloaded() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(&repo)
        .output()
        .unwrap();
    let fixture = support::fixture_with(|root| {
        for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            let file = std::path::Path::new(std::str::from_utf8(file).unwrap());
            let (from, to) = (repo.join(file), root.join(file));
            if from.is_file() {
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(from, to).unwrap();
            }
        }
    });
    let home = fixture.tmp.path().join("cargo-home");
    let real_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"));
    support::copy_dir(&real_home.join("registry/index"), &home.join("registry/index"));
    assert!(!home.join("registry/cache").exists() && !home.join("registry/src").exists());
    let before = fixture.head();

    let mut cmd = fixture.command(&["release", "minor", "--execute", "--yes", "--no-verify"]);
    cmd.env("CARGO_HOME", &home).env("CARGO_NET_OFFLINE", "true");
    let run = support::run(cmd).ok();

    assert!(run.stdout.contains("ok      lock file: `cargo update --workspace --locked` accepts"), "{run}");
    let tag = fixture.tags().trim().to_string();
    let version = tag.strip_prefix('v').unwrap_or_else(|| panic!("one tag v*, not {tag:?}\n{run}"));
    assert_eq!(subjects(&fixture), [format!("release: {tag}"), "initial".to_string()]);
    assert_eq!(fixture.git(&["rev-parse", "HEAD^"]).trim(), before);
    assert_eq!(fixture.git(&["status", "--porcelain"]), "", "the release left changes behind");
    assert!(fixture.read("Cargo.lock").contains(&format!("name = \"xtask-release\"\nversion = \"{version}\"")));
    assert_eq!(fixture.git(&["cat-file", "-t", &tag]).trim(), "tag");
    let tag_object = fixture.git(&["rev-parse", &tag]);
    let head = fixture.head();
    assert_eq!(fixture.origin_refs(), format!("{head} refs/heads/main\n{} refs/tags/{tag}\n", tag_object.trim()));
}

// The kill tests below stop `release` with SIGKILL to its process group and put
// instrumented `git`/`cargo` shell scripts first on PATH: Unix only.

/// Where a kill tests interrupt `release`: the command an instrumented `git` or `$CARGO`
/// blocks in (a glob over `PROGRAM ARGS`), or a git hook that blocks.
#[derive(Clone, Copy)]
#[cfg(unix)]
enum Block {
    Command(&'static str),
    /// `.git/hooks/pre-commit`: git holds the index lock while it runs.
    PreCommit,
    /// `pre-receive` in the bare origin: the push is under way, nothing updated yet.
    PreReceive,
}

/// A script that blocks (after creating `$XTASK_TEST_REACHED`) when its command line
/// matches `$XTASK_TEST_BLOCK`, and otherwise runs the real program.
#[cfg(unix)]
fn blocking_script(real: &str, name: &str) -> String {
    format!(
        "#!/bin/sh\ncase \"{name} $*\" in\n  $XTASK_TEST_BLOCK) touch \"$XTASK_TEST_REACHED\"; exec sleep 3600;;\nesac\nexec {real} \"$@\"\n"
    )
}

#[cfg(unix)]
fn executable(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Starts `release minor --execute`, waits until it reaches `block`, and kills it and
/// every process it started with SIGKILL, as a power cut or `kill -9` of the group would.
#[cfg(unix)]
fn kill_release_at(fixture: &Fixture, block: Block) {
    kill_release_at_with(fixture, block, &[]);
}

/// [`kill_release_at`] with `env` set for the killed run.
#[cfg(unix)]
fn kill_release_at_with(fixture: &Fixture, block: Block, env: &[(&str, &str)]) {
    let tools = fixture.tmp.path().join("blocking");
    let reached = fixture.tmp.path().join("reached");
    let real_git = String::from_utf8(std::process::Command::new("which").arg("git").output().unwrap().stdout).unwrap();
    let real_cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    executable(&tools.join("git"), &blocking_script(real_git.trim(), "git"));
    executable(&tools.join("cargo"), &blocking_script(&real_cargo, "cargo"));
    let hang = format!("#!/bin/sh\ntouch '{}'\nexec sleep 3600\n", reached.display());
    let pattern = match block {
        Block::Command(pattern) => pattern,
        Block::PreCommit => {
            executable(&fixture.path(".git/hooks/pre-commit"), &hang);
            "-"
        }
        Block::PreReceive => {
            executable(&fixture.origin.join("hooks/pre-receive"), &hang);
            "-"
        }
    };

    let mut cmd = fixture.command(&["release", "minor", "--execute", "--yes", "--no-verify"]);
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap_or_default());
    cmd.env("PATH", path)
        .env("CARGO", tools.join("cargo"))
        .env("XTASK_TEST_BLOCK", pattern.replace("ROOT", fixture.root.to_str().unwrap()))
        .env("XTASK_TEST_REACHED", &reached)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().unwrap();
    while !reached.exists() {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "release ended before reaching {pattern}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let group = format!("-{}", child.id());
    let killed = std::process::Command::new("kill").args(["-KILL", "--", &group]).status().unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    for hook in [fixture.path(".git/hooks/pre-commit"), fixture.origin.join("hooks/pre-receive")] {
        let _ = std::fs::remove_file(hook);
    }
}

/// After a re-run: exactly one release commit on top of the start, one annotated tag at
/// it, both on origin, and nothing left in the tree.
#[track_caller]
#[cfg(unix)]
fn assert_released_once(fixture: &Fixture, start: &str, run: &support::Run) {
    assert_eq!(subjects(fixture), ["release: v0.2.0", "initial"], "{run}");
    assert_eq!(fixture.git(&["rev-parse", "HEAD^"]).trim(), start);
    assert_eq!(fixture.tags(), "v0.2.0\n", "{run}");
    assert_eq!(fixture.git(&["cat-file", "-t", "v0.2.0"]).trim(), "tag");
    assert_eq!(fixture.git(&["status", "--porcelain", "--ignored"]), "", "{run}");
    let (head, tag) = (fixture.head(), fixture.git(&["rev-parse", "v0.2.0"]));
    assert_eq!(fixture.git(&["rev-parse", "v0.2.0^{commit}"]).trim(), head);
    assert_eq!(fixture.origin_refs(), format!("{head} refs/heads/main\n{} refs/tags/v0.2.0\n", tag.trim()), "{run}");
    assert!(fixture.read("Cargo.toml").contains("version = \"0.2.0\""));
    assert_eq!(fixture.read("CHANGELOG.md").matches("## [0.2.0]").count(), 1);
}

/// Kills `release minor` at `block`, then re-runs it once with `again` and checks that
/// the release is finished, once.
#[cfg(unix)]
fn killed_and_rerun(block: Block, again: &str) -> (Fixture, support::Run) {
    let fixture = fixture("single-crate");
    let start = fixture.head();
    kill_release_at(&fixture, block);
    let run = fixture.run(&["release", again, "--execute", "--yes", "--no-verify"]).ok();
    assert_released_once(&fixture, &start, &run);
    (fixture, run)
}

#[test]
#[cfg(unix)]
fn killed_at_the_lock_check_of_step_4_the_rerun_continues_from_the_written_edits() {
    let (_, run) = killed_and_rerun(Block::Command("cargo update*--manifest-path ROOT/Cargo.toml*"), "0.2.0");
    assert!(run.stderr.contains("holds this release's edits for 0.2.0 (3 of 3 files written)"), "{run}");
}

#[test]
#[cfg(unix)]
fn killed_at_the_version_check_of_step_4_a_level_given_again_continues_the_same_version() {
    let (_, run) = killed_and_rerun(Block::Command("cargo metadata*--manifest-path ROOT/Cargo.toml*"), "minor");
    assert!(run.stderr.contains("edits for 0.2.0"), "{run}");
}

#[test]
#[cfg(unix)]
fn killed_before_git_add_the_rerun_continues() {
    killed_and_rerun(Block::Command("git add*"), "0.2.0");
}

#[test]
#[cfg(unix)]
fn killed_before_the_tag_the_rerun_tags_and_pushes() {
    let (_, run) = killed_and_rerun(Block::Command("git tag -a*"), "minor");
    assert!(run.stderr.contains("`minor` resolves to 0.2.0"), "{run}");
}

#[test]
#[cfg(unix)]
fn killed_before_the_push_the_rerun_pushes() {
    let (_, run) = killed_and_rerun(Block::Command("git push*"), "0.2.0");
    assert!(run.stdout.contains("done: tag v0.2.0 exists at HEAD"), "{run}");
}

#[test]
#[cfg(unix)]
fn killed_during_the_push_the_rerun_pushes() {
    killed_and_rerun(Block::PreReceive, "minor");
}

/// Killed inside `git commit`: git's index lock stays. The re-run refuses with the
/// command that removes it and changes nothing; after it, one more run finishes.
#[test]
#[cfg(unix)]
fn killed_during_the_commit_the_index_lock_is_reported_with_the_command_that_clears_it() {
    let fixture = fixture("single-crate");
    let start = fixture.head();
    kill_release_at(&fixture, Block::PreCommit);
    let files = fixture.snapshot();

    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).fails(1);
    assert!(run.stdout.contains("FAILED  git index unlocked"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    let command = run.stdout.split("`rm ").nth(1).and_then(|rest| rest.split('`').next()).expect("an rm command");
    assert!(command.ends_with("index.lock"), "{run}");
    std::fs::remove_file(command).unwrap();

    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).ok();
    assert_released_once(&fixture, &start, &run);
}

/// An interruption inside step 2 leaves some files bumped and others not, and maybe a
/// temporary file of the write that was cut short.
#[test]
#[cfg(unix)]
fn a_half_written_bump_with_a_temporary_file_is_continued() {
    let fixture = fixture("single-crate");
    let start = fixture.head();
    kill_release_at(&fixture, Block::Command("cargo update*--manifest-path ROOT/Cargo.toml*"));
    fixture.git(&["checkout", "--", "Cargo.lock"]);
    fixture.write(".Cargo.lock.xtask-release.tmp", "[[package]]\nname = \"sin");

    let run = fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify"]).ok();
    assert!(run.stderr.contains("(2 of 3 files written)"), "{run}");
    assert_released_once(&fixture, &start, &run);
    assert!(!fixture.path(".Cargo.lock.xtask-release.tmp").exists());
}

/// Edits that are not the release's own are never taken over: another version in the
/// tree, or a change beside the release's edits, fail the clean-tree check as before.
#[test]
#[cfg(unix)]
fn edits_that_are_not_this_releases_own_are_refused() {
    let fixture = fixture("single-crate");
    kill_release_at(&fixture, Block::Command("cargo update*--manifest-path ROOT/Cargo.toml*"));
    let (files, head) = (fixture.snapshot(), fixture.head());

    let run = fixture.run(&["release", "0.3.0", "--execute", "--yes", "--no-verify"]).fails(1);
    assert!(run.stdout.contains("FAILED  clean tree"), "{run}");

    fixture.write("src/bin/a.rs", "fn main() {}\n");
    let files_with_change = fixture.snapshot();
    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).fails(1);
    assert!(run.stdout.contains("FAILED  clean tree"), "{run}");
    assert!(run.stdout.contains("src/bin/a.rs"), "{run}");
    assert_same_files(&files_with_change, &fixture.snapshot());
    assert_ne!(files, files_with_change);
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));
}

/// Killed between steps 2 and 3: the manifests are bumped, the changelog is not yet.
#[test]
#[cfg(unix)]
fn killed_between_the_bump_and_the_changelog_the_rerun_writes_the_changelog() {
    let fixture = fixture("single-crate");
    let start = fixture.head();
    kill_release_at(&fixture, Block::Command("cargo update*--manifest-path ROOT/Cargo.toml*"));
    fixture.git(&["checkout", "--", "CHANGELOG.md"]);

    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).ok();
    assert!(run.stderr.contains("(2 of 3 files written)"), "{run}");
    assert_released_once(&fixture, &start, &run);
}

/// Killed before midnight with the changelog written, re-run after it: the section the
/// first run wrote carries its day, and the re-run continues from it and commits it with
/// that date. `SOURCE_DATE_EPOCH` gives each run its clock.
#[test]
#[cfg(unix)]
fn killed_before_midnight_the_rerun_after_it_continues_with_the_first_days_date() {
    const BEFORE_MIDNIGHT: &str = "1773532770"; // 2026-03-14 23:59:30 UTC
    const AFTER_MIDNIGHT: &str = "1773532830"; // 2026-03-15 00:00:30 UTC
    let fixture = fixture("single-crate");
    let start = fixture.head();
    kill_release_at_with(&fixture, Block::Command("git add*"), &[("SOURCE_DATE_EPOCH", BEFORE_MIDNIGHT)]);
    assert!(fixture.read("CHANGELOG.md").contains("## [0.2.0] - 2026-03-14\n"), "{}", fixture.read("CHANGELOG.md"));

    let mut cmd = fixture.command(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]);
    cmd.env("SOURCE_DATE_EPOCH", AFTER_MIDNIGHT);
    let run = support::run(cmd).ok();
    assert!(run.stderr.contains("this release's edits for 0.2.0 (3 of 3 files written)"), "{run}");
    assert_released_once(&fixture, &start, &run);
    let committed = fixture.git(&["show", "HEAD:CHANGELOG.md"]);
    assert!(committed.contains("## [0.2.0] - 2026-03-14\n"), "{committed}");
    assert!(!committed.contains("2026-03-15"), "{committed}");
}

/// A member that depends on another without a version requirement: `publish-ordered`
/// would refuse it, so the release's preflight does, before a tag starts the publish job.
#[test]
fn a_release_the_publish_job_would_refuse_is_stopped_in_preflight() {
    let fixture = fixture("lockstep");
    let manifest = fixture.read("Cargo.toml").replace(
        "acme-core = { path = \"crates/core\", version = \"0.1.0\" }",
        "acme-core = { path = \"crates/core\" }",
    );
    fixture.write("Cargo.toml", &manifest);
    fixture.commit_all("drop acme-core's version requirement");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let (files, head, refs) = (fixture.snapshot(), fixture.head(), fixture.origin_refs());

    let dry = fixture.run(&["release", "0.2.0", "--no-verify"]).fails(1);
    let run = fixture.run(&["release", "0.2.0", "--execute", "--yes", "--no-verify"]).fails(1);
    for run in [&dry, &run] {
        assert!(run.stdout.contains("FAILED  publishable: publish-ordered would refuse this release"), "{run}");
        assert!(run.stdout.contains("depends on `acme-core` without a version requirement"), "{run}");
        assert!(run.stderr.contains("preflight failed (publishable)"), "{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags(), fixture.origin_refs()), (head, String::new(), refs));
}
