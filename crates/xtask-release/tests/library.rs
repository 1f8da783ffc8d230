//! The engine as a library: commands planned and executed with a `Silent` reporter print
//! nothing, and what the caller gets is the returned data. The calls run in a child
//! process (this test binary again, running one ignored test) whose stdout is read whole,
//! since an engine that printed would write to the real stdout, out of a test's reach.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::registry::Registry;
use support::{Fixture, Run, fixture};
use xtask_release::dist::build;
use xtask_release::publish::{self, Status};
use xtask_release::report::Silent;
use xtask_release::rollback;
use xtask_release::steps::release::{self, Skip};
use xtask_release::workspace::Workspace;

/// Set in the child: the fixture's root.
const CHILD: &str = "XTASK_RELEASE_LIBRARY_CHILD";
/// Set in the child: a directory outside the work tree for dist's assets.
const OUT: &str = "XTASK_RELEASE_LIBRARY_OUT";
const BEGIN: &str = "<<library calls begin>>";
const END: &str = "<<library calls end>>";

#[test]
fn silent_library_calls_print_nothing() {
    let fixture = fixture("single-crate");
    let registry = Registry::start(fixture.tmp.path());
    // A hook that talks: what git's hooks print is tool output, which Silent does not pass on.
    let hook = fixture.root.join(".git/hooks/pre-commit");
    let ran = fixture.tmp.path().join("hook-ran");
    std::fs::write(&hook, format!("#!/bin/sh\necho 'pre-commit hook says hello' >&2\ntouch '{}'\n", ran.display()))
        .unwrap();
    // Git for Windows runs hooks through its own sh without an executable bit.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = child(&fixture, &registry, "library_calls");
    assert_printed_nothing(&run);
    // Nothing of ours on stderr (no status line, no command echo), nor of the tools we ran:
    // their output goes to the reporter's `tool_output`, which Silent leaves out.
    assert!(ran.exists(), "the pre-commit hook did not run\n{run}");
    for ours in [
        "$ ",
        "crates with cargo package",
        "release binaries for",
        "Cargo.lock after the bump",
        "Wrote ",
        "pre-commit hook says",
    ] {
        assert!(!run.stderr.contains(ours), "the engine wrote {ours:?} on stderr\n{run}");
    }
    // cargo's own lines, from publish's `cargo package` and dist's `cargo build`.
    for cargos in ["Compiling", "Packaging", "Verifying", "Packaged", "Finished"] {
        assert!(!run.stderr.contains(cargos), "cargo wrote {cargos:?} on stderr\n{run}");
    }
    // The calls did what they returned: the crate is in the registry, the tag exists.
    assert_eq!(registry.versions("single"), ["0.1.0"]);
    assert!(fixture.git(&["tag", "--list"]).contains("v0.2.0"), "{run}");

    // rollback of 0.1.0, tagged on the first commit: the CLI's dry run shows the plan's
    // digest, then the library executes the same plan.
    let first = fixture.git(&["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    fixture.git(&["tag", "-a", "v0.1.0", "-m", "Release 0.1.0", &first]);
    fixture.git(&["push", "--quiet", "origin", "v0.1.0"]);
    let mut dry_run = fixture.command(&["--format", "json", "rollback", "0.1.0", "--registry", "local", "--no-github"]);
    with_registry(&fixture, &registry, &mut dry_run);
    let shown: serde_json::Value = serde_json::from_str(&support::run(dry_run).ok().stdout).unwrap();
    let run = child(&fixture, &registry, "library_rollback");
    assert_printed_nothing(&run);
    // Not a status line, nor cargo yank's or git push's output: nothing at all.
    assert_eq!(run.stderr, "", "the rollback wrote on stderr\n{run}");
    assert_eq!(registry.yanked("single", "0.1.0"), Some(true), "{run}");
    assert_eq!(fixture.git(&["tag", "--list", "v0.1.0"]), "", "{run}");
    assert_eq!(fixture.git_in(&fixture.origin, &["tag", "--list", "v0.1.0"]), "", "{run}");
    // The audit trail: a line for each step of the plan, with its digest and no approval.
    let log = std::fs::read_to_string(fixture.tmp.path().join("target/xtask-release/audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["version"] == "0.1.0")
        .collect();
    let planned = shown["steps"].as_array().unwrap();
    assert_eq!(lines.len(), planned.len(), "{log}");
    for (line, step) in lines.iter().zip(planned) {
        assert_eq!(line["plan_digest"], shown["plan_digest"], "{line}");
        assert_eq!(line["approved"], serde_json::Value::Null, "{line}");
        assert_eq!(line["outcome"], if step["skip"].is_null() { "ok" } else { "skipped" }, "{line}");
    }
    let yank = lines.iter().find(|l| l["step"].as_str().unwrap().starts_with("yank single 0.1.0")).expect(&log);
    assert_eq!((&yank["produced"]["crate"], &yank["produced"]["yanked"]), (&"single 0.1.0".into(), &"true".into()));
}

/// Runs `test`, one of the ignored tests below, in a child process on the fixture.
fn child(fixture: &Fixture, registry: &Registry, test: &str) -> support::Run {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--ignored", "--nocapture", "--test-threads", "1"]);
    fixture.env(&mut cmd);
    with_registry(fixture, registry, &mut cmd);
    cmd.env(CHILD, &fixture.root).env(OUT, fixture.tmp.path().join("dist"));
    let run = support::run(cmd);
    assert_eq!(run.code, 0, "the library calls of {test} failed\n{run}");
    run
}

/// cargo pointed at the loopback registry, with a token.
fn with_registry(fixture: &Fixture, registry: &Registry, cmd: &mut Command) {
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
        .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url())
        .env("CARGO_REGISTRIES_LOCAL_TOKEN", "library-test-token");
}

/// Between the child's markers, stdout holds only the newline of the BEGIN marker's line.
#[track_caller]
fn assert_printed_nothing(run: &support::Run) {
    let printed = run.stdout.split_once(BEGIN).and_then(|(_, rest)| rest.split_once(END)).map(|(between, _)| between);
    assert_eq!(printed, Some("\n"), "the engine printed on stdout\n{run}");
}

/// The library calls, in the child that `silent_library_calls_print_nothing` starts.
#[test]
#[ignore = "run by silent_library_calls_print_nothing, in a child process"]
fn library_calls() {
    let Some(root) = std::env::var_os(CHILD).map(PathBuf::from) else { return };
    println!("{BEGIN}");
    let sh = xshell::Shell::new().unwrap();
    sh.change_dir(&root);
    let manifest = root.join("Cargo.toml");
    let ws = Workspace::load(&sh, Some(manifest.as_path())).unwrap();

    // publish-ordered: the plan, and its execution.
    let options = publish::Options::new().registry("local");
    let plan = publish::plan(&ws, &options).unwrap();
    let names: Vec<&str> = plan.crates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["single"]);
    let outcome = publish::execute(&sh, &ws, &plan, &Silent);
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(outcome.results.iter().map(|r| r.status).collect::<Vec<_>>(), [Status::Published]);

    // release: the plan (which runs the lock check), and its execution.
    let mut skip = Skip::default();
    (skip.fmt, skip.clippy, skip.tests) = (true, true, true);
    let options = release::Options::new("minor".parse().unwrap()).skip(skip).invocation("my-xtask");
    let plan = release::plan(&sh, &ws, &options, &Silent).unwrap();
    assert_eq!((plan.version.to_string(), plan.steps.len()), ("0.2.0".to_string(), 7));
    assert!(plan.checks.iter().all(|c| !c.is_failed()), "{:?}", plan.checks);
    release::execute(&sh, &ws, &plan, &options, &Silent).unwrap();
    assert_eq!(options.resume_command(&plan.version), "my-xtask release 0.2.0 --execute --no-verify");

    // dist: the plan, and on x86_64 Linux (whose target every toolchain there has) the build.
    let ws = Workspace::load(&sh, Some(manifest.as_path())).unwrap();
    let out = std::env::var_os(OUT).map(PathBuf::from).unwrap();
    let plan = build::plan_for(&sh, &ws, &build::Options::new("x86_64-unknown-linux-gnu").out(&out)).unwrap();
    assert_eq!(plan.version.to_string(), "0.2.0");
    assert!(!plan.assets.is_empty());
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        let outcome = build::execute(&sh, &plan, &Silent).unwrap();
        assert_eq!(outcome.assets.len(), plan.assets.len());
        for asset in &outcome.assets {
            let line = std::fs::read_to_string(&asset.checksum_file).unwrap();
            assert_eq!(line, format!("{}  {}\n", asset.sha256, asset.name));
        }
    }
    println!("{END}");
}

/// rollback through the library alone, in the child: the plan and its execution, without
/// GitHub.
#[test]
#[ignore = "run by silent_library_calls_print_nothing, in a child process"]
fn library_rollback() {
    let Some(root) = std::env::var_os(CHILD).map(PathBuf::from) else { return };
    println!("{BEGIN}");
    let sh = xshell::Shell::new().unwrap();
    sh.change_dir(&root);
    let ws = Workspace::load(&sh, Some(root.join("Cargo.toml").as_path())).unwrap();
    let options = rollback::Options::new("0.1.0".parse().unwrap()).registry("local").no_github(true);
    let plan = rollback::plan(&sh, &ws, &options, None).unwrap();
    let outcome = rollback::execute(&sh, &ws, &plan, &options, None, &Silent);
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let outcomes: Vec<&str> = outcome.steps.iter().map(|s| s.outcome).collect();
    assert!(outcomes.iter().all(|o| *o == "ok" || *o == "skipped"), "{outcomes:?}");
    println!("{END}");
}

/// A Silent caller sees nothing of cargo's output, so a failed build's error must say why:
/// it carries cargo's last lines (rustc's error) itself.
#[test]
fn a_silent_callers_error_says_why_cargo_failed() {
    // Built for x86_64 Linux, the target every toolchain there has.
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return;
    }
    let fixture = fixture("single-crate");
    let bin = fixture.root.join("src/bin/a.rs");
    let text = std::fs::read_to_string(&bin).unwrap();
    std::fs::write(&bin, format!("{text}\ncompile_error!(\"broken on purpose\");\n")).unwrap();
    let sh = xshell::Shell::new().unwrap();
    sh.change_dir(&fixture.root);
    sh.set_var("CARGO_TARGET_DIR", fixture.tmp.path().join("target"));
    let ws = Workspace::load(&sh, Some(fixture.root.join("Cargo.toml").as_path())).unwrap();
    let out = fixture.tmp.path().join("dist");
    let plan = build::plan_for(&sh, &ws, &build::Options::new("x86_64-unknown-linux-gnu").out(&out)).unwrap();
    let err = build::execute(&sh, &plan, &Silent).expect_err("the build should fail");
    let message = format!("{err:#}");
    assert!(message.contains("error: broken on purpose"), "{message}");
    assert!(message.contains("could not compile"), "{message}");
    assert!(!message.contains("printed above") && !message.contains("Compiling"), "{message}");
}

/// Loads the fixture's workspace in a child process (`load_child`; no registry needed, so
/// not through `child`) and returns the child's run, after checking that the load printed
/// nothing on stdout. What `load` returned is printed after the END marker.
fn load_in_child(fixture: &Fixture) -> Run {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "load_child", "--ignored", "--nocapture", "--test-threads", "1"]);
    fixture.env(&mut cmd);
    cmd.env(CHILD, &fixture.root);
    let run = support::run(cmd);
    assert_eq!(run.code, 0, "the child failed\n{run}");
    assert_printed_nothing(&run);
    run
}

/// What `load_child` printed after the END marker: the warnings or the error.
fn loaded(run: &Run) -> &str {
    run.stdout.split_once(END).map_or("", |(_, after)| after)
}

/// The child of `load_in_child`.
#[test]
#[ignore = "run by load_in_child, in a child process"]
fn load_child() {
    let Some(root) = std::env::var_os(CHILD).map(PathBuf::from) else { return };
    let sh = xshell::Shell::new().unwrap();
    println!("{BEGIN}");
    let ws = Workspace::load(&sh, Some(root.join("Cargo.toml").as_path()));
    println!("{END}");
    match ws {
        Ok(ws) => ws.cargo_warnings.iter().for_each(|w| println!("cargo warned: {w}")),
        // The message alone, without its causes: it must say what went wrong by itself.
        Err(err) => println!("load failed: {err}"),
    }
}

/// cargo metadata warns about a profile in a member's manifest (it ignores it). It does
/// not report unused keys, which only a build does, so that is not the warning here.
const PROFILE_WARNING: &str = "profiles for the non root package will be ignored";

/// cargo's warnings are facts of the workspace for a library caller, printed by no one;
/// the CLI shows them through its reporter once per command, though `release` reads the
/// workspace twice (also HEAD's copy, where cargo warns again).
#[test]
fn cargos_warnings_are_facts_for_the_library_and_shown_once_by_the_cli() {
    let fixture = fixture("lockstep");
    let member = "crates/wasm/Cargo.toml";
    fixture.write(member, &(fixture.read(member) + "\n[profile.release]\nlto = true\n"));
    fixture.git(&["commit", "--quiet", "-am", "a profile in a member"]);
    fixture.git(&["push", "--quiet"]);

    let run = load_in_child(&fixture);
    assert_eq!(run.stderr, "", "cargo's warning reached stderr\n{run}");
    let warnings: Vec<&str> = loaded(&run).lines().filter(|l| l.starts_with("cargo warned: ")).collect();
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(warnings[0].starts_with(&format!("cargo warned: {PROFILE_WARNING}")), "{run}");
    // The lines that go with the warning: which manifest it is about.
    assert!(loaded(&run).contains(&format!("package:   {}", fixture.path(member).display())), "{run}");

    let run = fixture.run(&["release", "minor", "--no-verify"]).ok();
    // In cargo's style, and once: not again for HEAD's copy, as cargo itself printed it.
    assert_eq!(run.stderr.matches(&format!("warning: {PROFILE_WARNING}")).count(), 1, "{run}");
}

/// A manifest cargo cannot read: a silent caller sees nothing printed, so the error itself
/// says what cargo said, about which manifest, and what to do.
#[test]
fn a_broken_manifest_fails_the_load_with_cargos_words() {
    let fixture = fixture("single-crate");
    fixture.write("Cargo.toml", &(fixture.read("Cargo.toml") + "\nbroken = [\n"));
    let run = load_in_child(&fixture);
    assert_eq!(run.stderr, "", "cargo's error reached stderr\n{run}");
    let message = loaded(&run);
    let manifest = fixture.path("Cargo.toml");
    assert!(message.contains(&format!("load failed: cannot read the workspace of {}", manifest.display())), "{run}");
    assert!(message.contains("error: unclosed array, expected `]`"), "{run}");
    assert!(message.contains("Fix what cargo reports and re-run.") && !message.contains("printed above"), "{run}");
}

/// A version or level that does not parse is an error type of its own, so a caller's `?`
/// takes it into `anyhow` (or `Box<dyn Error>`) without a `map_err`.
#[test]
fn a_target_that_does_not_parse_is_an_error_for_question_mark() {
    fn target(text: &str) -> anyhow::Result<xtask_release::version::Target> {
        Ok(text.parse()?)
    }
    fn boxed(text: &str) -> Result<xtask_release::version::Target, Box<dyn std::error::Error + Send + Sync>> {
        Ok(text.parse()?)
    }
    assert_eq!(target("minor").unwrap().to_string(), "minor");
    assert_eq!(boxed("v1.2.3").unwrap().to_string(), "1.2.3");
    let err = target("banana").unwrap_err().to_string();
    assert!(err.starts_with("`banana` is not a semver version (") && err.ends_with("rc, beta or alpha"), "{err}");
}
