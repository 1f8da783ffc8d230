//! What a work tree holds, as digests a plan can carry: HEAD and what is not committed
//! (for the approval gate), and a set of files by name and content (for a package).

use std::path::Path;

use cargo_metadata::camino::Utf8Path;
use serde::{Deserialize, Serialize};
use xshell::{Shell, cmd};

use crate::ops::sha;

/// The tree a plan was made from. Every approved plan carries it, so that a commit, or an
/// edit not committed, between the dry run and `--execute` changes the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkTree {
    /// HEAD's commit; `None` outside a git work tree, or before the first commit.
    pub commit: Option<String>,
    /// `sha256:<hex>` of the changes `git status` lists (each path, its status and its
    /// content), cargo's target directory left out; `None` when there are none.
    pub uncommitted: Option<String>,
}

impl WorkTree {
    /// The tree `sh` is in; `target_dir` (cargo's, where dry runs keep plans and builds
    /// write) is left out. Never fails: what git cannot say is `None`.
    pub fn read(sh: &Shell, target_dir: &Utf8Path) -> WorkTree {
        let commit = crate::ops::git::head(sh).ok();
        let uncommitted = commit.as_ref().and_then(|_| uncommitted(sh, target_dir));
        WorkTree { commit, uncommitted }
    }
}

/// The digest of what `git status` lists, or `None` when it lists nothing (or git cannot
/// say). Paths come from the repository's top, where the files are read.
fn uncommitted(sh: &Shell, target_dir: &Utf8Path) -> Option<String> {
    let top = cmd!(sh, "git rev-parse --show-toplevel").quiet().read().ok()?;
    let top = Path::new(top.trim());
    let resolved = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let mut exclude = Vec::new();
    if let Ok(inside) = resolved(target_dir.as_std_path()).strip_prefix(resolved(top))
        && !inside.as_os_str().is_empty()
    {
        exclude.push(format!(":(top,exclude){}", inside.display()));
    }
    let status = cmd!(sh, "git status --porcelain=v1 -z --untracked-files=all -- :/ {exclude...}")
        .quiet()
        .ignore_stderr()
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    if status.stdout.is_empty() {
        return None;
    }
    let mut hasher = sha::Hasher::new();
    hasher.update(&status.stdout);
    // Each entry is `XY path`, and a rename's old path follows as its own entry.
    for entry in status.stdout.split(|b| *b == 0).filter(|e| e.len() > 3) {
        let path = top.join(String::from_utf8_lossy(&entry[3..]).as_ref());
        content(&mut hasher, &path);
    }
    Some(format!("sha256:{}", hasher.finish()))
}

/// Adds a file's content to `hasher`: its sha256, or a marker for a file that is gone or
/// not a regular file (a FIFO is never opened).
pub fn content(hasher: &mut sha::Hasher, path: &Path) {
    match sha::hash_file(path) {
        Ok(digest) => hasher.update(&digest.0),
        Err(_) => hasher.update(b"(not a readable regular file)"),
    }
    hasher.update(b"\0");
}
