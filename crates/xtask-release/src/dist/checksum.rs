//! `checksum`: `.sha256` files in the format `sha256sum -c` reads, written and verified.
//!
//! Writing only adds checksum files beside the files it hashes, so unlike the release
//! steps it needs no `--execute`; it hashes everything before it writes anything, so a
//! file it cannot read leaves every checksum file as it was.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8Path;
use serde::Serialize;

use super::check::{self, Check, Finding, Status};
use super::{sha, sums};
use crate::ops::fs::write_atomic;

/// What to hash or verify.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Files, or directories whose files are hashed (recursively; `.sha256` files, the
    /// sums file and hidden files are left out).
    pub paths: Vec<PathBuf>,
    /// Also write one combined sums file (e.g. SHA256SUMS); when verifying, check it.
    pub sums: Option<PathBuf>,
}

impl Options {
    pub fn new(paths: impl IntoIterator<Item = impl Into<PathBuf>>) -> Options {
        Options { paths: paths.into_iter().map(Into::into).collect(), sums: None }
    }

    pub fn sums(mut self, file: impl Into<PathBuf>) -> Options {
        self.sums = Some(file.into());
        self
    }
}

/// One file hashed and the checksum file written for it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Written {
    pub file: String,
    pub sha256: String,
    pub checksum_file: String,
}

impl Options {
    /// Hashes every file, then writes each `.sha256` (and the sums file); a file it cannot
    /// read leaves every checksum file as it was.
    pub fn write(&self) -> Result<Vec<Written>> {
        let files = collect(&self.paths, self.sums.as_deref())?;
        if files.is_empty() {
            bail!("no files to hash in {}; name the files or directories of the assets", shown_list(&self.paths));
        }
        let digests = sha::hash_files(&files);
        let mut written = Vec::new();
        for (file, digest) in files.iter().zip(digests) {
            let digest = digest.with_context(|| format!("cannot read {}", file.display()))?;
            written.push((file, digest));
        }
        // Names in a sums file are relative to its directory, which is where
        // `sha256sum -c` has to run; compute them all before writing anything.
        let sums_text = match &self.sums {
            Some(sums) => {
                let dir = parent_dir(sums);
                let mut text = String::new();
                for (file, digest) in &written {
                    text.push_str(&sums::line(digest, &relative_name(dir, file)?));
                }
                Some(text)
            }
            None => None,
        };

        let mut report = Vec::new();
        for (file, digest) in &written {
            let sidecar = sidecar(file);
            write_if_changed(&sidecar, &sums::line(digest, &file_name(file)?))?;
            report.push(Written {
                file: file.display().to_string(),
                sha256: digest.to_string(),
                checksum_file: sidecar.display().to_string(),
            });
        }
        if let (Some(sums), Some(text)) = (&self.sums, &sums_text) {
            write_if_changed(sums, text)?;
        }

        Ok(report)
    }

    /// Checks the existing `.sha256` files (or the sums file); changes nothing.
    pub fn verify(&self) -> Result<Vec<Finding>> {
        let mut checks = Vec::new();
        let mut findings = Vec::new();
        match &self.sums {
            Some(sums) => {
                checks = check::read_checks(sums)?;
                findings.extend(unlisted(&self.paths, sums, &checks)?);
            }
            None => {
                for path in &self.paths {
                    let (sidecars, without) = sidecars_of(path)?;
                    for sidecar in sidecars {
                        checks.extend(check::read_checks(&sidecar)?);
                    }
                    findings.extend(without);
                }
            }
        }
        if checks.is_empty() && findings.is_empty() {
            bail!("no checksums found in {}; write them first with `checksum`", shown_list(&self.paths));
        }
        let mut findings_all = check::run(&checks);
        findings_all.extend(findings);
        Ok(findings_all)
    }
}

/// The checksum file written beside `file`.
pub fn sidecar(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// A `.sha256` file, or a combined sums file by its conventional name (`SHA256SUMS`,
/// `sha256sums.txt`): never hashed itself when walking, always read when verifying.
pub fn is_checksum_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "sha256")
        || path.file_name().is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().starts_with("sha256sums"))
}

/// The files to hash: named files as given, directories walked, without duplicates.
fn collect(paths: &[PathBuf], sums: Option<&Path>) -> Result<Vec<PathBuf>> {
    let sums = sums.and_then(|s| canonical_file(s).ok());
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for path in paths {
        let found = if path.is_dir() {
            walk(path)?.into_iter().filter(|f| !is_checksum_file(f)).collect()
        } else if path.exists() {
            vec![path.clone()]
        } else {
            bail!("{} does not exist; name existing files or directories", path.display());
        };
        for file in found {
            let canonical = canonical_file(&file)?;
            if Some(&canonical) != sums.as_ref() && seen.insert(canonical) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

/// Every file under `dir`, sorted, leaving out hidden files and directories (such as a
/// half-written `.name.xtask-release.tmp`) and symlinked directories.
pub fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .and_then(|rd| rd.collect::<std::io::Result<Vec<_>>>())
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut files = Vec::new();
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Symlinked directories are left out: a link back up would never end.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            files.extend(walk(&path)?);
        } else if !path.is_dir() {
            files.push(path);
        }
    }
    Ok(files)
}

/// The checksum files that `path` stands for, and a finding for each file that should
/// have one and has not.
fn sidecars_of(path: &Path) -> Result<(Vec<PathBuf>, Vec<Finding>)> {
    let files = if path.is_dir() {
        walk(path)?
    } else if is_checksum_file(path) || path.exists() {
        vec![path.to_path_buf()]
    } else {
        bail!("{} does not exist; name existing files or directories", path.display());
    };
    let present: BTreeSet<&PathBuf> = files.iter().collect();
    let mut sidecars = Vec::new();
    let mut without = Vec::new();
    for file in &files {
        if is_checksum_file(file) {
            sidecars.push(file.clone());
            continue;
        }
        let sidecar = sidecar(file);
        if present.contains(&sidecar) {
            // Read when the walk reaches it.
        } else if sidecar.exists() {
            sidecars.push(sidecar);
        } else {
            let expected = sidecar.display().to_string();
            without.push(Finding { file: file.display().to_string(), status: Status::NoChecksum { expected } });
        }
    }
    Ok((sidecars, without))
}

/// Files under `paths` that the sums file does not list.
fn unlisted(paths: &[PathBuf], sums: &Path, checks: &[Check]) -> Result<Vec<Finding>> {
    let listed: BTreeSet<PathBuf> = checks.iter().filter_map(|c| canonical_file(&c.file).ok()).collect();
    let checksum_file = sums.display().to_string();
    Ok(collect(paths, Some(sums))?
        .into_iter()
        .filter(|file| canonical_file(file).is_ok_and(|c| !listed.contains(&c)))
        .map(|file| Finding {
            file: file.display().to_string(),
            status: Status::Unlisted { checksum_file: checksum_file.clone() },
        })
        .collect())
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    write_atomic(Utf8Path::new(path_str(path)?), text.as_bytes())
}

/// `file` named relative to `dir` with `/` separators, as a sums file in `dir` lists it.
/// Both are resolved first, so `./a/../b` and symlinked directories come out right.
fn relative_name(dir: &Path, file: &Path) -> Result<String> {
    let dir = dir.canonicalize().with_context(|| format!("cannot find the directory {}", dir.display()))?;
    let file = canonical_file(file)?;
    let dir: Vec<Component> = dir.components().collect();
    let to: Vec<Component> = file.components().collect();
    let common = dir.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); dir.len() - common];
    for part in &to[common..] {
        let part = part.as_os_str().to_str().with_context(|| format!("{} is not a UTF-8 path", file.display()))?;
        parts.push(part.to_string());
    }
    Ok(parts.join("/"))
}

/// The file's directory resolved, with its own name kept (a symlinked asset keeps its name).
fn canonical_file(file: &Path) -> Result<PathBuf> {
    let name = file.file_name().with_context(|| format!("{} is not a file", file.display()))?;
    let dir = parent_dir(file);
    let dir = dir.canonicalize().with_context(|| format!("cannot find the directory of {}", file.display()))?;
    Ok(dir.join(name))
}

fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no UTF-8 file name; rename it", path.display()))
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().with_context(|| format!("{} is not a UTF-8 path; rename it", path.display()))
}

fn shown_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_relative_to_the_sums_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("dist/linux")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::fs::write(root.join("dist/linux/a"), "").unwrap();
        std::fs::write(root.join("other/b"), "").unwrap();
        assert_eq!(relative_name(&root.join("dist"), &root.join("dist/linux/a")).unwrap(), "linux/a");
        assert_eq!(relative_name(&root.join("dist"), &root.join("other/../other/b")).unwrap(), "../other/b");
    }

    #[cfg(unix)]
    #[test]
    fn walking_leaves_out_hidden_files_and_symlinked_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in ["b", "sub/a", ".half.xtask-release.tmp"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
        let names: Vec<PathBuf> =
            walk(dir).unwrap().iter().map(|p| p.strip_prefix(dir).unwrap().to_path_buf()).collect();
        assert_eq!(names, [PathBuf::from("b"), PathBuf::from("sub/a")]);
    }
}
