//! Verifying files against checksum files: which files each checksum file promises, and
//! what hashing them finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::sha::{self, Digest};
use super::sums;

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
#[serde(tag = "status", rename_all = "kebab-case")]
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
        };
        format!("{}: {what}", self.file)
    }
}

/// The checks a checksum file holds; its names are relative to its own directory.
pub fn read_checks(checksum_file: &Path) -> Result<Vec<Check>> {
    let shown = checksum_file.display().to_string();
    let text = std::fs::read_to_string(checksum_file).with_context(|| format!("cannot read {shown}"))?;
    let dir = checksum_file.parent().unwrap_or(Path::new(""));
    Ok(sums::parse(&text, &shown)?
        .into_iter()
        .map(|entry| Check { file: dir.join(&entry.name), expected: entry.digest, source: checksum_file.to_path_buf() })
        .collect())
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
                Err(e) => Status::Unreadable { error: e.to_string() },
            };
            Finding { file: check.file.display().to_string(), status }
        })
        .collect()
}
