//! `publish-ordered`'s preflight against a real registry: the crates' own code (build
//! scripts) never sees a token, and `--verify` (without the token) lets `--execute` (with
//! it) upload the very packages it verified without compiling anything.

mod support;

use std::path::Path;
use std::process::Command;

use support::registry::Registry;
use support::{Fixture, Run};

/// A token for each variable a build script could read one from; the server ignores them.
const TOKENS: [(&str, &str); 4] = [
    ("CARGO_REGISTRIES_LOCAL_TOKEN", "canary-local-0c3f9a"),
    ("CARGO_REGISTRY_TOKEN", "canary-crates-io-51e2d7"),
    ("GITHUB_TOKEN", "canary-github-9b44e1"),
    ("GH_TOKEN", "canary-gh-a70c38"),
];

/// The build-script fixture (a `-sys` crate with a build.rs and its wrapper), its internal
/// dependency published to the `local` registry.
fn fixture() -> Fixture {
    let fixture = support::fixture("build-script");
    support::registry::publish_fixture_to_local(&fixture);
    fixture
}

/// `publish-ordered --registry local ARGS` with cargo pointed at `registry`, a private
/// cargo home, every token set, and lz-sys's build script logging to `build.log`.
fn publish(fixture: &Fixture, registry: &Registry, args: &[&str]) -> Command {
    let all: Vec<&str> = ["publish-ordered", "--registry", "local"].iter().chain(args).copied().collect();
    let mut cmd = fixture.command(&all);
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
        .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url())
        .env("LZ_SYS_BUILD_LOG", build_log(fixture));
    cmd.envs(TOKENS);
    cmd
}

fn build_log(fixture: &Fixture) -> std::path::PathBuf {
    fixture.tmp.path().join("build.log")
}

/// `publish` with no token at all, as the workflow's verify step runs.
fn without_tokens(mut cmd: Command) -> Command {
    for (name, _) in TOKENS {
        cmd.env_remove(name);
    }
    cmd
}

fn record(fixture: &Fixture) -> serde_json::Value {
    let path = fixture.tmp.path().join("target/xtask-release/verified-packages.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Each line lz-sys's build script wrote: one per run.
fn build_runs(fixture: &Fixture) -> Vec<String> {
    let log = build_log(fixture);
    if !Path::new(&log).exists() {
        return Vec::new();
    }
    std::fs::read_to_string(log).unwrap().lines().map(String::from).collect()
}

#[track_caller]
fn assert_no_token_seen_or_shown(fixture: &Fixture, run: &Run) {
    let runs = build_runs(fixture);
    assert!(!runs.is_empty(), "lz-sys's build script never ran\n{run}");
    for line in &runs {
        assert_eq!(line, "built lz-sys 0.4.2 tokens=[]", "a build script saw a token\n{run}");
    }
    for (_, token) in TOKENS {
        assert!(!run.stdout.contains(token) && !run.stderr.contains(token), "{token} was printed\n{run}");
    }
}

#[test]
fn build_scripts_see_no_token_and_the_upload_still_has_it() {
    let fixture = fixture();
    let registry = Registry::start(fixture.tmp.path());

    let run = support::run(publish(&fixture, &registry, &["--execute"])).ok();
    assert_no_token_seen_or_shown(&fixture, &run);
    assert!(run.stderr.contains("Found a token for `local` in CARGO_REGISTRIES_LOCAL_TOKEN"), "{run}");
    for name in ["lz-sys", "lz"] {
        assert_eq!(registry.versions(name), ["0.4.2"], "{name}\n{run}");
    }
}

#[test]
fn with_another_credential_provider_only_cargo_publish_gets_the_token() {
    let fixture = fixture();
    let registry = Registry::start(fixture.tmp.path());

    // A provider only cargo can ask: the upload goes through `cargo publish`, which must
    // get the token; the preflight's `cargo package` still sees none.
    let mut cmd = publish(&fixture, &registry, &["--execute"]);
    cmd.env("CARGO_REGISTRIES_LOCAL_CREDENTIAL_PROVIDER", "cargo:token-from-stdout printf canary-provider");
    let run = support::run(cmd).ok();
    assert!(run.stderr.contains("uploading with `cargo publish` for this run"), "{run}");
    assert_no_token_seen_or_shown(&fixture, &run);
    for name in ["lz-sys", "lz"] {
        assert_eq!(registry.versions(name), ["0.4.2"], "{name}\n{run}");
    }
}

#[test]
fn verify_without_the_token_then_execute_uploads_without_compiling() {
    let fixture = fixture();
    let registry = Registry::start(fixture.tmp.path());
    let head = fixture.git(&["rev-parse", "HEAD"]).trim().to_string();

    let verify = support::run(without_tokens(publish(&fixture, &registry, &["--verify"]))).ok();
    assert!(verify.stderr.contains("Verifying 2 crates as packaged"), "{verify}");
    assert!(verify.stderr.contains(&format!("Recorded 2 crates verified at {head}")), "{verify}");
    assert!(verify.stderr.contains("dry run: nothing was uploaded"), "{verify}");
    let built = build_runs(&fixture);
    assert!(!built.is_empty(), "--verify compiled nothing\n{verify}");
    let recorded = record(&fixture);
    assert_eq!(recorded["commit"], head.as_str());
    assert_eq!(recorded["crates"][0]["name"], "lz-sys");
    assert!(registry.versions("lz-sys").is_empty(), "--verify uploaded");

    // As the release workflow's token step runs it: compiling is refused there.
    let run = support::run(publish(&fixture, &registry, &["--execute", "--require-verified"])).ok();
    assert!(run.stderr.contains("Packaging 2 crates with cargo package --no-verify"), "{run}");
    assert!(run.stderr.contains(&format!("Verified 2 crates by an earlier run at {head}")), "{run}");
    assert!(!run.stderr.contains("Verifying") && !run.stderr.contains("Compiling"), "{run}");
    assert_eq!(build_runs(&fixture), built, "--execute ran a build script\n{run}");
    assert_no_token_seen_or_shown(&fixture, &run);
    // What went up is the file that was verified.
    for krate in recorded["crates"].as_array().unwrap() {
        let (name, version) = (krate["name"].as_str().unwrap(), krate["version"].as_str().unwrap());
        let served = registry.download(name, version);
        let sha = sha256_hex(&served);
        assert_eq!(krate["sha256"], sha.as_str(), "{name}: the registry serves another file than was verified");
    }
}

#[test]
fn a_resume_after_part_of_the_verified_set_went_up_still_compiles_nothing() {
    let fixture = fixture();
    let registry = Registry::start(fixture.tmp.path());
    support::run(without_tokens(publish(&fixture, &registry, &["--verify"]))).ok();
    let built = build_runs(&fixture);
    // The upload stopped after lz-sys (here: only lz-sys was asked for).
    let first = support::run(publish(&fixture, &registry, &["--execute", "--require-verified", "-p", "lz-sys"])).ok();
    assert!(first.stderr.contains("Verified 1 crate by an earlier run"), "{first}");
    assert_eq!(registry.versions("lz-sys"), ["0.4.2"]);
    // The rest, packaged apart with lz-sys from the registry: the same bytes as verified.
    let rest = support::run(publish(&fixture, &registry, &["--execute", "--require-verified"])).ok();
    assert!(rest.stderr.contains("Verified 1 crate by an earlier run"), "{rest}");
    assert!(!rest.stderr.contains("Compiling"), "{rest}");
    assert_eq!(build_runs(&fixture), built, "a resume ran a build script\n{rest}");
    assert_eq!(registry.versions("lz"), ["0.4.2"]);
    let served = sha256_hex(&registry.download("lz", "0.4.2"));
    assert_eq!(record(&fixture)["crates"][1]["sha256"], served.as_str(), "lz went up other than verified");
}

#[test]
fn a_commit_or_a_package_that_differs_from_the_record_is_verified_again() {
    let fixture = fixture();
    let registry = Registry::start(fixture.tmp.path());

    // A tree with changes is verified, but not recorded.
    fixture.write("NOTES.md", "wip\n");
    let run = support::run(without_tokens(publish(&fixture, &registry, &["--verify"]))).ok();
    assert!(run.stderr.contains("the verification is not recorded"), "{run}");
    assert!(!fixture.tmp.path().join("target/xtask-release/verified-packages.json").exists());
    std::fs::remove_file(fixture.path("NOTES.md")).unwrap();

    // A source changed and committed after --verify: the record is of another commit.
    support::run(without_tokens(publish(&fixture, &registry, &["--verify"]))).ok();
    let verified_at = fixture.git(&["rev-parse", "HEAD"]).trim().to_string();
    fixture.write("crates/lz/src/lib.rs", "//! A safe wrapper over `lz-sys`.\n\n/// The default level.\npub fn default_level() -> i32 {\n    lz_sys::LZ_DEFAULT_LEVEL + 0\n}\n");
    fixture.git(&["commit", "--quiet", "-am", "lz: say less"]);
    let before = build_runs(&fixture).len();
    // Where compiling is refused, the stale record stops the run before anything is built
    // or uploaded.
    let run = support::run(publish(&fixture, &registry, &["--execute", "-p", "lz-sys", "--require-verified"])).fails(1);
    assert!(run.stderr.contains("--require-verified forbids compiling here; nothing was uploaded"), "{run}");
    assert!(run.stderr.contains("publish-ordered --verify"), "{run}");
    assert_eq!(build_runs(&fixture).len(), before, "a build script ran\n{run}");
    assert!(registry.versions("lz-sys").is_empty());
    let run = support::run(publish(&fixture, &registry, &["--execute", "-p", "lz-sys"])).ok();
    assert!(run.stderr.contains("not using the verification recorded"), "{run}");
    assert!(run.stderr.contains(&format!("made at {}", &verified_at[..12])), "{run}");
    assert!(run.stderr.contains("Verifying 1 crate as packaged"), "{run}");
    assert!(build_runs(&fixture).len() > before, "--execute did not verify\n{run}");
    assert_eq!(registry.versions("lz-sys"), ["0.4.2"]);

    // Same commit, but a package other than the one verified (the record says another
    // sha256): verified again.
    support::run(without_tokens(publish(&fixture, &registry, &["--verify", "-p", "lz"]))).ok();
    let path = fixture.tmp.path().join("target/xtask-release/verified-packages.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let sha = record(&fixture)["crates"][0]["sha256"].as_str().unwrap().to_string();
    std::fs::write(&path, text.replace(&sha, &"0".repeat(64))).unwrap();
    let run = support::run(publish(&fixture, &registry, &["--execute", "-p", "lz"])).ok();
    assert!(run.stderr.contains("the packages of lz differ from those verified"), "{run}");
    assert!(run.stderr.contains("Verifying 1 crate as packaged"), "{run}");
    // lz is built from its package (lz-sys, now from the registry, is built already).
    assert!(run.stderr.contains("Compiling lz v0.4.2 ("), "--execute did not verify\n{run}");
    assert_eq!(registry.versions("lz"), ["0.4.2"]);
    assert_no_token_seen_or_shown(&fixture, &run);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// With `--registry local`, an internal dependency without `registry = "local"` would be
/// looked for on crates.io by the published package: the dry runs of `publish-ordered` and
/// of `release` refuse it, naming the manifest, the dependency and the line to add; with
/// the line, both pass.
#[test]
fn an_internal_dependency_that_would_not_resolve_in_the_registry_is_refused_by_the_dry_runs() {
    let fixture = support::fixture("build-script");
    let registry = Registry::start(fixture.tmp.path());
    let files = fixture.snapshot();
    let fix = "`lz` depends on `lz-sys`, which its published package would look for in crates.io; add \
               `registry = \"local\"` to `lz-sys` in [dependencies] of crates/lz/Cargo.toml (where it says \
               `workspace = true`, to `lz-sys` in [workspace.dependencies] of Cargo.toml)";
    let run = support::run(without_tokens(publish(&fixture, &registry, &[]))).fails(1);
    assert!(run.stderr.contains(fix), "{run}");
    let release = |fixture: &Fixture| {
        let mut cmd = fixture.command(&["release", "patch", "--no-verify", "--registry", "local"]);
        cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
            .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url());
        support::run(cmd)
    };
    let run = release(&fixture).fails(1);
    assert!(run.stdout.contains("FAILED  publishable: publish-ordered would refuse this release"), "{run}");
    assert!(run.stdout.contains(fix), "{run}");
    assert!(run.stderr.contains("preflight failed (publishable)"), "{run}");
    support::assert_same_files(&files, &fixture.snapshot());

    support::registry::publish_fixture_to_local(&fixture);
    fixture.git(&["push", "--quiet", "origin", "main"]);
    support::run(without_tokens(publish(&fixture, &registry, &[]))).ok();
    let run = release(&fixture).ok();
    assert!(
        run.stdout.contains("ok      publishable: publish-ordered accepts the manifests of 2 crates for `local`"),
        "{run}"
    );
}
