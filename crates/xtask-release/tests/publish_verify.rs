//! How `publish-ordered` verifies packages before uploading: each crate builds from its
//! `.crate` against the others' packages, as `cargo package` verifies it, and refuses
//! what cargo's verification refuses (a crate that builds only thanks to a feature
//! another crate turns on, a file left out of the package, a build script writing into
//! its sources), on generated workspaces and a real loopback registry.

mod support;

use std::process::Command;

use support::registry::Registry;
use support::{Fixture, Run};

/// A workspace of `crates` (name, manifest lines after `[package]`'s, lib.rs), with each
/// internal dependency published to `local`, and its lock file, committed.
fn workspace(crates: &[(&str, &str, &str)]) -> Fixture {
    support::fixture_with(|root| {
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let mut manifest = String::from(
            "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.1.0\"\n\
             edition = \"2021\"\nlicense = \"MIT\"\n\n[workspace.dependencies]\n",
        );
        for (name, extra, lib) in crates {
            manifest.push_str(&format!(
                "{name} = {{ path = \"crates/{name}\", version = \"0.1.0\", registry = \"local\" }}\n"
            ));
            let edition = if extra.contains("edition =") { "" } else { "edition.workspace = true\n" };
            write(
                &format!("crates/{name}/Cargo.toml"),
                &format!(
                    "[package]\nname = \"{name}\"\ndescription = \"{name}\"\nversion.workspace = true\n\
                     {edition}license.workspace = true\n{extra}\n"
                ),
            );
            write(&format!("crates/{name}/src/lib.rs"), lib);
        }
        write("Cargo.toml", &manifest);
        write(".gitignore", "/target\n");
        let status = Command::new(env!("CARGO"))
            .args(["generate-lockfile", "--offline", "--quiet"])
            .current_dir(root)
            .env("CARGO_REGISTRIES_LOCAL_INDEX", "sparse+http://127.0.0.1:9/")
            .status()
            .unwrap();
        assert!(status.success(), "cargo generate-lockfile failed");
    })
}

fn publish(fixture: &Fixture, registry: &Registry, args: &[&str]) -> Run {
    let all: Vec<&str> = ["publish-ordered", "--registry", "local"].iter().chain(args).copied().collect();
    let mut cmd = fixture.command(&all);
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
        .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url())
        .env("CARGO_REGISTRIES_LOCAL_TOKEN", "unused-by-the-server");
    support::run(cmd)
}

const BASE: (&str, &str, &str) = (
    "base",
    "\n[features]\nextra = []\n",
    "pub fn id() -> u32 { 1 }\n\n#[cfg(feature = \"extra\")]\npub fn extra() -> u32 { 2 }\n",
);

#[test]
fn a_crate_that_builds_only_with_a_feature_another_crate_turns_on_is_refused() {
    let fixture = workspace(&[
        BASE,
        ("with-extra", "\n[dependencies]\nbase = { workspace = true, features = [\"extra\"] }\n", "pub use base;\n"),
        // Builds in the workspace, where `with-extra` turns `extra` on for everyone; alone, as
        // a user of the published crate builds it, it does not.
        ("relies", "\n[dependencies]\nbase.workspace = true\n", "pub fn two() -> u32 { base::extra() }\n"),
    ]);
    support::run({
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--workspace", "--quiet"]).current_dir(&fixture.root);
        fixture.env(&mut cmd);
        cmd.env("CARGO_REGISTRIES_LOCAL_INDEX", "sparse+http://127.0.0.1:9/");
        cmd
    })
    .ok();
    let registry = Registry::start(fixture.tmp.path());
    let run = publish(&fixture, &registry, &["--execute"]).fails(1);
    assert!(run.stderr.contains("building in 2 groups, not all at once: `base` is built with other features"), "{run}");
    // `relies` builds with `base` as it asks for it, apart from `with-extra`.
    assert!(run.stderr.contains("Verifying 3 crates as packaged, in 2 builds"), "{run}");
    assert!(run.stderr.contains("could not compile `relies`"), "{run}");
    assert!(run.stderr.contains("a crate does not build from its package, so nothing was uploaded"), "{run}");
    for name in ["base", "with-extra", "relies"] {
        assert!(registry.versions(name).is_empty(), "{name} was uploaded\n{run}");
    }
}

#[test]
fn crates_that_ask_alike_are_verified_in_one_build_each_from_its_package() {
    // `extra` is on by default, so every crate builds `base` with the same features.
    let base = ("base", "\n[features]\ndefault = [\"extra\"]\nextra = []\n", BASE.2);
    let fixture = workspace(&[
        base,
        ("with-extra", "\n[dependencies]\nbase = { workspace = true, features = [\"extra\"] }\n", "pub use base;\n"),
        (
            "also-extra",
            "\n[dependencies]\nbase = { workspace = true, features = [\"extra\"] }\nwith-extra.workspace = true\n",
            "pub fn two() -> u32 { base::extra() + with_extra::base::id() }\n",
        ),
    ]);
    let registry = Registry::start(fixture.tmp.path());
    let run = publish(&fixture, &registry, &["--verify"]).ok();
    assert!(run.stderr.contains("Verifying 3 crates as packaged, in one build"), "{run}");
    for name in ["base", "with-extra", "also-extra"] {
        let unpacked = format!("target/xtask-release/unpacked/{name}-0.1.0)");
        let compiled = format!("Compiling {name} v0.1.0 (");
        let line = run.stderr.lines().find(|l| l.contains(&compiled)).unwrap_or_else(|| panic!("{run}"));
        assert!(line.ends_with(&unpacked), "{name} was not built from its package: {line}\n{run}");
        assert_eq!(run.stderr.matches(&compiled).count(), 1, "{name} compiled more than once\n{run}");
    }
}

#[test]
fn a_file_left_out_of_the_package_is_caught_before_any_upload() {
    let fixture = workspace(&[
        ("core", "", "pub fn id() -> u32 { 1 }\n"),
        (
            "leaky",
            "include = [\"src/lib.rs\"]\n\n[dependencies]\ncore.workspace = true\n",
            "mod helper;\npub use helper::*;\n",
        ),
    ]);
    fixture.write("crates/leaky/src/helper.rs", "pub fn two() -> u32 { core::id() + 1 }\n");
    fixture.git(&["add", "-A"]);
    fixture.git(&["commit", "--quiet", "-m", "helper"]);
    let registry = Registry::start(fixture.tmp.path());
    let run = publish(&fixture, &registry, &["--execute"]).fails(1);
    assert!(run.stderr.contains("could not compile `leaky`"), "{run}");
    assert!(run.stderr.contains("nothing was uploaded"), "{run}");
    assert!(registry.versions("core").is_empty(), "core was uploaded\n{run}");
}

#[test]
fn a_build_script_that_writes_into_its_sources_is_refused() {
    let fixture = workspace(&[("scribble", "build = \"build.rs\"\n", "pub fn id() -> u32 { 1 }\n")]);
    fixture.write(
        "crates/scribble/build.rs",
        "fn main() {\n    let dir = std::env::var(\"CARGO_MANIFEST_DIR\").unwrap();\n    \
         std::fs::write(format!(\"{dir}/src/generated.rs\"), \"// made at build time\\n\").unwrap();\n}\n",
    );
    fixture.git(&["add", "-A"]);
    fixture.git(&["commit", "--quiet", "-m", "build script"]);
    let registry = Registry::start(fixture.tmp.path());
    let run = publish(&fixture, &registry, &["--execute"]).fails(1);
    assert!(run.stderr.contains("changed the sources it was built from"), "{run}");
    assert!(run.stderr.contains("scribble-0.1.0/src/generated.rs"), "{run}");
    assert!(registry.versions("scribble").is_empty(), "scribble was uploaded\n{run}");
}

#[test]
fn a_crate_on_resolver_1_is_left_to_cargo_package_to_verify() {
    let fixture = workspace(&[("old", "edition = \"2018\"\n", "pub fn id() -> u32 { 1 }\n")]);
    // Without `resolver` a workspace of 2018 crates resolves with resolver 1, and cargo
    // packages them so.
    let manifest = fixture.read("Cargo.toml").replace("resolver = \"2\"\n", "");
    fixture.write("Cargo.toml", &manifest);
    fixture.git(&["commit", "--quiet", "-am", "resolver 1"]);
    let registry = Registry::start(fixture.tmp.path());
    let run = publish(&fixture, &registry, &["--verify"]).ok();
    assert!(
        run.stderr.contains("letting cargo package verify: `old` resolves features with cargo's resolver 1"),
        "{run}"
    );
    assert!(run.stderr.contains("Verifying old v0.1.0 ("), "cargo package did not verify\n{run}");
}

#[test]
fn a_derive_crate_behind_an_optional_feature_verifies_as_each_crate_is_built() {
    // The shape of serde and serde_derive: a proc macro, re-exported by its library behind
    // a feature that is off by default, which an application turns on.
    let fixture = workspace(&[
        (
            "shape-derive",
            "\n[lib]\nproc-macro = true\n",
            "use proc_macro::TokenStream;\n\n#[proc_macro_derive(Shape)]\npub fn derive(_: TokenStream) -> TokenStream {\n    \
             \"impl Shape for Square { fn sides() -> u32 { 4 } }\".parse().unwrap()\n}\n",
        ),
        (
            "shape",
            "\n[dependencies]\nshape-derive = { workspace = true, optional = true }\n\n[features]\nderive = [\"dep:shape-derive\"]\n",
            "#[cfg(feature = \"derive\")]\npub use shape_derive::Shape;\n\npub trait Shape {\n    fn sides() -> u32;\n}\n",
        ),
        (
            "app",
            "\n[dependencies]\nshape = { workspace = true, features = [\"derive\"] }\n",
            "use shape::Shape;\n\n#[derive(Shape)]\npub struct Square;\n\npub fn sides() -> u32 {\n    Square::sides()\n}\n",
        ),
    ]);
    let registry = Registry::start(fixture.tmp.path());
    let run = publish(&fixture, &registry, &["--execute"]).ok();
    // `shape` alone is built without `derive`, for `app` with it: two builds, each right.
    assert!(run.stderr.contains("Verifying 3 crates as packaged, in 2 builds"), "{run}");
    for name in ["shape-derive", "shape", "app"] {
        assert_eq!(registry.versions(name), ["0.1.0"], "{name}\n{run}");
    }
}
