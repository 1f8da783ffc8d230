//! `publish-ordered`'s preflight against a real registry: the crates' own code (build
//! scripts) never sees a token.

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
