//! The registry part of `verify-published`: each crate the publish plan publishes is in
//! the sparse index at the version, not yanked, has the checksum of the `.crate` that
//! packaging the tagged tree gives, and its download answers with those bytes.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use semver::Version;
use xshell::{Shell, cmd};

use super::{Check, Finding};
use crate::ops::http::{self, Size};
use crate::ops::sha;
use crate::ops::{cargo, git};
use crate::publish::index::{Index, NoRegistry, crate_url, download_template};
use crate::publish::order;
use crate::publish::registry_config::Registry;
use crate::report::Reporter;
use crate::workspace::Workspace;

pub fn check(
    sh: &Shell,
    ws: &Workspace,
    registry: &Registry,
    version: &Version,
    tag: &str,
    reporter: &dyn Reporter,
) -> Vec<Finding> {
    let name = registry.name.as_deref();
    let crates = match order::select(ws, name, &[], &[]).and_then(|selected| order::levels(ws, &selected)) {
        Ok(levels) => levels.iter().flatten().map(|m| m.name.clone()).collect::<Vec<_>>(),
        Err(err) => return vec![Finding::unchecked(Check::Registry, "publish plan", format!("{err:#}"))],
    };
    if crates.is_empty() {
        return vec![Finding::ok(Check::Registry, "publish plan", format!("no crate goes to {}", registry.display()))];
    }
    let packaged = package_tag(sh, ws, registry, tag, version, &crates, reporter).map_err(|err| format!("{err:#}"));
    if let Err(why) = &packaged {
        reporter.warn(&format!("comparing with the index entries alone: {why}"));
    }
    let download = download_template(&registry.index_url);
    if let Err(Some(err)) = download.as_ref().map_err(|e| e.downcast_ref::<NoRegistry>()) {
        // Not the registry: each crate "not in the index" would send the user looking for
        // what was not published, when it is the URL that is wrong.
        return vec![Finding::unchecked(Check::Registry, "registry", err.to_string())];
    }
    let index = Index::new(&registry.index_url);
    crates
        .iter()
        .map(|name| {
            let subject = format!("{name} {version}");
            let entry = match index.find(name, version) {
                Ok(Some(entry)) => entry,
                Ok(None) => {
                    return Finding::problem(
                        Check::Registry,
                        subject,
                        format!("is not in the index of {} ({})", registry.display(), index.file_url(name)),
                    );
                }
                // The index did not answer: nothing is known about the crate.
                Err(err) => return Finding::unchecked(Check::Registry, subject, format!("{err:#}")),
            };
            let mut problems = Vec::new();
            let mut details = vec!["in the index".to_string()];
            if entry.yanked {
                problems.push(format!("is yanked on {}", registry.display()));
            }
            match &packaged {
                Ok(sums) => match sums.get(name) {
                    Some(ours) if *ours == entry.cksum => details.push(format!("same content as the package of {tag}")),
                    Some(ours) => problems.push(format!(
                        "has other content than the package of {tag}: index cksum {}, package {ours} (or it was \
                         packaged by another cargo version)",
                        entry.cksum
                    )),
                    None => details.push("not packaged; index entry alone".into()),
                },
                Err(_) => details.push(format!("content not compared with {tag} (index entry alone)")),
            }
            match download
                .as_ref()
                .map_err(|e| format!("{e:#}"))
                .and_then(|dl| fetch_sha256(&crate_url(dl, name, version)))
            {
                Ok(sha) if sha == entry.cksum => details.push("download answers with those bytes".into()),
                Ok(sha) => problems.push(format!("its download gives other bytes (sha256 {sha}) than the index lists")),
                Err(err) => problems.push(format!("its download does not answer: {err}")),
            }
            if problems.is_empty() {
                Finding::ok(Check::Registry, subject, details.join(", "))
            } else {
                Finding::problem(Check::Registry, subject, problems.join("; "))
            }
        })
        .collect()
}

/// The sha256 of each crate's `.crate` as `cargo package` makes it from the tagged
/// commit, checked out in a temporary git worktree (outside the workspace, so cargo does
/// not mistake it for a member) that is removed afterwards.
fn package_tag(
    sh: &Shell,
    ws: &Workspace,
    registry: &Registry,
    tag: &str,
    version: &Version,
    crates: &[String],
    reporter: &dyn Reporter,
) -> Result<BTreeMap<String, String>> {
    let Some(info) = git::tag_info(sh, tag)? else {
        bail!("tag {tag} is not in this clone (fetch it with `git fetch origin tag {tag}`)");
    };
    let toplevel = git::read(sh, cmd!(sh, "git rev-parse --show-toplevel"), "cannot find the repository's top")?;
    let toplevel = std::fs::canonicalize(&toplevel).with_context(|| format!("cannot resolve {toplevel}"))?;
    let root = std::fs::canonicalize(&ws.root).with_context(|| format!("cannot resolve {}", ws.root))?;
    let inner = root.strip_prefix(&toplevel).unwrap_or(std::path::Path::new("")).to_path_buf();
    let scratch = std::env::temp_dir().join(format!("xtask-release-verify-{}", std::process::id()));
    let tree = scratch.join("tree");
    let _ = std::fs::remove_dir_all(&scratch);
    let commit = info.commit;
    let checkout = cmd!(sh, "git worktree add --quiet --detach {tree} {commit}");
    git::read(sh, checkout, &format!("cannot check out {tag} in a temporary worktree"))?;
    let result = (|| {
        let manifest = tree.join(&inner).join("Cargo.toml");
        let target = scratch.join("target");
        let registry_args: Vec<String> =
            registry.name.iter().flat_map(|name| ["--registry".to_string(), name.clone()]).collect();
        let packages: Vec<String> = crates.iter().flat_map(|c| ["-p".to_string(), c.clone()]).collect();
        reporter.status(
            "Packaging",
            &format!("{tag} to compare checksums ({})", crate::output::plural(crates.len(), "crate")),
        );
        let command = cargo::command(sh)
            .args(["package", "--quiet", "--no-verify", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .args(registry_args)
            .args(packages)
            .quiet()
            .ignore_stdout();
        cargo::run_reporting(command, "cargo package", reporter)
            .with_context(|| format!("cargo package of {tag} failed"))?;
        crates
            .iter()
            .map(|name| {
                let path = Utf8PathBuf::from_path_buf(target.join("package").join(format!("{name}-{version}.crate")))
                    .map_err(|p| anyhow::anyhow!("{} is not UTF-8", p.display()))?;
                let digest =
                    sha::hash_file(path.as_std_path()).with_context(|| format!("cannot read the package {path}"))?;
                Ok((name.clone(), digest.to_string()))
            })
            .collect()
    })();
    let _ = cmd!(sh, "git worktree remove --force {tree}").quiet().ignore_stderr().run();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Streams a download through SHA-256.
fn fetch_sha256(url: &str) -> Result<String, String> {
    let response = http::agent(Size::Transfer)
        .get(url)
        .call()
        .map_err(|e| format!("{url}: {}", http::describe(Size::Transfer, &e)))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let mut reader = response.into_body().into_reader();
    let digest = sha::hash_reader(&mut reader).map_err(|err| format!("{url} was cut short: {err}"))?;
    Ok(digest.to_string())
}
