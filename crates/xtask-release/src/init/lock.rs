//! Whether the xtask can join the workspace without changing a locked version of the
//! product: cargo resolves the workspace with the xtask added, in a scratch copy of HEAD
//! with init's files written into it (offline first), and every package Cargo.lock
//! holds must still be there at the same version.

use std::collections::BTreeSet;

use anyhow::{Context as _, Result};
use cargo_metadata::camino::Utf8Path;
use xshell::Shell;

use super::Change;
use crate::ops::cargo;
use crate::steps::release::scratch::Scratch;
use crate::workspace::Workspace;

/// Why the xtask must be a workspace of its own, or `None` when it can be a member:
/// there is no Cargo.lock to keep, or the resolution with it keeps every locked version.
pub fn why_not_a_member(sh: &Shell, ws: &Workspace, files: &[Change]) -> Result<Option<String>> {
    let lock_path = ws.root.join("Cargo.lock");
    if !lock_path.is_file() {
        return Ok(None);
    }
    let locked = crate::ops::fs::read(&lock_path)?;
    let scratch = Scratch::of_head(sh, ws).context("cannot copy the repository to check Cargo.lock with the xtask")?;
    // The lock and manifests as they are now, with init's files on top.
    write(&scratch.root, "Cargo.lock", &locked)?;
    for change in files {
        write(&scratch.root, change.path.as_str(), &change.after)?;
    }
    let manifest = scratch.root.join("Cargo.toml");
    let resolved = resolve(&scratch.sh, &manifest, true).or_else(|offline| {
        // Offline first; over the network only when the cache missed something.
        let unreachable = matches!(cargo::classify(&offline, &locked), cargo::LockProblem::Unreachable(_));
        if unreachable && !offline_only() { resolve(&scratch.sh, &manifest, false) } else { Err(offline) }
    });
    if let Err(stderr) = resolved {
        return Ok(Some(format!(
            "cargo cannot resolve the xtask's dependencies together with the workspace's:\n{}",
            cargo::last_relevant(&stderr)
        )));
    }
    let after = crate::ops::fs::read(scratch.root.join("Cargo.lock"))?;
    let changed = changed(&locked, &after);
    if changed.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!("as a member it would change these locked versions: {}", changed.join(", "))))
}

fn write(root: &Utf8Path, rel: &str, text: &str) -> Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {path}"))
}

/// Whether cargo is told to stay offline (`CARGO_NET_OFFLINE`).
fn offline_only() -> bool {
    std::env::var("CARGO_NET_OFFLINE").is_ok_and(|v| v == "true" || v == "1")
}

/// `cargo update --workspace`: the members re-resolved (the xtask and its dependencies
/// added), every other package held at its locked version unless a requirement forbids
/// it. Cargo's stderr when it fails.
fn resolve(sh: &Shell, manifest: &Utf8Path, offline: bool) -> Result<(), String> {
    let command = cargo::command(sh)
        .args(["update", "--workspace", "--manifest-path"])
        .arg(manifest)
        .args(offline.then_some("--offline"))
        .env("CARGO_TERM_COLOR", "never")
        .quiet()
        .ignore_status();
    match command.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        Err(err) => Err(format!("cannot run cargo: {err}")),
    }
}

/// The packages of `before` (name, version, source) that `after` no longer holds, as
/// `name version`. Pure, for tests.
pub fn changed(before: &str, after: &str) -> Vec<String> {
    let after = packages(after);
    packages(before)
        .into_iter()
        .filter(|p| !after.contains(p))
        .map(|(name, version, _)| format!("{name} {version}"))
        .collect()
}

fn packages(lock: &str) -> BTreeSet<(String, String, String)> {
    let Ok(doc) = lock.parse::<toml_edit::DocumentMut>() else { return BTreeSet::new() };
    let Some(list) = doc.get("package").and_then(|p| p.as_array_of_tables()) else { return BTreeSet::new() };
    let field = |t: &toml_edit::Table, key: &str| t.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    list.iter().map(|t| (field(t, "name"), field(t, "version"), field(t, "source"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_upgraded_or_gone_is_a_change_and_one_added_is_not() {
        let before = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.228\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let added = format!("{before}\n[[package]]\nname = \"xtask\"\nversion = \"0.0.0\"\n");
        assert!(changed(before, &added).is_empty());
        let upgraded = before.replace("1.0.228", "1.0.229");
        assert_eq!(changed(before, &upgraded), ["serde 1.0.228"]);
    }
}
