//! What was approved is what runs, for every command the approval gate covers: a dry run
//! prints its digest, a commit then changes a source file, and `--execute --approve <that
//! digest>` is refused with exit 1, naming what differs, with no file, tag, push, upload
//! or GitHub release changed. And a wrong digest is refused before release's slow checks.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::github::GitHubMock;
use support::registry::Registry;
use support::release_flow::{CANARY, CRATES, Released};
use support::{Run, assert_same_files};
use xtask_release::publish;
use xtask_release::report::Silent;
use xtask_release::workspace::Workspace;

/// Set in the child process of the library test: the fixture's root.
const CHILD: &str = "XTASK_RELEASE_APPROVAL_CHILD";

/// One gated command: how to bring the release to where it has something to do, its dry
/// run's arguments, what `--execute` needs besides, and what else the refusal must name.
struct Case {
    command: &'static str,
    prepare: fn(&Released),
    args: fn(&Released) -> Vec<String>,
    execute: &'static [&'static str],
    differs: &'static [&'static str],
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn nothing(_: &Released) {}

/// Where the `checksum` and `github-release` cases keep their assets.
fn assets(released: &Released) -> PathBuf {
    released.fixture.tmp.path().join("assets")
}

fn make_assets(released: &Released) {
    let dir = assets(released);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("widget-0.1.0-x86_64-unknown-linux-gnu.tar.gz"), "the archive\n").unwrap();
}

fn tag_and_checksum(released: &Released) {
    released.tag();
    let dir = assets(released);
    released.run(&["checksum", dir.to_str().unwrap(), "--execute"]).ok();
}

fn publish_and_release(released: &Released) {
    released.publish(&[]);
    let dir = assets(released);
    released.run(&["github-release", "--assets", dir.to_str().unwrap(), "--execute"]).ok();
}

fn cases() -> Vec<Case> {
    vec![
        Case { command: "bump", prepare: nothing, args: |_| strings(&["minor"]), execute: &[], differs: &[] },
        Case {
            command: "changelog",
            prepare: nothing,
            args: |_| strings(&["--version", "0.2.0"]),
            execute: &[],
            differs: &[],
        },
        Case {
            command: "dist",
            prepare: nothing,
            args: |r| {
                let out = r.fixture.tmp.path().join("dist-out");
                strings(&["--target", "x86_64-unknown-linux-gnu", "--out", out.to_str().unwrap()])
            },
            execute: &[],
            differs: &[],
        },
        Case {
            command: "publish-ordered",
            prepare: nothing,
            args: |_| strings(&["--registry", "local"]),
            execute: &[],
            // The commit the packages record, and the files of acme-core (crates[0]).
            differs: &["commit", "crates[0].content"],
        },
        Case { command: "tag", prepare: nothing, args: |_| strings(&["--push"]), execute: &[], differs: &["commit"] },
        Case {
            command: "release",
            prepare: nothing,
            args: |_| strings(&["minor", "--no-verify"]),
            execute: &["--yes"],
            differs: &[],
        },
        Case {
            command: "checksum",
            prepare: make_assets,
            args: |r| strings(&[assets(r).to_str().unwrap()]),
            execute: &[],
            differs: &[],
        },
        Case {
            command: "github-release",
            prepare: tag_and_checksum,
            args: |r| strings(&["--assets", assets(r).to_str().unwrap()]),
            execute: &[],
            differs: &[],
        },
        Case {
            command: "rollback",
            prepare: publish_and_release,
            args: |_| strings(&["0.1.0", "--registry", "local", "--reason", "approved, then changed"]),
            execute: &["--yes"],
            differs: &[],
        },
    ]
}

/// Puts `command` alone in `require-approval` (so that its dry run keeps the plan and a
/// refusal can name what differs), and commits and pushes that.
fn gate_only(released: &Released, command: &str) {
    let fixture = &released.fixture;
    let manifest = fixture.read("Cargo.toml");
    let kept: Vec<&str> = manifest.lines().filter(|l| !l.starts_with("require-approval")).collect();
    let gated = kept.join("\n").replace(
        "[workspace.metadata.xtask-release]",
        &format!("[workspace.metadata.xtask-release]\nrequire-approval = [\"{command}\"]"),
    );
    fixture.write("Cargo.toml", &format!("{gated}\n"));
    commit_and_push(released, &format!("gate {command}"));
}

fn commit_and_push(released: &Released, message: &str) {
    released.fixture.git(&["commit", "--quiet", "-am", message]);
    released.fixture.git(&["push", "--quiet", "origin", "main"]);
}

/// Everything a wrongly approved run could change: the work tree, git's refs here and on
/// origin, the registry's versions, the GitHub releases and the mock's writes.
fn state(released: &Released) -> (std::collections::BTreeMap<PathBuf, Vec<u8>>, Vec<String>) {
    let fixture = &released.fixture;
    let mut facts = vec![fixture.head(), fixture.tags(), fixture.origin_refs()];
    facts.extend(CRATES.iter().map(|name| format!("{name}: {:?}", released.registry.versions(name))));
    facts.extend(CRATES.iter().map(|name| format!("{name} yanked: {:?}", released.registry.yanked(name, "0.1.0"))));
    let writes = released.mock.requests().into_iter().filter(|r| r.method != "GET").count();
    facts.push(format!("GitHub writes: {writes}"));
    facts.push(format!("dist: {}", fixture.tmp.path().join("dist-out").exists()));
    (fixture.snapshot(), facts)
}

#[test]
fn a_stale_approval_is_refused_by_every_gated_command() {
    let released = Released::new();
    for case in cases() {
        let command = case.command;
        gate_only(&released, command);
        (case.prepare)(&released);
        let args = (case.args)(&released);
        let dry: Vec<&str> = std::iter::once(command).chain(args.iter().map(String::as_str)).collect();
        let run = released.run(&dry).ok();
        let digest = digest_of(&run).unwrap_or_else(|| panic!("`{command}`: no plan line\n{run}"));

        // Approved, then changed: a commit that changes a source file.
        let lib = "crates/core/src/lib.rs";
        let source = released.fixture.read(lib);
        released.fixture.write(lib, &format!("{source}// changed after `{command}` was approved\n"));
        commit_and_push(&released, &format!("change core after the dry run of {command}"));

        let before = state(&released);
        let mut execute = dry.clone();
        execute.extend(["--execute", "--approve", &digest]);
        execute.extend(case.execute);
        let run = released.run(&execute).fails(1);
        assert!(run.stderr.contains("the plan changed since it was approved"), "`{command}`\n{run}");
        let named = differences(&run);
        for part in ["work_tree.commit"].iter().chain(case.differs) {
            assert!(
                named.iter().any(|n| n.split(':').next() == Some(part)),
                "`{command}` does not name `{part}`\n{run}"
            );
        }
        let after = state(&released);
        assert_same_files(&before.0, &after.0);
        assert_eq!(before.1, after.1, "`{command}` changed something");
    }
}

/// What a refusal names as differing: the paths into the plan, each maybe with `: old -> new`.
fn differences(run: &Run) -> Vec<String> {
    let Some((_, named)) = run.stderr.split_once("what differs: ") else {
        panic!("the refusal does not name what differs\n{run}")
    };
    let named = named.split("; review").next().unwrap_or(named);
    named.split(", ").map(str::to_string).collect()
}

fn digest_of(run: &Run) -> Option<String> {
    run.stderr.lines().find_map(|l| l.strip_prefix("plan: ")).map(str::to_string)
}

/// A wrong digest is refused as soon as the plan exists: the test command, which would
/// leave a marker file, never runs (nor do fmt and clippy, which would take their time).
#[test]
fn a_wrong_digest_is_refused_before_release_runs_its_checks() {
    let fixture = support::fixture("single-crate");
    let marker = fixture.tmp.path().join("tests-ran");
    let config = format!(
        "\n[package.metadata.xtask-release]\ntest-command = [\"sh\", \"-c\", \"touch '{}'\"]\n",
        marker.display()
    );
    fixture.configure_and_push(&config, "a test command that leaves a marker");
    let (files, head) = (fixture.snapshot(), fixture.head());

    let wrong = format!("sha256:{}", "0".repeat(64));
    let run = fixture
        .run(&["release", "minor", "--skip-fmt", "--skip-clippy", "--execute", "--yes", "--approve", &wrong])
        .fails(1);
    assert!(run.stderr.contains("the plan changed since it was approved"), "{run}");
    assert!(!marker.exists(), "the tests ran before the approval was compared\n{run}");
    assert!(!run.stderr.contains("Running"), "a check ran before the approval was compared\n{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));

    // The test command does run for a dry run asked to (`--checks`), whose digest is of the
    // plan with the tests still pending, as --execute makes it, and for the approved plan.
    let dry = fixture.run(&["release", "minor", "--skip-fmt", "--skip-clippy", "--checks"]).ok();
    assert!(marker.exists(), "{dry}");
    std::fs::remove_file(&marker).unwrap();
    let digest = digest_of(&dry).expect("a plan: line");
    let args = ["release", "minor", "--skip-fmt", "--skip-clippy", "--execute", "--yes", "--approve", &digest];
    let run = fixture.run(&args).ok();
    assert!(marker.exists(), "{run}");
    assert!(fixture.tags().contains("v0.2.0"), "{run}");
}

/// The library's `publish::execute` checks, right before the first upload, that the commit
/// and each crate's files are those its plan was made from: a commit that edits the crate
/// after the plan stops it naming the crate, and nothing goes up. In a child process (this
/// test binary again), which gets cargo's registry environment.
#[test]
fn files_changed_after_the_plan_are_refused_right_before_the_first_upload() {
    let fixture = support::fixture("single-crate");
    let registry = Registry::start(fixture.tmp.path());
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "publish_after_an_edit", "--ignored", "--nocapture", "--test-threads", "1"]);
    fixture.env(&mut cmd);
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
        .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url())
        .env("CARGO_REGISTRIES_LOCAL_TOKEN", "approval-test-token")
        .env(CHILD, &fixture.root);
    let run = support::run(cmd);
    assert_eq!(run.code, 0, "{run}");
    assert!(registry.versions("single").is_empty(), "{run}");
}

#[test]
#[ignore = "run by files_changed_after_the_plan_are_refused_right_before_the_first_upload, in a child process"]
fn publish_after_an_edit() {
    let Some(root) = std::env::var_os(CHILD).map(PathBuf::from) else { return };
    let sh = xshell::Shell::new().unwrap();
    sh.change_dir(&root);
    let ws = Workspace::load(&sh, Some(root.join("Cargo.toml").as_path())).unwrap();
    let plan = publish::plan(&ws, &publish::Options::new().registry("local")).unwrap();
    let lib = root.join("src/bin/a.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{source}// edited after the plan was made\n")).unwrap();
    let committed = Command::new("git").args(["commit", "--quiet", "-am", "edit"]).current_dir(&root).status();
    assert!(committed.unwrap().success());
    let outcome = publish::execute(&sh, &ws, &plan, &Silent);
    let err = format!("{:#}", outcome.error.expect("the run went on with other files than planned"));
    assert!(err.contains("the files of `single` changed since the plan was made"), "{err}");
    assert!(err.contains("the commit is "), "{err}");
    assert!(err.contains("nothing was uploaded"), "{err}");
    assert!(outcome.results.iter().all(|r| r.status == publish::Status::NotPublished), "{err}");
}

/// publish-ordered's plan holds every setting the run follows, resolved from the flags and
/// the defaults, and what each crate is made of, edits not committed included; approving
/// one plan does not run it with other settings.
#[test]
fn publish_plans_hold_their_settings_and_what_each_crate_is_made_of() {
    let released = Released::new();
    gate_only(&released, "publish-ordered");
    let plan = |extra: &[&str]| -> serde_json::Value {
        let args = [&["--format", "json", "publish-ordered", "--registry", "local"], extra].concat();
        serde_json::from_str(&released.run(&args).ok().stdout).unwrap()
    };
    let default = plan(&[]);
    let settings = |jobs, rate_limit, index_wait, require_verified| {
        serde_json::json!({
            "jobs": jobs, "index_timeout": 300, "retries": 5, "rate_limit": rate_limit,
            "index_wait": index_wait, "require_verified": require_verified,
        })
    };
    assert_eq!(default["settings"], settings(8, "none", "end", false));
    let given = plan(&["--jobs", "2", "--rate-limit", "10/30s", "--index-wait", "each", "--require-verified"]);
    assert_eq!(given["settings"], settings(2, "10/30s", "each", true));
    assert_eq!(default["work_tree"]["uncommitted"], serde_json::Value::Null);

    // An edit not committed changes the content of its crate (acme-core, the first), and
    // the tree; the other crates stay as they were.
    let lib = "crates/core/src/lib.rs";
    let source = released.fixture.read(lib);
    released.fixture.write(lib, &format!("{source}// not committed\n"));
    let edited = plan(&[]);
    assert_ne!(edited["crates"][0]["content"], default["crates"][0]["content"]);
    let rest = |plan: &serde_json::Value| plan["crates"].as_array().unwrap()[1..].to_vec();
    assert_eq!(rest(&edited), rest(&default));
    assert!(edited["work_tree"]["uncommitted"].as_str().is_some_and(|d| d.starts_with("sha256:")), "{edited}");
    released.fixture.write(lib, &source);
    assert_eq!(plan(&[])["plan_digest"], default["plan_digest"]);

    let digest = default["plan_digest"].as_str().unwrap();
    let args = ["publish-ordered", "--registry", "local", "--jobs", "2", "--execute", "--approve", digest];
    let run = released.run(&args).fails(1);
    assert!(differences(&run).iter().any(|d| d == "settings.jobs: 8 -> 2"), "{run}");
    for name in CRATES {
        assert!(released.registry.versions(name).is_empty(), "{name} was uploaded\n{run}");
    }
}

/// github-release's plan holds the API the release is created through: a run pointed at
/// another one (`GITHUB_API_URL`) is refused naming it, and no release is created.
#[test]
fn a_github_release_plan_holds_the_api_it_goes_to() {
    let released = Released::new();
    gate_only(&released, "github-release");
    make_assets(&released);
    tag_and_checksum(&released);
    let dir = assets(&released);
    let dry = released.run(&["github-release", "--assets", dir.to_str().unwrap()]).ok();
    let digest = digest_of(&dry).expect("a plan: line");
    let mut cmd =
        released.command(&["github-release", "--assets", dir.to_str().unwrap(), "--execute", "--approve", &digest]);
    cmd.env("GITHUB_API_URL", "http://127.0.0.1:9/elsewhere");
    let run = support::run(cmd).fails(1);
    assert!(differences(&run).iter().any(|d| d.starts_with("api: ")), "{run}");
    assert!(released.mock.state().releases.is_empty(), "{run}");

    // rollback's plan holds the API it marks the release through, likewise.
    released.run(&["github-release", "--assets", dir.to_str().unwrap(), "--execute", "--approve", &digest]).ok();
    gate_only(&released, "rollback");
    let args = ["rollback", "0.1.0", "--registry", "local", "--reason", "approved elsewhere"];
    let dry = released.run(&args).ok();
    let digest = digest_of(&dry).expect("a plan: line");
    // Another server that has the same release answers, so the plan is made the same way.
    let elsewhere = GitHubMock::start(CANARY);
    elsewhere.add_release("v0.1.0", &[]);
    let written = released.mock.requests().iter().filter(|r| r.method != "GET").count();
    let mut cmd = released.command(&[&args[..], &["--execute", "--yes", "--approve", &digest]].concat());
    elsewhere.env(&mut cmd);
    let run = support::run(cmd).fails(1);
    assert!(differences(&run).iter().any(|d| d.starts_with("github_api: ")), "{run}");
    let writes = |mock: &GitHubMock| mock.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!((writes(&released.mock), writes(&elsewhere)), (written, 0), "{run}");
    for name in CRATES {
        assert_eq!(released.registry.yanked(name, "0.1.0"), None, "{run}");
    }
}
