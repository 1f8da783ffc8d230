//! Reading git state and making commits, tags and pushes, always through xshell.

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

/// Whether the work tree and index have no changes to tracked files and no untracked files.
pub fn is_clean(sh: &Shell) -> Result<bool> {
    let status =
        cmd!(sh, "git status --porcelain").quiet().read().context("git status failed; is this a git repository?")?;
    Ok(status.trim().is_empty())
}

/// The checked-out branch, or `None` on a detached HEAD.
pub fn current_branch(sh: &Shell) -> Result<Option<String>> {
    let out = cmd!(sh, "git symbolic-ref --quiet --short HEAD").quiet().ignore_status().output()?;
    Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// Whether `tag` exists in the local repository.
pub fn tag_exists(sh: &Shell, tag: &str) -> Result<bool> {
    let refname = format!("refs/tags/{tag}");
    let out = cmd!(sh, "git rev-parse --verify --quiet {refname}").quiet().ignore_status().output()?;
    Ok(out.status.success())
}

/// Whether a remote of that name is configured.
pub fn has_remote(sh: &Shell, remote: &str) -> Result<bool> {
    let remotes = cmd!(sh, "git remote").quiet().read()?;
    Ok(remotes.lines().any(|r| r.trim() == remote))
}
