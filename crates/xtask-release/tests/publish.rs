//! `publish-ordered` against a real registry (ferro-cargo-registry-server on loopback),
//! directly and through a proxy that injects the faults real registries have.

mod support;

use std::process::Command;

use sha2::Digest as _;
use std::time::{Duration, Instant};

use support::proxy::{Fault, Faults, Proxy, Upload};
use support::registry::Registry;
use support::{Fixture, Run};

/// The token cargo is given; the server ignores it, and it must never show up anywhere.
const CANARY: &str = "canary-token-7d1e5b0a";

/// The lockstep fixture's publishable crates, each with what it depends on; its
/// `acme-python` and `acme-wasm` have `publish = false`.
const LOCKSTEP: [(&str, &[&str]); 5] = [
    ("acme-core", &[]),
    ("acme-security", &[]),
    ("acme-storage", &["acme-core"]),
    ("acme-sdk", &["acme-storage", "acme-security"]),
    ("acme-proxy", &["acme-sdk"]),
];

/// A shared fixture with its internal dependencies published to the `local` registry.
fn fixture(name: &str) -> Fixture {
    let fixture = support::fixture(name);
    support::registry::publish_fixture_to_local(&fixture);
    fixture
}

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
    for (name, _) in LOCKSTEP {
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
    for (name, deps) in LOCKSTEP {
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
    support::assert_no_file_holds(fixture.tmp.path(), CANARY);
}

#[test]
fn dry_run_prints_the_plan_and_uploads_nothing() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    let before = fixture.snapshot();

    let run = run(publish(&fixture, &registry.index_url(), &[])).ok();
    let levels =
        ["Level 0:\n  acme-core", "acme-security", "Level 1", "acme-storage", "Level 2", "acme-sdk", "Level 3"];
    let mut at = 0;
    for text in levels {
        at += run.stdout[at..].find(text).unwrap_or_else(|| panic!("`{text}` missing or out of order\n{run}"));
    }
    for private in ["acme-python", "acme-wasm"] {
        assert!(!run.stdout.contains(private), "publish = false member in the plan\n{run}");
    }
    assert!(run.stdout.contains("5 new crates, 0 new versions"), "{run}");
    assert!(run.stdout.contains("Upload: through the registry API"), "{run}");
    assert!(run.stderr.contains("dry run"), "{run}");

    let run = support::run(publish(&fixture, &registry.index_url(), &["--format", "json", "--exclude", "acme-proxy"]));
    let plan: serde_json::Value = serde_json::from_str(&run.ok().stdout).unwrap();
    let levels: Vec<Vec<String>> = serde_json::from_value(plan["levels"].clone()).unwrap();
    assert_eq!(levels, [vec!["acme-core", "acme-security"], vec!["acme-storage"], vec!["acme-sdk"]]);
    assert_eq!(plan["crates"][3]["after"], serde_json::json!(["acme-security", "acme-storage"]));
    assert_eq!(plan["crates"][0]["state"]["kind"], "new_crate");
    assert_eq!(plan["estimate"]["new_crates"], 4);
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["upload"]["via"], "registry_api", "{plan:#}");
    assert_eq!(plan["upload"]["reason"], "a token for `local` from where cargo's cargo:token provider looks");

    // Leaving out a crate that others need, at a version the registry lacks, is refused
    // up front, naming each crate that needs it.
    let run = support::run(publish(&fixture, &registry.index_url(), &["--exclude", "acme-core"])).fails(1);
    assert!(run.stderr.contains("`acme-storage` needs `acme-core`"), "{run}");
    assert!(run.stderr.contains("drop it from --exclude"), "{run}");

    // The same plan read through --index-url, for crates.io by default.
    let mut cmd = fixture.command(&["publish-ordered", "--index-url", &registry.index_url()]);
    cargo_env(&fixture, &registry.index_url(), &mut cmd);
    let run = support::run(cmd).ok();
    assert!(
        run.stdout.starts_with(&format!("Publish plan for crates.io (index http://127.0.0.1:{}/)", registry.port)),
        "{run}"
    );
    assert!(run.stderr.contains("no token for crates.io: set CARGO_REGISTRY_TOKEN"), "{run}");
    let mut cmd = publish(&fixture, &registry.index_url(), &["--format", "json"]);
    cmd.env("CARGO_REGISTRIES_LOCAL_CREDENTIAL_PROVIDER", "cargo:libsecret");
    let plan: serde_json::Value = serde_json::from_str(&support::run(cmd).ok().stdout).unwrap();
    assert_eq!(plan["upload"]["via"], "cargo_publish", "{plan:#}");
    assert!(plan["upload"]["reason"].as_str().unwrap().contains("credential provider"), "{plan:#}");

    assert_nothing_published(&registry);
    support::assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn publishes_in_order_and_a_consumer_resolves_the_newest_version() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    // The index shows no upload until released: every upload must go on the registry's
    // word alone, and the run must then wait for the index before it succeeds.
    let proxy = Proxy::start(registry.port, Faults { hold_index: true, ..Faults::default() });

    let child = publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let names: Vec<&str> = LOCKSTEP.iter().map(|(n, _)| *n).collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while names.iter().any(|name| registry.versions(name).is_empty()) {
        assert!(Instant::now() < deadline, "not every crate reached the registry: {:#?}", proxy.uploads());
        std::thread::sleep(Duration::from_millis(20));
    }
    let uploads = proxy.uploads();
    // Every dependent went up while the index still showed its dependencies missing.
    for upload in uploads.iter().filter(|u| u.name == "acme-sdk" || u.name == "acme-proxy") {
        assert!(!upload.deps_not_in_index.is_empty(), "{} waited for the index: {uploads:#?}", upload.name);
    }
    proxy.release_index();
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
    .ok();
    assert!(run.stderr.contains("Waiting for 5 crates to show in the index"), "{run}");
    assert_published_once(&registry, &names, "0.1.0");
    for private in ["acme-python", "acme-wasm"] {
        assert!(registry.versions(private).is_empty(), "{private} has publish = false but was published");
    }
    assert_dependency_order(&proxy.uploads());
    // Each crate is reported as the registry takes it, and once the index lists it.
    let uploaded = run.stderr.find("Uploaded acme-sdk v0.1.0\n").unwrap_or_else(|| panic!("{run}"));
    assert!(run.stderr[uploaded..].contains("Uploaded acme-proxy v0.1.0\n"), "{run}");
    for name in &names {
        assert!(run.stderr.contains(&format!("Published {name} v0.1.0 in ")), "{run}");
        assert!(run.stdout.contains(&format!("{name} v0.1.0")), "{run}");
    }
    assert_no_canary(&fixture, &[&run]);
    // The preflight built every crate from its package (cargo says so for each) without
    // writing an incremental cache for packages that are extracted anew on every run.
    for name in &names {
        let from_package = format!(
            "Compiling {name} v0.1.0 ({}/target/xtask-release/unpacked/{name}-0.1.0)",
            fixture.tmp.path().display()
        );
        assert!(run.stderr.contains(&from_package), "{run}");
    }
    let incremental = fixture.tmp.path().join("target/debug/incremental");
    let cached: Vec<_> =
        std::fs::read_dir(&incremental).into_iter().flatten().flatten().map(|e| e.file_name()).collect();
    assert!(cached.is_empty(), "the verification wrote incremental caches in {}: {cached:?}", incremental.display());

    // A fresh crate that depends on the newest version resolves it from the registry.
    let consumer = fixture.tmp.path().join("consumer");
    std::fs::create_dir_all(consumer.join("src")).unwrap();
    std::fs::write(
        consumer.join("Cargo.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n\
         acme-sdk = { version = \"0.1\", registry = \"local\" }\n",
    )
    .unwrap();
    std::fs::write(consumer.join("src/main.rs"), "fn main() { println!(\"{}\", acme_sdk::sdk()); }\n").unwrap();
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["run", "--quiet"]).current_dir(&consumer);
    fixture.env(&mut cargo);
    cargo_env(&fixture, &registry.index_url(), &mut cargo);
    let built = support::run(cargo).ok();
    assert_eq!(built.stdout.trim(), "sdk with security and storage on core", "{built}");
    let lock = std::fs::read_to_string(consumer.join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"acme-core\"\nversion = \"0.1.0\"\nsource = \"sparse+http://127.0.0.1"), "{lock}");
}

#[test]
fn rerun_skips_identical_versions_and_different_content_stops_before_any_upload() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    let url = registry.index_url();

    // The token from cargo login's credentials.toml: where it is is named, never the token.
    let cargo_home = fixture.tmp.path().join("cargo-home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    std::fs::write(cargo_home.join("credentials.toml"), format!("[registries.local]\ntoken = \"{CANARY}\"\n")).unwrap();
    let mut first = publish(&fixture, &url, &["--execute", "-p", "acme-core"]);
    first.env_remove("CARGO_REGISTRIES_LOCAL_TOKEN");
    let first = run(first).ok();
    let published_at = fixture.git(&["rev-parse", "HEAD"]).trim().to_string();
    assert!(
        first.stderr.contains("Found a token for `local` in ") && first.stderr.contains("credentials.toml"),
        "{first}"
    );
    assert!(!first.stderr.contains(CANARY) && !first.stdout.contains(CANARY), "{first}");
    std::fs::remove_file(cargo_home.join("credentials.toml")).unwrap();
    assert_published_once(&registry, &["acme-core"], "0.1.0");

    // Same commit, same package: the published crate is skipped, the rest go.
    let rerun = run(publish(&fixture, &url, &["--execute", "--exclude", "acme-proxy"])).ok();
    assert!(rerun.stderr.contains("Skipped acme-core v0.1.0: already on `local`"), "{rerun}");
    assert!(rerun.stderr.contains("Published acme-sdk v0.1.0"), "{rerun}");
    assert_published_once(&registry, &["acme-core", "acme-storage", "acme-security", "acme-sdk"], "0.1.0");

    // A commit outside every package (a fix after a partial failure, say): each package
    // now records another commit, but holds the same files, so each is skipped, saying
    // where it was published from.
    fixture.write("NOTES.md", "Release notes for the team, in no package.\n");
    fixture.git(&["add", "NOTES.md"]);
    fixture.git(&["commit", "--quiet", "-m", "notes outside the packages"]);
    let after_commit = run(publish(&fixture, &url, &["--execute", "--exclude", "acme-proxy"])).ok();
    assert!(
        after_commit.stderr.contains(&format!(
            "`acme-core` v0.1.0 is already on `local` from commit {published_at}; the same files (only the \
             commit they were packaged at differs), so it is skipped"
        )),
        "{after_commit}"
    );
    assert!(after_commit.stderr.contains("Skipped acme-core v0.1.0: already on `local`"), "{after_commit}");
    assert!(after_commit.stderr.contains("Skipped acme-sdk v0.1.0: already on `local`"), "{after_commit}");
    assert!(!after_commit.stderr.contains("different content"), "{after_commit}");
    assert_published_once(&registry, &["acme-core", "acme-storage", "acme-security", "acme-sdk"], "0.1.0");

    // acme-core changes but keeps its version by mistake: refused, naming the crate and
    // the file; the crates that depend on it hold the same files and are not named.
    fixture.write("crates/core/src/lib.rs", "pub fn name() -> &'static str { \"changed\" }\n");
    fixture.git(&["commit", "--quiet", "-am", "change acme-core"]);
    let failed = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(
        failed.stderr.contains(&format!(
            "`acme-core` v0.1.0 is already on `local` from commit {published_at} with other content in src/lib.rs"
        )),
        "{failed}"
    );
    assert!(failed.stderr.contains("other content in src/lib.rs"), "{failed}");
    assert_eq!(failed.stderr.matches("with other content").count(), 1, "only acme-core is refused\n{failed}");
    assert!(
        failed.stderr.contains("resume with: xtask-release publish-ordered --registry local --execute"),
        "{failed}"
    );
    assert!(registry.versions("acme-proxy").is_empty(), "acme-proxy was uploaded after all\n{failed}");
    assert_published_once(&registry, &["acme-core"], "0.1.0");
}

#[test]
fn after_a_commit_outside_the_packages_cargo_publish_route_skips_the_same_files_too() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    let url = registry.index_url();
    run(publish(&fixture, &url, &["--execute", "-p", "acme-core"])).ok();
    fixture.write("NOTES.md", "Release notes for the team, in no package.\n");
    fixture.git(&["add", "NOTES.md"]);
    fixture.git(&["commit", "--quiet", "-m", "notes outside the packages"]);

    // A provider only cargo can ask: uploads go through `cargo publish`, which checks the
    // registry's checksum before each crate.
    let mut rerun = publish(&fixture, &url, &["--execute", "--exclude", "acme-proxy"]);
    rerun.env("CARGO_REGISTRIES_LOCAL_CREDENTIAL_PROVIDER", format!("cargo:token-from-stdout printf {CANARY}"));
    let rerun = run(rerun).ok();
    assert!(rerun.stderr.contains("uploading with `cargo publish` for this run"), "{rerun}");
    assert!(rerun.stderr.contains("`acme-core` v0.1.0 is already on `local` from commit"), "{rerun}");
    assert!(rerun.stderr.contains("Skipped acme-core v0.1.0: already on `local`"), "{rerun}");
    assert_published_once(&registry, &["acme-core", "acme-storage", "acme-security", "acme-sdk"], "0.1.0");
}

/// `a` and `b`, which depends on it and has a binary, both at 0.2.0 for the `local` registry.
fn library_and_binary() -> Fixture {
    support::fixture_with(|root| {
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n");
        write("Cargo.lock", &lockfile("0.2.0"));
        write("a/Cargo.toml", &manifest("a", "0.2.0"));
        write("a/src/lib.rs", "pub fn a() -> &'static str { \"a\" }\n");
        write("b/Cargo.toml", &manifest("b", "0.2.0"));
        write("b/src/main.rs", "fn main() { println!(\"b on {}\", a::a()); }\n");
    })
}

/// The manifest of `a`, or of `b`, which depends on `a` 0.2.0.
fn manifest(name: &str, version: &str) -> String {
    let deps = match name {
        "b" => "\n[dependencies]\na = { path = \"../a\", version = \"0.2.0\", registry = \"local\" }\n",
        _ => "",
    };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"MIT\"\n\
         description = \"{name}\"\npublish = [\"local\"]\n{deps}"
    )
}

/// The workspace's Cargo.lock with `b` at `version`, committed so packaging changes nothing.
fn lockfile(version: &str) -> String {
    format!(
        "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.2.0\"\n\n[[package]]\nname = \"b\"\n\
         version = \"{version}\"\ndependencies = [\n \"a\",\n]\n"
    )
}

/// The `checksum` a packaged Cargo.lock records for `name`.
fn locked_checksum(krate: &[u8], name: &str) -> Option<String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(krate));
    let mut lock = String::new();
    let mut entry = archive.entries().unwrap().flatten().find(|e| e.path().unwrap().ends_with("Cargo.lock"))?;
    std::io::Read::read_to_string(&mut entry, &mut lock).unwrap();
    let package = lock.split("[[package]]").find(|p| p.contains(&format!("name = \"{name}\"\n")))?;
    let line = package.lines().find_map(|l| l.strip_prefix("checksum = "))?;
    Some(line.trim_matches('"').to_string())
}

#[test]
fn a_dependent_uploaded_after_a_same_files_skip_locks_the_registrys_checksum() {
    let fixture = library_and_binary();
    let registry = Registry::start(fixture.tmp.path());
    let url = registry.index_url();
    run(publish(&fixture, &url, &["--execute", "-p", "a"])).ok();
    fixture.write("NOTES.md", "Release notes, in no package.\n");
    fixture.git(&["add", "NOTES.md"]);
    fixture.git(&["commit", "--quiet", "-m", "notes outside the packages"]);

    // `a` now packages with another checksum (it records the new commit) but the same files.
    let rerun = run(publish(&fixture, &url, &["--execute"])).ok();
    assert!(rerun.stderr.contains("Skipped a v0.2.0: already on `local`"), "{rerun}");
    assert!(rerun.stderr.contains("Published b v0.2.0"), "{rerun}");

    // b's packaged lock must record the `a` everyone downloads: the registry's, not ours.
    let index: serde_json::Value = serde_json::from_str(registry.index_file("a").trim()).unwrap();
    let cksum = index["cksum"].as_str().unwrap();
    let ours = std::fs::read(fixture.tmp.path().join("target/package/a-0.2.0.crate")).unwrap();
    let ours: String = sha2::Sha256::digest(&ours).iter().map(|b| format!("{b:02x}")).collect();
    assert_ne!(ours, cksum, "the test needs our package of `a` to differ from the registry's");
    let locked = locked_checksum(&registry.download("b", "0.2.0"), "a");
    assert_eq!(locked.as_deref(), Some(cksum), "b's Cargo.lock records another checksum for `a` than the index");

    // What a user does with it.
    let mut install = Command::new(env!("CARGO"));
    let root = fixture.tmp.path().join("installed");
    install.args(["install", "--locked", "--registry", "local", "b", "--root"]).arg(&root);
    install.current_dir(fixture.tmp.path());
    fixture.env(&mut install);
    cargo_env(&fixture, &url, &mut install);
    run(install).ok();
    let installed = support::run(Command::new(root.join("bin/b"))).ok();
    assert_eq!(installed.stdout, "b on a\n");

    // `a` changed without a bump, and the next b uses what it gained: refused for `a`
    // before b is built (against the registry's `a`, which lacks it).
    fixture.write("a/src/lib.rs", "pub fn a() -> &'static str { \"a\" }\npub fn new() {}\n");
    fixture.write("b/src/main.rs", "fn main() { a::new(); }\n");
    fixture.write("b/Cargo.toml", &manifest("b", "0.2.1"));
    fixture.write("Cargo.lock", &lockfile("0.2.1"));
    fixture.git(&["commit", "--quiet", "-am", "a gains a function, b uses it"]);
    let refused = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(refused.stderr.contains("`a` v0.2.0 is already on `local` from commit"), "{refused}");
    assert!(refused.stderr.contains("with other content in src/lib.rs"), "{refused}");
    assert!(!refused.stderr.contains("Verifying") && !refused.stderr.contains("`b`"), "{refused}");
}

#[test]
fn killed_mid_publish_then_rerun_publishes_every_version_once() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    // Slow uploads leave time to kill the run between the first crate and the last.
    let proxy = Proxy::start(registry.port, Faults { upload_delay: Duration::from_millis(700), ..Faults::default() });

    let mut child = publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while registry.versions("acme-core").is_empty() {
        assert!(Instant::now() < deadline, "acme-core never showed up");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before acme-core showed up");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(registry.versions("acme-proxy").is_empty(), "the run finished before it was killed");

    let rerun = run(publish(&fixture, &proxy.index_url(), &["--execute"])).ok();
    assert!(rerun.stderr.contains("Skipped acme-core v0.1.0"), "{rerun}");
    assert_published_once(&registry, &LOCKSTEP.map(|(n, _)| n), "0.1.0");
}

#[test]
fn a_dev_dependency_cycle_publishes_and_an_unbreakable_one_names_the_edge() {
    let fixture = fixture("devcycle");
    let registry = Registry::start(fixture.tmp.path());
    let proxy = Proxy::start(registry.port, Faults { stale_index: Duration::from_secs(1), ..Faults::default() });

    // With `--index-wait each`, a crate goes only once the index shows its dependencies.
    let run_ok = run(publish(&fixture, &proxy.index_url(), &["--execute", "--index-wait", "each"])).ok();
    assert_published_once(&registry, &["cycle-a", "cycle-b"], "1.4.2");
    let uploads = proxy.uploads();
    let order: Vec<&str> = uploads.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(order, ["cycle-a", "cycle-b"], "{run_ok}");
    assert!(uploads[1].deps_not_in_index.is_empty(), "cycle-b went before the index showed cycle-a: {uploads:#?}");
    assert_eq!(uploads[1].metadata["deps"][0]["name"], "cycle-a", "{uploads:#?}");

    // With a version on the dev-dependency, cargo keeps it and the cycle is real.
    let manifest = "crates/a/Cargo.toml";
    fixture.write(manifest, &fixture.read(manifest).replace("path = \"../b\"", "path = \"../b\", version = \"1.4.2\""));
    let failed = run(publish(&fixture, &registry.index_url(), &[])).fails(1);
    assert!(failed.stderr.contains("dependency cycle: cycle-a -> cycle-b -> cycle-a"), "{failed}");
    assert!(
        failed.stderr.contains("remove `version` from the dev-dependency `cycle-b` in crates/a/Cargo.toml"),
        "{failed}"
    );
}

#[test]
fn faults_are_waited_out_and_every_crate_lands_once_in_order() {
    let fixture = fixture("lockstep");
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
        hold_index: false,
    };
    let proxy = Proxy::start(registry.port, faults);

    let run = run(publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"])).ok();
    assert_eq!(proxy.unused_faults(), 0, "not every fault was injected\n{run}");
    assert!(run.stderr.contains("rate limited by `local`"), "{run}");
    assert!(run.stderr.contains("Retrying"), "{run}");
    assert_published_once(&registry, &LOCKSTEP.map(|(n, _)| n), "0.1.0");
    assert_dependency_order(&proxy.uploads());
    assert_no_canary(&fixture, &[&run]);
}

/// A 2xx answer to an upload that is not the registry's success (errors in it, an HTML
/// page, an empty body) stops the run with what the registry said, whether we upload or
/// cargo does (a credential provider only cargo can ask), instead of waiting the index
/// timeout for a crate that never comes.
#[test]
fn an_ok_that_is_not_an_accepted_upload_stops_with_the_registrys_words() {
    let fixture = fixture("lockstep");
    let manifest = fixture.read("Cargo.toml") + "\n[workspace.metadata.xtask-release.publish]\nindex-timeout = 20\n";
    fixture.write("Cargo.toml", &manifest);
    fixture.git(&["commit", "--quiet", "-am", "a short index timeout"]);
    let registry = Registry::start(fixture.tmp.path());
    let reserved = r#"{"errors":[{"detail":"crate name is reserved"}]}"#;
    let cases: [(Fault, &str, &str); 4] = [
        (Fault::Ok(reserved), "the registry answered 200 OK: crate name is reserved", "crate name is reserved"),
        (
            Fault::Ok("<html><body>Sign in</body></html>"),
            "200 OK with this instead of an upload's JSON answer: <html>",
            "<html>",
        ),
        (Fault::Ok(""), "the registry answered 200 OK with an empty body", ""),
        (Fault::Ok(reserved), "crate name is reserved", "crate name is reserved"),
    ];
    for (at, (fault, ours, cargos)) in cases.into_iter().enumerate() {
        // The last case again, uploaded by cargo: once for the batch, once for acme-core alone.
        let by_cargo = at == cases.len() - 1;
        let uploads = vec![Some(fault); if by_cargo { 2 } else { 1 }];
        let proxy = Proxy::start(registry.port, Faults { uploads, ..Faults::default() });
        let mut cmd = publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"]);
        if by_cargo {
            cmd.env("CARGO_REGISTRIES_LOCAL_CREDENTIAL_PROVIDER", "cargo:token-from-stdout printf canary-provider");
        }
        let started = Instant::now();
        let failed = run(cmd).fails(1);
        let expected = if by_cargo { cargos } else { ours };
        assert!(failed.stderr.contains(expected), "{fault:?} by_cargo={by_cargo}\n{failed}");
        assert!(!failed.stderr.contains("did not list"), "waited for the index ({fault:?})\n{failed}");
        assert!(started.elapsed() < Duration::from_secs(120), "{failed}");
        assert_eq!(proxy.unused_faults(), 0, "{failed}");
        assert_nothing_published(&registry);
    }
}

/// A 429 that asks to come back in a day (`Retry-After: 86400` and crates.io's "try again
/// after <date>") stops the run at once with the wait asked for and the command to resume,
/// whether we upload or cargo does, instead of waiting beyond `max-retry-wait`.
#[test]
fn a_rate_limit_a_day_long_stops_with_the_wait_and_the_command_to_resume() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    for by_cargo in [false, true] {
        // For cargo: once for the batch, once for acme-core alone.
        let fault = Some(Fault::TooManyRequests { seconds: 86_400 });
        let uploads = vec![fault; if by_cargo { 2 } else { 1 }];
        let proxy = Proxy::start(registry.port, Faults { uploads, ..Faults::default() });
        let mut cmd = publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"]);
        if by_cargo {
            cmd.env("CARGO_REGISTRIES_LOCAL_CREDENTIAL_PROVIDER", "cargo:token-from-stdout printf canary-provider");
        }
        let failed = support::run_within(cmd, Duration::from_secs(180)).fails(1);
        for said in ["cannot publish acme-core v0.1.0: `local` (", "asked to wait 86", "longer than `max-retry-wait`"] {
            assert!(failed.stderr.contains(said), "by_cargo={by_cargo}: no {said:?}\n{failed}");
        }
        assert!(failed.stderr.contains("resume with: xtask-release publish-ordered"), "{failed}");
        assert_eq!(proxy.unused_faults(), 0, "{failed}");
        assert_nothing_published(&registry);
    }
}

#[test]
fn a_refused_upload_stops_with_the_registrys_error_and_the_command_to_resume() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    let forbidden = vec![Some(Fault::Forbidden)];
    let proxy = Proxy::start(registry.port, Faults { uploads: forbidden, ..Faults::default() });

    let failed = run(publish(&fixture, &proxy.index_url(), &["--execute", "--jobs", "1"])).fails(1);
    assert!(
        failed.stderr.contains(
            "cannot publish acme-core v0.1.0: the registry answered 403 Forbidden: this crate exists but you don't \
             seem to be an owner"
        ),
        "{failed}"
    );
    assert!(
        failed.stderr.contains("resume with: xtask-release publish-ordered --registry local --jobs 1 --execute\n"),
        "{failed}"
    );
    assert!(failed.stdout.contains("acme-core v0.1.0      FAILED"), "{failed}");
    assert_nothing_published(&registry);

    let resumed = run(publish(&fixture, &proxy.index_url(), &["--execute"])).ok();
    assert_published_once(&registry, &LOCKSTEP.map(|(n, _)| n), "0.1.0");
    assert_no_canary(&fixture, &[&failed, &resumed]);
}

#[test]
fn github_actions_groups_step_summary_pacing_and_json_result() {
    let fixture = fixture("devcycle");
    let registry = Registry::start(fixture.tmp.path());
    let summary = fixture.tmp.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();

    // A credential provider other than cargo's own: only cargo can ask it, so cargo uploads.
    let mut cmd = publish(&fixture, &registry.index_url(), &["--execute", "--rate-limit", "1/1s"]);
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", &summary);
    cmd.env("CARGO_REGISTRIES_LOCAL_CREDENTIAL_PROVIDER", format!("cargo:token-from-stdout echo {CANARY}"));
    cmd.env_remove("CARGO_REGISTRIES_LOCAL_TOKEN");
    let run = run(cmd).ok();
    assert!(run.stderr.contains("`local` has a credential provider other than cargo:token"), "{run}");
    for text in ["::group::cargo publish -p cycle-a", "Uploaded cycle-a v1.4.2", "::endgroup::"] {
        assert!(run.stderr.contains(text), "`{text}` missing\n{run}");
    }
    assert!(run.stderr.contains("cycle-b v1.4.2: pacing uploads at 1/1s"), "{run}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("earlier step\n### publish-ordered to `local`\n"), "{summary}");
    assert!(summary.contains("| cycle-a | 1.4.2 | published |"), "{summary}");
    assert!(summary.contains("| cycle-b | 1.4.2 | published |"), "{summary}");

    let rerun = support::run(publish(&fixture, &registry.index_url(), &["--execute", "--format", "json"])).ok();
    let result: serde_json::Value = serde_json::from_str(&rerun.stdout).unwrap();
    assert_eq!(result["complete"], true);
    let statuses: Vec<(&str, &str)> = result["crates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("cycle-a", "skipped"), ("cycle-b", "skipped")]);
}

#[test]
fn bad_input_fails_naming_the_crate_and_uploads_nothing() {
    let fixture = fixture("lockstep");
    let registry = Registry::start(fixture.tmp.path());
    let url = registry.index_url();
    let before = fixture.snapshot();

    let unknown = run(publish(&fixture, &url, &["--execute", "-p", "acme-nope"])).fails(1);
    assert!(unknown.stderr.contains("package `acme-nope` is not a member of the workspace"), "{unknown}");
    let private = run(publish(&fixture, &url, &["--execute", "-p", "acme-python"])).fails(1);
    assert!(private.stderr.contains("`acme-python` may not be published to `local`"), "{private}");

    let mut no_token = publish(&fixture, &url, &["--execute"]);
    no_token.env_remove("CARGO_REGISTRIES_LOCAL_TOKEN");
    let no_token = run(no_token).fails(1);
    assert!(no_token.stderr.contains("no token for `local`: set CARGO_REGISTRIES_LOCAL_TOKEN"), "{no_token}");
    support::assert_same_files(&before, &fixture.snapshot());

    let cli = "crates/proxy/Cargo.toml";
    let manifest = fixture.read(cli);
    fixture.write(
        cli,
        &format!("{manifest}acme-python = {{ path = \"../python\", version = \"0.1.0\", registry = \"local\" }}\n"),
    );
    let depends_on_private = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(
        depends_on_private.stderr.contains("`acme-proxy` depends on `acme-python`, which has `publish = false`"),
        "{depends_on_private}"
    );
    fixture.write(cli, &manifest);

    let storage = "crates/storage/Cargo.toml";
    fixture.write(
        storage,
        &fixture.read(storage).replace("acme-core.workspace = true", "acme-core = { path = \"../core\" }"),
    );
    let unversioned = run(publish(&fixture, &url, &["--execute"])).fails(1);
    assert!(
        unversioned.stderr.contains("`acme-storage` depends on `acme-core` without a version requirement"),
        "{unversioned}"
    );
    assert_nothing_published(&registry);
}

/// The every-field fixture's crates, in an order that publishes.
const EVERYFIELD: [&str; 5] = ["ef-build", "ef-core", "ef-extra", "ef-testkit", "ef-app"];

#[test]
fn uploads_what_cargo_would_and_the_crate_the_preflight_verified() {
    let fixture = support::fixture("everyfield");
    let tmp = fixture.tmp.path();
    // A second registry with a crate that ef-app depends on.
    let other = Registry::start(tmp);
    let helper = tmp.join("ext-helper");
    std::fs::create_dir_all(helper.join("src")).unwrap();
    std::fs::write(
        helper.join("Cargo.toml"),
        "[package]\nname = \"ext-helper\"\nversion = \"0.1.4\"\nedition = \"2021\"\nlicense = \"MIT\"\n\
         description = \"From another registry.\"\n",
    )
    .unwrap();
    std::fs::write(helper.join("src/lib.rs"), "pub fn help() {}\n").unwrap();
    let cargo = |dir: &std::path::Path, args: &[&str], index_url: &str| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(args).current_dir(dir);
        fixture.env(&mut cmd);
        cargo_env(&fixture, index_url, &mut cmd);
        cmd.env("CARGO_REGISTRIES_OTHER_INDEX", other.index_url())
            .env("CARGO_REGISTRIES_OTHER_TOKEN", CANARY)
            .env("CARGO_REGISTRIES_LOCAL_TOKEN", CANARY);
        cmd
    };

    // cargo to one registry, then publish-ordered to another behind the same address, so
    // the packaged manifests (which name the registry) are the same.
    let by_cargo = Registry::start(tmp);
    let proxy = Proxy::start(by_cargo.port, Faults::default());
    run(cargo(&helper, &["publish", "--quiet", "--registry", "other", "--allow-dirty"], &proxy.index_url())).ok();
    run(cargo(&fixture.root, &["generate-lockfile", "--quiet"], &proxy.index_url())).ok();
    fixture.git(&["add", "Cargo.lock"]);
    fixture.git(&["commit", "--quiet", "-m", "lock"]);
    run(cargo(&fixture.root, &["publish", "--workspace", "--registry", "local"], &proxy.index_url())).ok();
    let cargo_uploads = proxy.uploads();
    assert_eq!(cargo_uploads.len(), EVERYFIELD.len(), "{cargo_uploads:#?}");

    let by_us = Registry::start(tmp);
    proxy.set_upstream(by_us.port);
    let mut ours = publish(&fixture, &proxy.index_url(), &["--execute"]);
    ours.env("CARGO_REGISTRIES_OTHER_INDEX", other.index_url());
    let ours = run(ours).ok();
    let our_uploads: Vec<Upload> = proxy.uploads().split_off(cargo_uploads.len());

    for name in EVERYFIELD {
        let theirs = cargo_uploads.iter().find(|u| u.name == name).unwrap();
        let mine = our_uploads.iter().find(|u| u.name == name).unwrap_or_else(|| panic!("{name} not uploaded\n{ours}"));
        assert_eq!(mine.metadata, theirs.metadata, "the metadata of {name}");
        let index_line = by_cargo.index_file(name);
        assert!(!index_line.is_empty(), "{name} is not in cargo's registry");
        assert_eq!(by_us.index_file(name), index_line, "the index line of {name}");
        let packaged = std::fs::read(tmp.join(format!("target/package/{name}-0.3.1.crate"))).unwrap();
        assert!(by_us.download(name, "0.3.1") == packaged, "{name}: the registry has other bytes than we packaged");
        assert!(mine.tarball == packaged, "{name}: other bytes went up than we packaged");
    }
    // Every field is in play.
    let app = &our_uploads.iter().find(|u| u.name == "ef-app").unwrap().metadata;
    let deps = app["deps"].as_array().unwrap();
    let dep = |name: &str, kind: &str| {
        deps.iter()
            .find(|d| d["name"] == name && d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} dependency {name}: {app:#}"))
    };
    assert_eq!(dep("ef-core", "normal")["explicit_name_in_toml"], "base");
    assert_eq!(dep("ef-core", "normal")["default_features"], false);
    assert_eq!(dep("ef-extra", "normal")["optional"], true);
    assert_eq!(dep("ext-helper", "normal")["registry"], other.index_url());
    assert!(deps.iter().any(|d| d["name"] == "ef-build" && d["target"] == "cfg(any(unix, windows))"), "{app:#}");
    dep("ef-build", "build");
    dep("ef-build", "dev");
    assert!(!deps.iter().any(|d| d["name"] == "ef-testkit"), "a dev-dependency without a version went up: {app:#}");
    assert_eq!(app["features"]["fast"], serde_json::json!(["ef-extra?/fast", "base/fast"]));
    assert!(app["readme"].as_str().unwrap().contains("Ünïcode"), "{app:#}");
    let core = &our_uploads.iter().find(|u| u.name == "ef-core").unwrap().metadata;
    for field in ["links", "rust_version", "license_file", "documentation", "readme_file"] {
        assert!(core[field].is_string(), "{field} of ef-core: {core:#}");
    }
    assert_eq!(core["categories"].as_array().unwrap().len(), 2, "{core:#}");
    assert_eq!(core["badges"]["maintenance"]["status"], "actively-developed");
    assert_no_canary(&fixture, &[&ours]);
}

/// The proxy stands in for crates.io in the benchmark and the tests above, so it must
/// refuse, as crates.io does, an upload that names a crate the registry never took.
#[test]
fn the_proxy_refuses_an_upload_whose_dependency_was_never_uploaded() {
    use std::io::{Read as _, Write as _};
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::start(tmp.path());
    let proxy = Proxy::start(registry.port, Faults::default());
    let upload = |metadata: serde_json::Value| {
        let json = serde_json::to_vec(&metadata).unwrap();
        let tarball = b"not really a crate";
        let mut body = (json.len() as u32).to_le_bytes().to_vec();
        body.extend_from_slice(&json);
        body.extend_from_slice(&(tarball.len() as u32).to_le_bytes());
        body.extend_from_slice(tarball);
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
        let head = format!("PUT /api/v1/crates/new HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.len());
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let dep = |name: &str| {
        serde_json::json!({"name": name, "version_req": "^1", "features": [], "optional": false,
        "default_features": true, "target": null, "kind": "normal"})
    };
    let answer = upload(serde_json::json!({"name": "needs-base", "vers": "1.0.0", "deps": [dep("base")]}));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("no known crate named `base`"), "{answer}");
    assert!(registry.versions("needs-base").is_empty());
    let answer = upload(serde_json::json!({"name": "base", "vers": "1.0.0", "deps": []}));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = upload(serde_json::json!({"name": "needs-base", "vers": "1.0.0", "deps": [dep("base")]}));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(registry.versions("needs-base"), ["1.0.0"]);
}
