//! A scratch copy of HEAD in a temporary directory, for the facts the working tree cannot
//! give: the release edits computed from the committed files when an interrupted run left
//! some of them written, and the lock check run on the edits before any is written.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use xshell::{Shell, cmd};

use crate::ops::fs::FileEdit;
use crate::ops::git;
use crate::workspace::Workspace;

/// HEAD's files checked out under a temporary directory, removed on drop. The repository
/// is only read: the checkout goes through an index file of its own.
pub struct Scratch {
    dir: PathBuf,
    /// A shell in the copy whose git commands read the real repository (`GIT_DIR`), for
    /// what is computed from history, like the changelog section.
    pub sh: Shell,
    /// The workspace root inside the copy.
    pub root: Utf8PathBuf,
    /// The real repository's root, which `git status` paths are relative to.
    pub top: Utf8PathBuf,
}

impl Scratch {
    /// Checks out HEAD of the repository that holds `ws` into a new temporary directory.
    pub fn of_head(sh: &Shell, ws: &Workspace) -> Result<Scratch> {
        git::repository(sh)?;
        let top = git::read(sh, cmd!(sh, "git rev-parse --show-toplevel"), "cannot find the repository's top")?;
        let top = Utf8PathBuf::from(top);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("xtask-release-head-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let scratch_dir = Utf8PathBuf::try_from(dir.clone()).context("the temporary directory is not UTF-8")?;
        // Paths inside the repository are relative to its top, whatever the shell's directory.
        let within = ws.root.strip_prefix(&top).unwrap_or(Utf8Path::new("")).to_owned();
        let git_dir =
            git::read(sh, cmd!(sh, "git rev-parse --absolute-git-dir"), "cannot find the repository's git directory")?;
        let scratch_sh = Shell::new().context("cannot read the current directory")?;
        scratch_sh.set_var("GIT_DIR", git_dir);
        let root = scratch_dir.join("tree").join(within);
        scratch_sh.change_dir(root.as_std_path());
        let scratch = Scratch { dir, sh: scratch_sh, root, top: top.clone() };
        let index = scratch_dir.join("index");
        let prefix = format!("{}/", scratch_dir.join("tree"));
        let _top = sh.push_dir(top.as_std_path());
        git::read(sh, cmd!(sh, "git read-tree HEAD").env("GIT_INDEX_FILE", &index), "cannot read HEAD's tree")?;
        // Git LFS objects stay pointers: no version lives in them, and fetching them
        // would make a dry run download.
        let copy = cmd!(sh, "git checkout-index --all --prefix={prefix}")
            .env("GIT_INDEX_FILE", &index)
            .env("GIT_LFS_SKIP_SMUDGE", "1");
        git::read(sh, copy, "cannot copy HEAD's files to a temporary directory")?;
        Ok(scratch)
    }

    /// The workspace as committed at HEAD, with its root's config.
    pub fn workspace(&self) -> Result<Workspace> {
        Workspace::load(&self.sh, Some(self.root.join("Cargo.toml").as_std_path()))
            .context("cannot read the workspace as committed at HEAD")
    }

    /// `edit` computed in the copy, moved to the same file under `root`.
    pub fn to_real(&self, edit: FileEdit, root: &Utf8Path) -> FileEdit {
        let rel = edit.path.strip_prefix(&self.root).map(Utf8Path::to_owned).unwrap_or_else(|_| edit.path.clone());
        FileEdit { path: root.join(rel), ..edit }
    }

    /// `edit` (of a file under the real root) written into the copy instead. A symlink
    /// there is replaced, never written through: the copy's links lead where the
    /// committed ones do, maybe out of the copy.
    pub fn write(&self, edit: &FileEdit, root: &Utf8Path) -> Result<()> {
        let rel = edit.path.strip_prefix(root).unwrap_or(&edit.path);
        let path = self.root.join(rel);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            std::fs::remove_file(&path).with_context(|| format!("cannot replace the symlink {path}"))?;
        }
        std::fs::write(&path, &edit.after).with_context(|| format!("cannot write {path}"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
