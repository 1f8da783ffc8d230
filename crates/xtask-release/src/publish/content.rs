//! What decides the bytes of each `.crate`, read without compiling anything: the files
//! `cargo package --list` names, by name and content, with the workspace's root manifest
//! (inherited fields) and Cargo.lock (the packaged lock file). The plan carries one digest
//! per crate, and the run computes them again right before the first upload, so code that
//! changed after the dry run is refused instead of uploaded.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use xshell::Shell;

use super::order::Plan;
use crate::ops::sha;
use crate::ops::{cargo, git, tree};
use crate::workspace::{Member, Workspace};

/// `sha256:<hex>` of what `member`'s package is made from.
pub(crate) fn digest(sh: &Shell, ws: &Workspace, member: &Member, registry: Option<&str>) -> Result<String> {
    let name = &member.name;
    let registry_args = registry.map(|r| ["--registry", r]).into_iter().flatten();
    let output = cargo::command(sh)
        .args(["package", "--list", "--allow-dirty", "-p", name])
        .args(registry_args)
        .quiet()
        .ignore_status()
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!(
            "`cargo package --list -p {name}` failed, so the plan cannot say what `{name}` uploads: {}; fix that \
             and run again",
            cargo::last_relevant(&String::from_utf8_lossy(&output.stderr))
        );
    }
    let listed = String::from_utf8_lossy(&output.stdout);
    let dir = member.manifest_path.parent().unwrap_or(&ws.root);
    let mut files: Vec<&str> = listed.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    files.sort_unstable();
    let mut hasher = sha::Hasher::new();
    for file in files {
        hasher.update(file.as_bytes());
        hasher.update(b"\0");
        // Files cargo writes itself (`.cargo_vcs_info.json`, a `Cargo.lock` of the
        // workspace's) are not in the package's directory: their name is enough, what
        // decides them is the commit and the root files below.
        tree::content(&mut hasher, dir.join(file).as_std_path());
    }
    for root_file in ["Cargo.toml", "Cargo.lock"] {
        hasher.update(root_file.as_bytes());
        hasher.update(b"\0");
        tree::content(&mut hasher, ws.root.join(root_file).as_std_path());
    }
    Ok(format!("sha256:{}", hasher.finish()))
}

/// Each crate's digest, by name.
pub(crate) fn digests<'a>(
    sh: &Shell,
    ws: &Workspace,
    members: impl Iterator<Item = &'a Member>,
    registry: Option<&str>,
) -> Result<BTreeMap<String, String>> {
    members.map(|m| Ok((m.name.clone(), digest(sh, ws, m, registry)?))).collect()
}

/// Refuses when what the crates are made from is not what the plan says: another commit,
/// or a crate whose files changed since the plan was made. Naming each crate, and what
/// differs; nothing was uploaded then.
pub(crate) fn check_unchanged(sh: &Shell, ws: &Workspace, plan: &Plan) -> Result<()> {
    let mut changed = Vec::new();
    let commit = git::head(sh).ok();
    if commit != plan.commit {
        let shown = |c: &Option<String>| c.clone().unwrap_or_else(|| "none".into());
        changed.push(format!("the commit is {}, the plan's is {}", shown(&commit), shown(&plan.commit)));
    }
    for krate in &plan.crates {
        let Some(member) = ws.member(&krate.name) else {
            changed.push(format!("`{}` is no longer a member of the workspace", krate.name));
            continue;
        };
        let now = digest(sh, ws, member, plan.registry.name.as_deref())?;
        if now != krate.content {
            changed.push(format!(
                "the files of `{}` changed since the plan was made (content {} -> {now})",
                krate.name, krate.content
            ));
        }
    }
    if !changed.is_empty() {
        bail!(
            "what the plan was made from changed, so nothing was uploaded:\n  {}\nreview the new plan with a dry \
             run (and approve its digest), then run it",
            changed.join("\n  ")
        );
    }
    Ok(())
}
