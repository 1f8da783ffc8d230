//! The declared `rust-version` is true: no locked dependency of the library needs a newer
//! toolchain, and it is no higher than the newest of them (or the language features our
//! own code uses) needs, so it is the lowest toolchain that builds the crate with its
//! locked dependencies.
//!
//! Read offline from `cargo metadata --locked` (which refuses a Cargo.lock that does
//! not match the manifests), for the dependencies this platform builds: CI runs it on
//! Linux, macOS and Windows, which between them build every target-specific one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use semver::Version;
use serde_json::Value;

/// The newest language feature our own code uses: let-chains, stable in 1.88.
const LANGUAGE_FLOOR: &str = "1.88";

/// `1.88` or `1.88.0` as a version.
fn rust_version(text: &str) -> Version {
    let full = if text.matches('.').count() == 1 { format!("{text}.0") } else { text.to_string() };
    Version::parse(&full).unwrap_or_else(|e| panic!("rust-version `{text}`: {e}"))
}

fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc runs");
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc -vV names the host").to_string()
}

fn metadata() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked", "--filter-platform", &host()])
        .current_dir(&root)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo metadata failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rust_version_is_the_lowest_that_builds_with_the_locked_dependencies() {
    let metadata = metadata();
    let packages: BTreeMap<&str, &Value> =
        metadata["packages"].as_array().unwrap().iter().map(|p| (p["id"].as_str().unwrap(), p)).collect();
    let nodes: BTreeMap<&str, &Value> =
        metadata["resolve"]["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap(), n)).collect();
    let (&root, library) =
        packages.iter().find(|(_, p)| p["name"] == "xtask-release").expect("xtask-release is in the workspace");
    let declared = rust_version(library["rust_version"].as_str().expect("xtask-release declares a rust-version"));

    // Everything it takes to build the library: normal and build dependencies, all the
    // way down; dev-dependencies build only our tests.
    let mut seen = BTreeSet::new();
    let mut queue = vec![root];
    while let Some(id) = queue.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let needed = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].as_str() != Some("dev"));
            if needed {
                queue.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    assert!(seen.len() > 10, "the walk found the dependencies: {seen:?}");

    let needs: Vec<(Version, String)> = seen
        .iter()
        .filter(|id| **id != root)
        .filter_map(|id| {
            let package = packages[id];
            let needs = rust_version(package["rust_version"].as_str()?);
            Some((needs, format!("{} {}", package["name"].as_str()?, package["version"].as_str()?)))
        })
        .collect();
    let too_new: Vec<String> = needs
        .iter()
        .filter(|(needs, _)| *needs > declared)
        .map(|(needs, name)| format!("{name} needs {needs}"))
        .collect();
    assert!(
        too_new.is_empty(),
        "rust-version is {declared}, but locked dependencies need more: {}; raise rust-version, or move them \
         to older versions (`cargo update -p NAME --precise VERSION`)",
        too_new.join(", ")
    );

    let (newest, by) = needs.iter().max().expect("the library has dependencies");
    let lowest = newest.clone().max(rust_version(LANGUAGE_FLOOR));
    assert_eq!(
        declared, lowest,
        "rust-version is {declared}, but the locked dependencies need only {newest} ({by}) and our code {LANGUAGE_FLOOR}; \
         lower rust-version to {lowest} so it says what really builds"
    );
}
