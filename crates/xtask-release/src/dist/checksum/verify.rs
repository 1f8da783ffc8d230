//! Verifying files against checksum files: which files each checksum file promises, and
//! what hashing them finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::Serialize;

use super::{format, walk};
use crate::ops::fs::Cap;
use crate::ops::sha::{self, Digest};

/// One promise of a checksum file: `file` has `expected` as its SHA-256.
#[derive(Debug, Clone)]
pub struct Check {
    pub file: PathBuf,
    pub expected: Digest,
    /// The checksum file that makes the promise.
    pub source: PathBuf,
}

/// What verification found for one file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub file: String,
    #[serde(flatten)]
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    Ok,
    /// The file's digest is not the one its checksum file gives.
    Mismatch {
        expected: String,
        actual: String,
        checksum_file: String,
    },
    /// A checksum file names a file that is not there.
    Missing {
        checksum_file: String,
    },
    /// The file exists but could not be read.
    Unreadable {
        error: String,
    },
    /// A file that should have a checksum has none.
    NoChecksum {
        expected: String,
    },
    /// A file that the sums file being checked does not list.
    Unlisted {
        checksum_file: String,
    },
    /// A promised asset that is not there.
    Absent {
        platform: String,
    },
    /// A file that is not supposed to be there at all.
    Unexpected,
    /// An asset (or its checksum file) of another version, left from an earlier release.
    OtherVersion {
        version: String,
    },
    /// A FIFO, socket or device where a file should be: never opened.
    NotAFile,
}

impl Finding {
    pub fn ok(&self) -> bool {
        matches!(self.status, Status::Ok)
    }

    /// `file: WHAT` in the manner of `sha256sum -c`.
    pub fn line(&self) -> String {
        let what = match &self.status {
            Status::Ok => "OK".to_string(),
            Status::Mismatch { checksum_file, .. } => format!("FAILED (does not match {checksum_file})"),
            Status::Missing { checksum_file } => format!("MISSING (listed in {checksum_file})"),
            Status::Unreadable { error } => format!("UNREADABLE ({error})"),
            Status::NoChecksum { expected } => format!("NO CHECKSUM ({expected} not found)"),
            Status::Unlisted { checksum_file } => format!("NOT LISTED (in {checksum_file})"),
            Status::Absent { platform } => format!("MISSING (promised for {platform})"),
            Status::Unexpected => "UNEXPECTED (not a promised asset)".to_string(),
            Status::OtherVersion { version } => format!("OTHER VERSION (an asset of {version}, not of this release)"),
            Status::NotAFile => "NOT A FILE (a FIFO, socket or device; left unread)".to_string(),
        };
        format!("{}: {what}", self.file)
    }
}

/// The checks a checksum file holds, each bound to the file it may speak for: a
/// `.sha256` holds one line naming exactly its own file (`a.tar.gz.sha256` names
/// `a.tar.gz`), and any other sums file names only files inside its own directory. A
/// checksum file that breaks this is refused naming the line, since otherwise a replaced
/// asset could point its `.sha256` at an untouched sibling, or anywhere on the machine.
pub fn read_checks(checksum_file: &Path) -> Result<Vec<Check>> {
    let shown = checksum_file.display().to_string();
    let cap = if walk::is_sidecar(checksum_file) { Cap::SIDECAR } else { Cap::SUMS };
    let text = crate::ops::fs::read_capped(checksum_file, cap)?;
    let dir = checksum_file.parent().unwrap_or(Path::new(""));
    let entries = format::parse(&text, &shown)?;
    if walk::is_sidecar(checksum_file) {
        let own = checksum_file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        if names != [own] {
            bail!(
                "{shown} must hold exactly one line naming `{own}`, its own file, but names {}; \
                 a `.sha256` checks only the file it is named after: replace both files with the ones \
                 the build wrote (or write a fresh one with `checksum {} --execute` if `{own}` is right)",
                if names.is_empty() {
                    "nothing".to_string()
                } else {
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                },
                dir.join(own).display(),
            );
        }
    }
    entries
        .into_iter()
        .map(|entry| {
            let Some(name) = walk::contained_name(&entry.name) else {
                bail!(
                    "{shown} names `{}`, which is outside its directory; a sums file may name only files \
                     inside its own directory (relative names without `..`): regenerate it with \
                     `checksum <dir> --sums <dir>/SHA256SUMS --execute`",
                    entry.name
                );
            };
            Ok(Check { file: dir.join(name), expected: entry.digest, source: checksum_file.to_path_buf() })
        })
        .collect()
}

/// Hashes every checked file once (in parallel) and compares.
pub fn run(checks: &[Check]) -> Vec<Finding> {
    let paths: Vec<PathBuf> = checks.iter().map(|c| c.file.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let digests: BTreeMap<&PathBuf, std::io::Result<Digest>> = paths.iter().zip(sha::hash_files(&paths)).collect();
    checks
        .iter()
        .map(|check| {
            let checksum_file = check.source.display().to_string();
            let status = match &digests[&check.file] {
                Ok(actual) if *actual == check.expected => Status::Ok,
                Ok(actual) => {
                    Status::Mismatch { expected: check.expected.to_string(), actual: actual.to_string(), checksum_file }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Status::Missing { checksum_file },
                Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Status::NotAFile,
                Err(e) => Status::Unreadable { error: e.to_string() },
            };
            Finding { file: check.file.display().to_string(), status }
        })
        .collect()
}
