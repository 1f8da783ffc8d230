//! Verifying once, without the token: `publish-ordered --verify` packages and verifies
//! the set with `cargo package` and records each `.crate`'s sha256, the commit and the
//! cargo it was made with; `--execute` then packages again with `--no-verify` (no crate
//! code runs) and skips the verification build when every file is byte-identical to the
//! recorded one, from the same clean commit.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};
use xshell::Shell;

use super::order::Plan;
use super::run::registry_args;
use crate::ops::sha;
use crate::ops::{cargo, git};
use crate::report::Reporter;
use crate::workspace::Workspace;

/// What `--verify` verified, as kept in `<target dir>/xtask-release/verified-packages.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub format_version: u32,
    /// The commit the packages were made from; the tree was clean before and after.
    pub commit: String,
    /// `cargo --version` of the cargo that verified them.
    pub cargo: String,
    /// The registry they were packaged for (`None`: crates.io or `registry.default`).
    pub registry: Option<String>,
    pub crates: Vec<VerifiedCrate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCrate {
    pub name: String,
    pub version: semver::Version,
    /// Of the `.crate` file cargo packaged and verified.
    pub sha256: String,
}

/// Where the state of the work tree and the toolchain stand now, to hold a record against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// HEAD's commit, when the workspace is in a git work tree with no change.
    pub clean_commit: Option<String>,
    pub cargo: String,
}

impl Facts {
    pub fn read(sh: &Shell) -> Facts {
        let clean = git::changed_files(sh).is_ok_and(|changes| changes.is_empty());
        let clean_commit = if clean { git::head(sh).ok() } else { None };
        Facts { clean_commit, cargo: cargo::version(sh).unwrap_or_default() }
    }
}

/// The record's path in the workspace's target dir.
pub fn record_path(ws: &Workspace) -> Utf8PathBuf {
    ws.target_dir.join("xtask-release").join("verified-packages.json")
}

/// Why a record cannot stand for a verification of the plan's packages, or `None` when it
/// can as far as the facts go (the bytes are compared after packaging).
pub fn distrust(record: &Record, plan: &Plan, facts: &Facts) -> Option<String> {
    let crates: Vec<(&str, &semver::Version)> = plan.crates.iter().map(|c| (c.name.as_str(), &c.version)).collect();
    distrust_for(record, plan.registry.name.as_deref(), &crates, facts)
}

/// [`distrust`] for a registry (`None`: the default one) and the crates to publish, in
/// order. Pure, for tests.
fn distrust_for(
    record: &Record,
    registry: Option<&str>,
    crates: &[(&str, &semver::Version)],
    facts: &Facts,
) -> Option<String> {
    let short = |commit: &str| commit.chars().take(12).collect::<String>();
    let Some(commit) = &facts.clean_commit else {
        return Some("the work tree has changes (or is not a git work tree)".into());
    };
    if record.format_version != 1 {
        return Some(format!("it has format_version {}", record.format_version));
    }
    if record.commit != *commit {
        return Some(format!("it was made at {}, not at HEAD ({})", short(&record.commit), short(commit)));
    }
    if record.cargo != facts.cargo || facts.cargo.is_empty() {
        return Some(format!("it was made with {}, not {}", record.cargo, facts.cargo));
    }
    if record.registry.as_deref() != registry {
        return Some("it was made for another registry".into());
    }
    // Fewer crates than the record is a resume after part of them went up: each one left
    // was verified with the others, and its bytes are compared after packaging.
    let theirs: Vec<(&str, &semver::Version)> = record.crates.iter().map(|c| (c.name.as_str(), &c.version)).collect();
    if let Some((name, _)) = crates.iter().find(|c| !theirs.contains(c)) {
        return Some(format!("it did not verify {name} (pass the same -p and --exclude)"));
    }
    None
}

/// The crates packaged now whose file is not the one the record verified. Pure, for tests.
pub fn differing<'a>(record: &Record, packaged: &'a BTreeMap<String, String>) -> Vec<&'a str> {
    packaged
        .iter()
        .filter(|(name, sha)| !record.crates.iter().any(|c| c.name == **name && c.sha256 == **sha))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// The set packaged with `cargo package --no-verify`, then, when `verify`, each crate built
/// from its package against the others' packages (`unpacked`), as cargo's own verification
/// builds them but sharing what they share; cargo verifies only where that cannot stand for
/// it. Without `verify` no build script or proc macro runs.
pub(super) fn package(sh: &Shell, ws: &Workspace, plan: &Plan, verify: bool, reporter: &dyn Reporter) -> Result<()> {
    cargo_package(sh, plan, false, reporter)?;
    if verify && !super::unpacked::verify(sh, ws, plan, reporter)? {
        cargo_package(sh, plan, true, reporter)?;
    }
    Ok(())
}

/// `cargo package` over the set, verifying each crate by building it unless `verify` is
/// false. Cargo packages workspace members against each other through a local overlay, so
/// this verifies the set as it will be published.
fn cargo_package(sh: &Shell, plan: &Plan, verify: bool, reporter: &dyn Reporter) -> Result<()> {
    let count = plan.crates.len();
    let no_verify = (!verify).then_some("--no-verify");
    let _group = reporter.group(&format!("cargo package{} ({count} crates)", if verify { "" } else { " --no-verify" }));
    let crates = crate::output::plural(count, "crate");
    // The versions the registry has are packaged apart, only to compare: say so, or a
    // resume shows two alike lines.
    let on_registry = plan.crates.iter().all(super::order::Crate::is_published);
    let progress = match (verify, on_registry) {
        (true, _) => reporter.progress("Verifying", &format!("{crates} with cargo package")),
        (false, true) => {
            let published = crate::output::plural(count, "published crate");
            reporter
                .progress("Packaging", &format!("{published} to compare with the registry (cargo package --no-verify)"))
        }
        (false, false) => reporter.progress("Packaging", &format!("{crates} with cargo package --no-verify")),
    };
    let packages: Vec<String> = plan.crates.iter().flat_map(|c| ["-p".to_string(), c.name.clone()]).collect();
    let cargo = if verify { cargo::for_verification(cargo::command(sh)) } else { cargo::command(sh) };
    let command = cargo.arg("package").args(no_verify).args(registry_args(plan)).args(packages).quiet();
    let packaged = cargo::run_reporting(command, "cargo package", reporter);
    progress.finish(packaged.is_ok());
    let shown = cargo::where_shown(reporter);
    packaged.with_context(|| format!("cargo package failed, so nothing was uploaded; fix the error cargo {shown}"))?;
    Ok(())
}

/// Each crate's `.crate` path under `target/package`.
pub(super) fn crate_file(ws: &Workspace, name: &str, version: &semver::Version) -> Utf8PathBuf {
    ws.target_dir.join("package").join(format!("{name}-{version}.crate"))
}

/// The sha256 of each crate's packaged file.
fn hashes(ws: &Workspace, plan: &Plan) -> Result<BTreeMap<String, String>> {
    plan.crates
        .iter()
        .map(|krate| {
            let path = crate_file(ws, &krate.name, &krate.version);
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read the packaged crate {path}"))?;
            Ok((krate.name.clone(), sha::hash_bytes(&bytes).to_string()))
        })
        .collect()
}

/// The preflight's packaging: with a record that still holds (same clean commit, cargo,
/// registry and crates) the set is packaged with `--no-verify`, and when every file is
/// byte-identical to the verified one, that is all; otherwise `cargo package` verifies,
/// or with `required` the run stops: a build script can read the token from our own
/// process (`/proc/<pid>/environ`), whatever its own environment holds.
pub(super) fn package_for_upload(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    required: bool,
    reporter: &dyn Reporter,
) -> Result<()> {
    let path = record_path(ws);
    let record = match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<Record>(&bytes) {
            Ok(record) => Some(record),
            Err(err) => {
                reporter.note(&format!("ignoring {path}: {err}"));
                None
            }
        },
        Err(_) => None,
    };
    let verify_again = |why: String| -> Result<()> {
        if required {
            bail!(
                "{why}, and --require-verified forbids compiling here; nothing was uploaded. Run \
                 `publish-ordered --verify` (same options, no --execute) at this commit first, in a step without \
                 the token"
            );
        }
        reporter.note(&format!("{why}; verifying again"));
        package(sh, ws, plan, true, reporter)
    };
    let Some(record) = record else {
        // Without a record this is simply the preflight's verification, as without --verify.
        if !required {
            return package(sh, ws, plan, true, reporter);
        }
        return verify_again(format!("no verification is recorded in {path}"));
    };
    if let Some(why) = distrust(&record, plan, &Facts::read(sh)) {
        return verify_again(format!("not using the verification recorded in {path}: {why}"));
    }
    package(sh, ws, plan, false, reporter)?;
    let packaged = hashes(ws, plan)?;
    let differ = differing(&record, &packaged);
    if !differ.is_empty() {
        return verify_again(format!(
            "the packages of {} differ from those verified at {}",
            differ.join(", "),
            record.commit
        ));
    }
    reporter.status(
        "Verified",
        &format!(
            "{} by an earlier run at {} (packaged again without compiling: byte-identical)",
            crate::output::plural(plan.crates.len(), "crate"),
            record.commit
        ),
    );
    Ok(())
}

/// `publish-ordered --verify`: packages and verifies the set, and records it when the tree
/// was clean at one commit throughout. Returns the record, and where it was written
/// (`None`: the tree was not clean, so nothing may rely on it).
pub fn verify(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    reporter: &dyn Reporter,
) -> Result<(Record, Option<Utf8PathBuf>)> {
    let before = Facts::read(sh);
    package(sh, ws, plan, true, reporter)?;
    let after = Facts::read(sh);
    let mut hashes = hashes(ws, plan)?;
    let crates = plan
        .crates
        .iter()
        .map(|c| VerifiedCrate {
            name: c.name.clone(),
            version: c.version.clone(),
            sha256: hashes.remove(&c.name).unwrap_or_default(),
        })
        .collect();
    let record = Record {
        format_version: 1,
        commit: after.clean_commit.clone().unwrap_or_default(),
        cargo: after.cargo.clone(),
        registry: plan.registry.name.clone(),
        crates,
    };
    let path = record_path(ws);
    // A record from a tree that changed, or had changes, would vouch for something no
    // commit holds: remove any older one rather than leave it beside this run.
    if before != after || after.clean_commit.is_none() {
        if path.exists() {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {path}"))?;
        }
        return Ok((record, None));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    }
    let mut json = serde_json::to_string_pretty(&record)?;
    json.push('\n');
    crate::ops::fs::write_atomic(&path, json.as_bytes())?;
    Ok((record, Some(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        let krate = |name: &str, sha: &str| VerifiedCrate {
            name: name.into(),
            version: semver::Version::new(0, 4, 2),
            sha256: sha.into(),
        };
        Record {
            format_version: 1,
            commit: "a".repeat(40),
            cargo: "cargo 1.95.0".into(),
            registry: Some("local".into()),
            crates: vec![krate("lz-sys", "11"), krate("lz", "22")],
        }
    }

    fn facts(commit: Option<&str>) -> Facts {
        Facts { clean_commit: commit.map(String::from), cargo: "cargo 1.95.0".into() }
    }

    #[test]
    fn a_record_holds_only_at_its_clean_commit_with_its_cargo_registry_and_crates() {
        let v = semver::Version::new(0, 4, 2);
        let crates = [("lz-sys", &v), ("lz", &v)];
        let commit = "a".repeat(40);
        assert_eq!(distrust_for(&record(), Some("local"), &crates, &facts(Some(&commit))), None);

        let why = distrust_for(&record(), Some("local"), &crates, &facts(None)).unwrap();
        assert!(why.contains("the work tree has changes"), "{why}");
        let why = distrust_for(&record(), Some("local"), &crates, &facts(Some(&"b".repeat(40)))).unwrap();
        assert!(why.contains("made at aaaaaaaaaaaa, not at HEAD (bbbbbbbbbbbb)"), "{why}");
        let other_cargo = Facts { cargo: "cargo 1.96.0".into(), ..facts(Some(&commit)) };
        assert!(distrust_for(&record(), Some("local"), &crates, &other_cargo).unwrap().contains("cargo 1.96.0"));
        assert!(distrust_for(&record(), None, &crates, &facts(Some(&commit))).unwrap().contains("another registry"));
        // What is left after lz-sys went up: still verified; a crate the record lacks: not.
        let fewer = [("lz", &v)];
        assert_eq!(distrust_for(&record(), Some("local"), &fewer, &facts(Some(&commit))), None);
        let more = [("lz-sys", &v), ("lz", &v), ("lz-cli", &v)];
        let why = distrust_for(&record(), Some("local"), &more, &facts(Some(&commit))).unwrap();
        assert!(why.contains("it did not verify lz-cli"), "{why}");
        let newer = semver::Version::new(0, 4, 3);
        let bumped = [("lz-sys", &newer), ("lz", &newer)];
        assert!(distrust_for(&record(), Some("local"), &bumped, &facts(Some(&commit))).is_some());
        let future = Record { format_version: 2, ..record() };
        assert!(distrust_for(&future, Some("local"), &crates, &facts(Some(&commit))).is_some());
    }

    #[test]
    fn every_crate_whose_file_is_not_the_verified_one_is_named() {
        let packaged = BTreeMap::from([("lz-sys".to_string(), "11".to_string()), ("lz".to_string(), "23".to_string())]);
        assert_eq!(differing(&record(), &packaged), ["lz"]);
        // lz-sys went up already; lz is the verified file.
        let rest = BTreeMap::from([("lz".to_string(), "22".to_string())]);
        assert!(differing(&record(), &rest).is_empty());
        let unknown = BTreeMap::from([("lz-cli".to_string(), "33".to_string())]);
        assert_eq!(differing(&record(), &unknown), ["lz-cli"]);
        let same = BTreeMap::from([("lz-sys".to_string(), "11".to_string()), ("lz".to_string(), "22".to_string())]);
        assert!(differing(&record(), &same).is_empty());
    }
}
