//! File reads and atomic writes that name the file when they fail.

use std::io::Write;

use anyhow::{Context as _, Result};
use cargo_metadata::camino::Utf8Path;

pub fn read(path: &Utf8Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))
}

/// Writes `contents` to a temporary file beside `path` and renames it over `path`, so a
/// reader (or an interrupted run) sees either the old file or the new one, never half.
/// The permissions of an existing file are kept.
pub fn write_atomic(path: &Utf8Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_str().is_empty()).unwrap_or(Utf8Path::new("."));
    let name = path.file_name().with_context(|| format!("{path} is not a file path"))?;
    let tmp = dir.join(format!(".{name}.xtask-release.tmp"));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {path}"))
}

/// A planned change to one file: its whole text before and after. Plans hold these so a
/// dry run can print them as diffs and an execution can write them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileEdit {
    pub path: cargo_metadata::camino::Utf8PathBuf,
    #[serde(skip)]
    pub before: String,
    #[serde(skip)]
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
