//! File reads and atomic writes that name the file when they fail.

use std::io::Write;

use anyhow::{Context as _, Result};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};

pub fn read(path: &Utf8Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))
}

/// Writes `contents` to a temporary file beside `path` and renames it over `path`, so a
/// reader (or an interrupted run) sees either the old file or the new one, never half.
/// The permissions of an existing file are kept, and a symlink is written through: its
/// target gets the new contents and the link stays a link. After an error no temporary
/// file is left; one left by a killed run is [`stale_temp`].
pub fn write_atomic(path: &Utf8Path, contents: &[u8]) -> Result<()> {
    let target = link_target(path)?;
    let tmp = temp_path(&target).with_context(|| format!("{path} is not a file path"))?;
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        if let Ok(meta) = std::fs::metadata(&target) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() && std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.is_file()) {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| match target == path {
        true => format!("cannot write {path}"),
        false => format!("cannot write {path} (a symlink to {target})"),
    })
}

/// The file a symlink at `path` finally names, or `path` itself.
fn link_target(path: &Utf8Path) -> Result<Utf8PathBuf> {
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(path.to_path_buf());
    }
    let target = std::fs::canonicalize(path)
        .with_context(|| format!("{path} is a symlink whose target cannot be resolved; fix or replace the link"))?;
    Utf8PathBuf::try_from(target).with_context(|| format!("the target of the symlink {path} is not a UTF-8 path"))
}

/// `.NAME.xtask-release.tmp` beside `path`: where [`write_atomic`] writes first.
pub fn temp_path(path: &Utf8Path) -> Option<Utf8PathBuf> {
    let dir = path.parent().filter(|p| !p.as_str().is_empty()).unwrap_or(Utf8Path::new("."));
    Some(dir.join(format!(".{}.xtask-release.tmp", path.file_name()?)))
}

/// The temporary file a killed run left beside `path` (its target, for a symlink), if any:
/// a regular file at [`temp_path`]. Anything else there is not ours and is left alone.
pub fn stale_temp(path: &Utf8Path) -> Option<Utf8PathBuf> {
    let target = link_target(path).ok()?;
    let tmp = temp_path(&target)?;
    std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.is_file()).then_some(tmp)
}

/// A planned change to one file: its whole text before and after. Plans hold these so a
/// dry run can print them as diffs and an execution can write them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileEdit {
    pub path: cargo_metadata::camino::Utf8PathBuf,
    #[serde(skip)]
    pub before: String,
    /// The file's whole new text, in a JSON plan as `content`.
    #[serde(rename = "content")]
    pub after: String,
}

impl FileEdit {
    /// A unified diff with the path shown relative to `root`.
    pub fn diff(&self, root: &Utf8Path) -> String {
        let shown = self.path.strip_prefix(root).unwrap_or(&self.path);
        crate::ops::diff::unified(shown.as_str(), &self.before, &self.after)
    }

    pub fn apply(&self) -> Result<()> {
        write_atomic(&self.path, self.after.as_bytes())
    }
}
