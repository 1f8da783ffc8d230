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
