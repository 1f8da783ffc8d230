//! A version the registry has with another checksum than our package: whether it holds
//! the same files all the same. Every `.crate` records the commit it was packaged from in
//! `.cargo_vcs_info.json`, so packaging at any later commit (a fix committed after a
//! partial failure) changes the checksum of every crate, not only of those that changed.

use std::collections::BTreeMap;
use std::io::Read as _;

use anyhow::{Context as _, Result, bail};
use semver::Version;

use super::index::{crate_url, download_template};
use super::packaged::{self, MAX_ENTRY};
use crate::ops::http::{self, Size};
use crate::ops::sha;

/// The file that names the commit; the one file allowed to differ.
pub const VCS_INFO: &str = ".cargo_vcs_info.json";

/// Compared without its checksums (see [`without_checksums`]).
const LOCKFILE: &str = "Cargo.lock";

/// How a published `.crate` compares with ours, file by file.
#[derive(Debug, PartialEq, Eq)]
pub struct Comparison {
    /// Paths inside the package that only one side has or whose content differs, other
    /// than [`VCS_INFO`].
    pub differing: Vec<String>,
    /// The commit the published package was made from, when it records one.
    pub commit: Option<String>,
}

/// Compares two `.crate` files of `stem` (`NAME-VERSION`) by the files they hold.
pub fn compare(ours: &[u8], theirs: &[u8], stem: &str) -> Result<Comparison> {
    let (ours, _) = digests(ours, stem).with_context(|| format!("cannot read our {stem}.crate"))?;
    let (theirs, commit) = digests(theirs, stem).with_context(|| format!("cannot read the published {stem}.crate"))?;
    let mut differing: Vec<String> = ours
        .iter()
        .filter(|(path, digest)| theirs.get(*path) != Some(digest))
        .map(|(path, _)| path.clone())
        .chain(theirs.keys().filter(|path| !ours.contains_key(*path)).cloned())
        .filter(|path| path != VCS_INFO)
        .collect();
    differing.sort();
    Ok(Comparison { differing, commit })
}

/// The sha256 of every file of the package, by its path inside it, and the commit its
/// `.cargo_vcs_info.json` names.
fn digests(bytes: &[u8], stem: &str) -> Result<(BTreeMap<String, String>, Option<String>)> {
    let mut found = BTreeMap::new();
    let mut commit = None;
    packaged::for_each_file(bytes, stem, |path, _, mut entry| {
        // Every path is under `stem/`; one elsewhere is compared under its full path.
        let path = path.strip_prefix(stem).unwrap_or(path).to_string_lossy().replace('\\', "/");
        if path == VCS_INFO {
            let mut text = String::new();
            entry.take(MAX_ENTRY).read_to_string(&mut text).with_context(|| format!("cannot read {path}"))?;
            commit = vcs_commit(&text);
            return Ok(());
        }
        let digest = if path == LOCKFILE {
            let mut text = String::new();
            entry.take(MAX_ENTRY).read_to_string(&mut text).with_context(|| format!("cannot read {path}"))?;
            sha::hash_bytes(without_checksums(&text).as_bytes())
        } else {
            sha::hash_reader(&mut entry).with_context(|| format!("cannot read {path}"))?
        };
        found.insert(path, digest.to_string());
        Ok(())
    })?;
    Ok((found, commit))
}

/// A packaged `Cargo.lock` without its `checksum` lines. It records the checksum of each
/// workspace crate it depends on as packaged in the same run, which names its commit too;
/// a registry version's checksum never changes, so name, version and source say it all.
fn without_checksums(lock: &str) -> String {
    lock.lines().filter(|line| !line.trim_start().starts_with("checksum = ")).collect::<Vec<_>>().join("\n")
}

/// `git.sha1` of a `.cargo_vcs_info.json`.
fn vcs_commit(text: &str) -> Option<String> {
    let info: serde_json::Value = serde_json::from_str(text).ok()?;
    info.get("git")?.get("sha1")?.as_str().map(str::to_string)
}

/// The `.crate` the registry serves for `name` `version`, checked against the index's
/// `cksum` so that what we compare is what the registry publishes.
pub fn download(index_url: &str, name: &str, version: &Version, cksum: &str) -> Result<Vec<u8>> {
    let base = index_url.strip_prefix("sparse+").unwrap_or(index_url);
    let url = crate_url(&download_template(base)?, name, version);
    let mut response = http::agent(Size::Transfer)
        .get(&url)
        .call()
        .map_err(|err| anyhow::anyhow!("cannot download {url}: {}", http::describe(Size::Transfer, &err)))?;
    let status = response.status().as_u16();
    if status != 200 {
        bail!("{url} answered HTTP {status}");
    }
    // crates.io refuses a `.crate` over 10 MiB; a registry may allow more, within reason.
    let bytes = response
        .body_mut()
        .with_config()
        .limit(16 * MAX_ENTRY)
        .read_to_vec()
        .with_context(|| format!("cannot read {url}"))?;
    let got = sha::hash_bytes(&bytes).to_string();
    if got != cksum {
        bail!("{url} gives other bytes (sha256 {got}) than the index lists ({cksum})");
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::packaged::build;

    const VCS_A: &[u8] = br#"{"git":{"sha1":"aaaa1111"},"path_in_vcs":"crates/a"}"#;
    const VCS_B: &[u8] = br#"{"git":{"sha1":"bbbb2222"},"path_in_vcs":"crates/a"}"#;

    #[test]
    fn only_the_commit_differing_is_the_same_files() {
        let ours = build("a-1.0.0", &[(VCS_INFO, VCS_B), ("Cargo.toml", b"[package]"), ("src/lib.rs", b"fn a() {}")]);
        let theirs = build("a-1.0.0", &[(VCS_INFO, VCS_A), ("Cargo.toml", b"[package]"), ("src/lib.rs", b"fn a() {}")]);
        let same = compare(&ours, &theirs, "a-1.0.0").unwrap();
        assert_eq!(same, Comparison { differing: vec![], commit: Some("aaaa1111".into()) });
    }

    #[test]
    fn a_lockfile_is_compared_without_its_checksums() {
        let lock = |sum: &str, version: &str| {
            format!("[[package]]\nname = \"a-core\"\nversion = \"{version}\"\nchecksum = \"{sum}\"\n")
        };
        let ours = build("a-1.0.0", &[(VCS_INFO, VCS_B), ("Cargo.lock", lock("11", "1.0.0").as_bytes())]);
        let theirs = build("a-1.0.0", &[(VCS_INFO, VCS_A), ("Cargo.lock", lock("22", "1.0.0").as_bytes())]);
        assert!(compare(&ours, &theirs, "a-1.0.0").unwrap().differing.is_empty());
        let other = build("a-1.0.0", &[(VCS_INFO, VCS_A), ("Cargo.lock", lock("22", "1.0.1").as_bytes())]);
        assert_eq!(compare(&ours, &other, "a-1.0.0").unwrap().differing, ["Cargo.lock"]);
    }

    #[test]
    fn any_other_file_that_differs_is_named() {
        let ours = build(
            "a-1.0.0",
            &[(VCS_INFO, VCS_B), ("Cargo.toml", b"[package]"), ("src/lib.rs", b"fn b() {}"), ("src/new.rs", b"")],
        );
        let theirs = build(
            "a-1.0.0",
            &[(VCS_INFO, VCS_A), ("Cargo.toml", b"[package]"), ("src/lib.rs", b"fn a() {}"), ("build.rs", b"")],
        );
        let compared = compare(&ours, &theirs, "a-1.0.0").unwrap();
        assert_eq!(compared.differing, ["build.rs", "src/lib.rs", "src/new.rs"]);
        assert_eq!(compared.commit.as_deref(), Some("aaaa1111"));
        // Without vcs info (packaged with --allow-dirty outside git) there is no commit to name.
        let bare = build("a-1.0.0", &[("Cargo.toml", b"[package]"), ("src/lib.rs", b"fn a() {}")]);
        assert_eq!(compare(&theirs, &bare, "a-1.0.0").unwrap().commit, None);
        assert!(compare(b"not gzip", &theirs, "a-1.0.0").is_err());
    }
}
