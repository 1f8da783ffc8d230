//! `publish-ordered` against a real registry (ferro-cargo-registry-server on loopback),
//! directly and through a proxy that injects the faults real registries have.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::proxy::{Fault, Faults, Proxy, Upload};
use support::registry::Registry;
use support::{Fixture, Run};

/// The token cargo is given; the server ignores it, and it must never show up anywhere.
const CANARY: &str = "canary-token-7d1e5b0a";

/// The chain fixture's publishable crates, each with what it depends on.
const CHAIN: [(&str, &[&str]); 5] = [
    ("chain-core", &[]),
    ("chain-storage", &["chain-core"]),
    ("chain-security", &["chain-core"]),
    ("chain-sdk", &["chain-storage", "chain-security"]),
    ("chain-cli", &["chain-sdk"]),
];

/// `publish-ordered --registry local ARGS` with cargo pointed at `index_url`, a private
/// cargo home (the fixtures have no external dependencies) and the canary token.
fn publish(fixture: &Fixture, index_url: &str, args: &[&str]) -> Command {
    let all: Vec<&str> = ["publish-ordered", "--registry", "local"].iter().chain(args).copied().collect();
    let mut cmd = fixture.command(&all);
    cargo_env(fixture, index_url, &mut cmd);
    cmd.env("CARGO_REGISTRIES_LOCAL_TOKEN", CANARY);
    cmd
}

fn cargo_env(fixture: &Fixture, index_url: &str, cmd: &mut Command) {
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home")).env("CARGO_REGISTRIES_LOCAL_INDEX", index_url);
}

fn run(cmd: Command) -> Run {
    support::run(cmd)
}

#[track_caller]
fn assert_published_once(registry: &Registry, names: &[&str], version: &str) {
    for name in names {
        assert_eq!(registry.versions(name), [version], "index file of {name}");
    }
}

#[track_caller]
fn assert_nothing_published(registry: &Registry) {
    for (name, _) in CHAIN {
        assert!(registry.versions(name).is_empty(), "{name} was published");
    }
}

/// Each crate's upload that reached the registry came after every upload it depends on
/// was answered.
#[track_caller]
fn assert_dependency_order(uploads: &[Upload]) {
    let first_forwarded = |name: &str| {
        uploads
            .iter()
            .find(|u| u.name == name && u.forwarded)
            .unwrap_or_else(|| panic!("{name} never reached the registry"))
    };
    for (name, deps) in CHAIN {
        let upload = first_forwarded(name);
        for dep in deps {
            assert!(first_forwarded(dep).answered <= upload.received, "{name} was uploaded before {dep}: {uploads:#?}");
        }
    }
}

#[track_caller]
fn assert_no_canary(fixture: &Fixture, runs: &[&Run]) {
    for run in runs {
        assert!(!run.stdout.contains(CANARY) && !run.stderr.contains(CANARY), "the token was printed\n{run}");
    }
    let mut stack = vec![fixture.tmp.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let found = bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes());
                assert!(!found, "the token was written to {}", path.display());
            }
        }
    }
}

#[test]
fn dry_run_prints_the_plan_and_uploads_nothing() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    let before = fixture.snapshot();

    let run = run(publish(&fixture, &registry.index_url(), &[])).ok();
    let levels = ["Level 0:\n  chain-core", "Level 1", "chain-security", "chain-storage", "Level 2", "Level 3"];
    let mut at = 0;
    for text in levels {
        at += run.stdout[at..].find(text).unwrap_or_else(|| panic!("`{text}` missing or out of order\n{run}"));
    }
    assert!(!run.stdout.contains("chain-python"), "publish = false member in the plan\n{run}");
    assert!(run.stdout.contains("5 new crates, 0 new versions"), "{run}");
    assert!(run.stderr.contains("dry run"), "{run}");

    let run = support::run(publish(&fixture, &registry.index_url(), &["--format", "json", "--exclude", "chain-cli"]));
    let plan: serde_json::Value = serde_json::from_str(&run.ok().stdout).unwrap();
    let levels: Vec<Vec<String>> = serde_json::from_value(plan["levels"].clone()).unwrap();
    assert_eq!(levels, [vec!["chain-core"], vec!["chain-security", "chain-storage"], vec!["chain-sdk"]]);
    assert_eq!(plan["crates"][3]["after"], serde_json::json!(["chain-security", "chain-storage"]));
    assert_eq!(plan["crates"][0]["state"]["kind"], "new-crate");
    assert_eq!(plan["estimate"]["new-crates"], 4);

    assert_nothing_published(&registry);
    support::assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn publishes_in_order_and_a_consumer_resolves_the_newest_version() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    let proxy = Proxy::start(registry.port, Faults::default());

    let run = run(publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "2"])).ok();
    let names: Vec<&str> = CHAIN.iter().map(|(n, _)| *n).collect();
    assert_published_once(&registry, &names, "0.1.0");
    assert!(registry.versions("chain-python").is_empty(), "a publish = false crate was published");
    assert_dependency_order(&proxy.uploads());
    for name in &names {
        assert!(run.stderr.contains(&format!("Published {name} v0.1.0 in ")), "{run}");
        assert!(run.stdout.contains(&format!("{name} v0.1.0")), "{run}");
    }
    assert_no_canary(&fixture, &[&run]);

    // A fresh crate that depends on the newest version resolves it from the registry.
    let consumer = fixture.tmp.path().join("consumer");
    std::fs::create_dir_all(consumer.join("src")).unwrap();
    std::fs::write(
        consumer.join("Cargo.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         chain-sdk = { version = \"0.1\", registry = \"local\" }\n",
    )
    .unwrap();
    std::fs::write(consumer.join("src/main.rs"), "fn main() { println!(\"{}\", chain_sdk::name()); }\n").unwrap();
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["run", "--quiet"]).current_dir(&consumer);
    fixture.env(&mut cargo);
    cargo_env(&fixture, &registry.index_url(), &mut cargo);
    let built = support::run(cargo).ok();
    assert_eq!(built.stdout.trim(), "chain-sdk", "{built}");
    let lock = std::fs::read_to_string(consumer.join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"chain-core\"\nversion = \"0.1.0\"\nsource = \"sparse+http://127.0.0.1"), "{lock}");
}

#[test]
fn rerun_skips_identical_versions_and_different_content_stops_before_any_upload() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    let url = registry.index_url();

    run(publish(&fixture, &url, &["--execute", "-p", "chain-core"])).ok();
    assert_published_once(&registry, &["chain-core"], "0.1.0");

    // Same commit, same package: the published crate is skipped, the rest go.
    let rerun = run(publish(&fixture, &url, &["--execute", "--exclude", "chain-cli"])).ok();
    assert!(rerun.stderr.contains("Skipped chain-core v0.1.0: already on `local`"), "{rerun}");
    assert!(rerun.stderr.contains("Published chain-sdk v0.1.0"), "{rerun}");
    assert_published_once(&registry, &["chain-core", "chain-storage", "chain-security", "chain-sdk"], "0.1.0");

    // chain-core changes but keeps its version by mistake.
    fixture.write("crates/core/src/lib.rs", "pub fn name() -> &'static str { \"changed\" }\n");
    fixture.git(&["commit", "--quiet", "-am", "change chain-core"]);
    let failed = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(failed.stderr.contains("`chain-core` v0.1.0 is already on `local` with different content"), "{failed}");
    assert!(
        failed.stderr.contains("resume with: xtask-release publish-ordered --registry local --execute"),
        "{failed}"
    );
    assert!(registry.versions("chain-cli").is_empty(), "chain-cli was uploaded after all\n{failed}");
    assert_published_once(&registry, &["chain-core"], "0.1.0");
}

#[test]
fn killed_mid_publish_then_rerun_publishes_every_version_once() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    // Slow uploads leave time to kill the run between the first crate and the last.
    let proxy = Proxy::start(registry.port, Faults { upload_delay: Duration::from_millis(700), ..Faults::default() });

    let mut child = publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while registry.versions("chain-core").is_empty() {
        assert!(Instant::now() < deadline, "chain-core never showed up");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before chain-core showed up");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(registry.versions("chain-cli").is_empty(), "the run finished before it was killed");

    let rerun = run(publish(&fixture, &proxy.index_url(), &["--execute"])).ok();
    assert!(rerun.stderr.contains("Skipped chain-core v0.1.0"), "{rerun}");
    assert_published_once(&registry, &CHAIN.map(|(n, _)| n), "0.1.0");
}

#[test]
fn a_dev_dependency_cycle_publishes_and_an_unbreakable_one_names_the_edge() {
    let fixture = support::fixture("publish-devcycle");
    let registry = Registry::start(fixture.tmp.path());
    let proxy = Proxy::start(registry.port, Faults::default());

    let run_ok = run(publish(&fixture, &proxy.index_url(), &["--execute"])).ok();
    assert_published_once(&registry, &["cyc-core", "cyc-testkit"], "0.3.0");
    let uploads = proxy.uploads();
    let order: Vec<&str> = uploads.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(order, ["cyc-core", "cyc-testkit"], "{run_ok}");

    // With a version on the dev-dependency, cargo keeps it and the cycle is real.
    let manifest = "crates/core/Cargo.toml";
    fixture.write(
        manifest,
        &fixture
            .read(manifest)
            .replace("path = \"../testkit\"", "path = \"../testkit\", version = \"0.3.0\", registry = \"local\""),
    );
    let failed = run(publish(&fixture, &registry.index_url(), &[])).fails(1);
    assert!(failed.stderr.contains("dependency cycle: cyc-core -> cyc-testkit -> cyc-core"), "{failed}");
    assert!(
        failed.stderr.contains("remove `version` from the dev-dependency `cyc-testkit` in crates/core/Cargo.toml"),
        "{failed}"
    );
}

#[test]
fn faults_are_waited_out_and_every_crate_lands_once_in_order() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    let faults = Faults {
        uploads: vec![
            Some(Fault::TooManyRequests { seconds: 2 }),
            None,
            Some(Fault::ServerError),
            Some(Fault::ForwardThenDrop),
            Some(Fault::Drop),
        ],
        index: vec![None, Some(Fault::ServerError), None, Some(Fault::Drop)],
        stale_index: Duration::from_secs(3),
        upload_delay: Duration::ZERO,
    };
    let proxy = Proxy::start(registry.port, faults);

    let run = run(publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"])).ok();
    assert_eq!(proxy.unused_faults(), 0, "not every fault was injected\n{run}");
    assert!(run.stderr.contains("rate limited by `local`"), "{run}");
    assert!(run.stderr.contains("Retrying"), "{run}");
    assert_published_once(&registry, &CHAIN.map(|(n, _)| n), "0.1.0");
    assert_dependency_order(&proxy.uploads());
    assert_no_canary(&fixture, &[&run]);
}

#[test]
fn a_refused_upload_stops_with_cargos_error_and_the_command_to_resume() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    let proxy = Proxy::start(registry.port, Faults { uploads: vec![Some(Fault::Forbidden)], ..Faults::default() });

    let failed = run(publish(&fixture, &proxy.index_url(), &["--execute"])).fails(1);
    assert!(failed.stderr.contains("cannot publish chain-core v0.1.0: cargo publish failed"), "{failed}");
    assert!(failed.stderr.contains("(status 403 Forbidden): this crate exists but you don't seem"), "{failed}");
    assert!(
        failed.stderr.contains("resume with: xtask-release publish-ordered --registry local --execute"),
        "{failed}"
    );
    assert!(failed.stdout.contains("chain-core v0.1.0      FAILED"), "{failed}");
    assert_nothing_published(&registry);

    let resumed = run(publish(&fixture, &proxy.index_url(), &["--execute"])).ok();
    assert_published_once(&registry, &CHAIN.map(|(n, _)| n), "0.1.0");
    assert_no_canary(&fixture, &[&failed, &resumed]);
}

#[test]
fn github_actions_groups_step_summary_pacing_and_json_result() {
    let fixture = support::fixture("publish-devcycle");
    let registry = Registry::start(fixture.tmp.path());
    let summary = fixture.tmp.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();

    let mut cmd = publish(&fixture, &registry.index_url(), &["--execute", "--rate-limit", "1/1s"]);
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", &summary);
    let run = run(cmd).ok();
    for text in ["::group::cargo publish -p cyc-core", "Uploaded cyc-core v0.3.0", "::endgroup::"] {
        assert!(run.stdout.contains(text), "`{text}` missing\n{run}");
    }
    assert!(run.stderr.contains("cyc-testkit v0.3.0: pacing uploads at 1/1s"), "{run}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("earlier step\n### publish-ordered to `local`\n"), "{summary}");
    assert!(summary.contains("| cyc-core | 0.3.0 | published |"), "{summary}");
    assert!(summary.contains("| cyc-testkit | 0.3.0 | published |"), "{summary}");

    let rerun = support::run(publish(&fixture, &registry.index_url(), &["--execute", "--format", "json"])).ok();
    let result: serde_json::Value = serde_json::from_str(&rerun.stdout).unwrap();
    assert_eq!(result["complete"], true);
    let statuses: Vec<(&str, &str)> = result["crates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("cyc-core", "skipped"), ("cyc-testkit", "skipped")]);
}

#[test]
fn bad_input_fails_naming_the_crate_and_uploads_nothing() {
    let fixture = support::fixture("publish-chain");
    let registry = Registry::start(fixture.tmp.path());
    let url = registry.index_url();
    let before = fixture.snapshot();

    let unknown = run(publish(&fixture, &url, &["--execute", "-p", "chain-nope"])).fails(1);
    assert!(unknown.stderr.contains("package `chain-nope` is not a member of the workspace"), "{unknown}");
    let private = run(publish(&fixture, &url, &["--execute", "-p", "chain-python"])).fails(1);
    assert!(private.stderr.contains("`chain-python` may not be published to `local`"), "{private}");

    let mut no_token = publish(&fixture, &url, &["--execute"]);
    no_token.env_remove("CARGO_REGISTRIES_LOCAL_TOKEN");
    let no_token = run(no_token).fails(1);
    assert!(no_token.stderr.contains("no token for `local`: set CARGO_REGISTRIES_LOCAL_TOKEN"), "{no_token}");
    support::assert_same_files(&before, &fixture.snapshot());

    let cli = "crates/cli/Cargo.toml";
    let manifest = fixture.read(cli);
    fixture.write(
        cli,
        &format!("{manifest}chain-python = {{ path = \"../python\", version = \"0.1.0\", registry = \"local\" }}\n"),
    );
    let depends_on_private = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(
        depends_on_private.stderr.contains("`chain-cli` depends on `chain-python`, which has `publish = false`"),
        "{depends_on_private}"
    );
    fixture.write(cli, &manifest);

    let storage = "crates/storage/Cargo.toml";
    fixture.write(
        storage,
        &fixture.read(storage).replace("chain-core.workspace = true", "chain-core = { path = \"../core\" }"),
    );
    let unversioned = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(
        unversioned.stderr.contains("`chain-storage` depends on `chain-core` without a version requirement"),
        "{unversioned}"
    );
    assert_nothing_published(&registry);
}
