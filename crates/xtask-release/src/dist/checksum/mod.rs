//! Checksums, in one place: the `sha256sum` line format (hashing is `ops::sha`)
//! (`format`), which files a checksum covers (`files`), verification (`check`), and the
//! `checksum` command, which writes `.sha256` files only with `--execute` and verifies
//! with `--verify`.
//!
//! Writing hashes everything and checks every output location before it writes
//! anything, then stages every file before renaming any into place, so a file it cannot
//! read or a directory it cannot write leaves every checksum file as it was.

pub(crate) mod format;
pub(crate) mod verify;
pub(crate) mod walk;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use self::verify::Check;
pub use self::verify::{Finding, Status};
use self::walk::{canonical_file, file_name, is_checksum_file, parent_dir, relative_name, shown_list, sidecar, walk};
use crate::ops::sha;

/// What to hash or verify.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Files, or directories whose files are hashed (recursively; `.sha256` files, the
    /// sums file, hidden and special files are left out).
    pub paths: Vec<PathBuf>,
    /// Also write one combined sums file (inside the directory it covers); when
    /// verifying, check it.
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

/// Everything `checksum` writes, computed before any of it is.
#[derive(Debug)]
#[non_exhaustive]
pub struct Plan {
    /// Special files (FIFOs, sockets, devices) the directory walks left out.
    pub skipped: Vec<PathBuf>,
    hashed: Vec<(PathBuf, sha::Digest)>,
    /// Each output with its new text, and whether it already holds it.
    outputs: Vec<Output>,
}

#[derive(Debug)]
struct Output {
    path: PathBuf,
    text: String,
    unchanged: bool,
}

impl Plan {
    /// Each file hashed, with its digest and the checksum file beside it.
    pub fn written(&self) -> Vec<Written> {
        self.hashed
            .iter()
            .map(|(file, digest)| Written {
                file: file.display().to_string(),
                sha256: digest.to_string(),
                checksum_file: sidecar(file).display().to_string(),
            })
            .collect()
    }

    /// The checksum files whose text changes.
    pub fn changed(&self) -> Vec<&Path> {
        self.outputs.iter().filter(|o| !o.unchanged).map(|o| o.path.as_path()).collect()
    }

    /// How many checksum files already hold their text.
    pub fn unchanged(&self) -> usize {
        self.outputs.iter().filter(|o| o.unchanged).count()
    }
}

/// Hashes every file and computes every checksum file's text; writes nothing.
pub fn plan(options: &Options) -> Result<Plan> {
    if let Some(sums) = &options.sums {
        check_sums_location(sums)?;
    }
    let (files, skipped) = collect(&options.paths, options.sums.as_deref())?;
    if files.is_empty() {
        bail!("no files to hash in {}; name the files or directories of the assets", shown_list(&options.paths));
    }
    let mut plan = plan_files(&files, options.sums.as_deref())?;
    plan.skipped = skipped;
    Ok(plan)
}

/// Checks the existing `.sha256` files (or the sums file); never writes.
pub fn verify(options: &Options) -> Result<Vec<Finding>> {
    let mut checks = Vec::new();
    let mut findings = Vec::new();
    match &options.sums {
        Some(sums) => {
            checks = verify::read_checks(sums)?;
            findings.extend(unlisted(&options.paths, sums, &checks)?);
        }
        None => {
            for path in &options.paths {
                let (sidecars, without) = sidecars_of(path)?;
                for sidecar in sidecars {
                    checks.extend(verify::read_checks(&sidecar)?);
                }
                findings.extend(without);
            }
        }
    }
    if checks.is_empty() && findings.is_empty() {
        bail!("no checksums found in {}; write them first with `checksum --execute`", shown_list(&options.paths));
    }
    let mut findings_all = verify::run(&checks);
    findings_all.extend(findings);
    Ok(findings_all)
}

/// `--sums` must name a file in an existing directory; checked before anything is hashed.
fn check_sums_location(sums: &Path) -> Result<()> {
    if sums.is_dir() {
        bail!(
            "--sums {} names a directory; give the sums file's path, e.g. {}",
            sums.display(),
            sums.join("SHA256SUMS").display()
        );
    }
    let dir = parent_dir(sums);
    if !dir.is_dir() {
        bail!("the directory of --sums {} does not exist; create it or name another path", sums.display());
    }
    Ok(())
}

/// Hashes the files and computes every checksum file's text. An existing `.sha256` that
/// disagrees with its file is not replaced: the file changed after its checksum was
/// written (a corrupted download, a tampered asset), which is what checksums are for.
fn plan_files(files: &[PathBuf], sums: Option<&Path>) -> Result<Plan> {
    let digests = sha::hash_files(files);
    let mut hashed = Vec::new();
    for (file, digest) in files.iter().zip(digests) {
        let digest = digest.with_context(|| format!("cannot read {}", file.display()))?;
        hashed.push((file.clone(), digest));
    }
    let mut outputs = Vec::new();
    for (file, digest) in &hashed {
        let path = sidecar(file);
        if path.exists() {
            let recorded = verify::read_checks(&path)?;
            if let Some(old) = recorded.iter().find(|c| c.expected != *digest) {
                bail!(
                    "{} says {} but {} hashes to {digest}: the file changed after its checksum was written; \
                     if the new file is right, delete {} and re-run, else replace the file with the one the build wrote",
                    path.display(),
                    old.expected,
                    file.display(),
                    path.display()
                );
            }
        }
        outputs.push(output(path, format::line(digest, &file_name(file)?)));
    }
    // Names in a sums file are relative to its directory, which is where
    // `sha256sum -c` has to run.
    if let Some(sums) = sums {
        let dir = parent_dir(sums);
        let mut text = String::new();
        for (file, digest) in &hashed {
            text.push_str(&format::line(digest, &relative_name(dir, file)?));
        }
        outputs.push(output(sums.to_path_buf(), text));
    }
    Ok(Plan { skipped: Vec::new(), hashed, outputs })
}

fn output(path: PathBuf, text: String) -> Output {
    // Read only a regular file of sums' size: a FIFO there must not block the plan.
    let unchanged =
        crate::ops::fs::read_bytes(&path, crate::ops::fs::Cap::SUMS).is_ok_and(|old| old == text.as_bytes());
    Output { path, text, unchanged }
}

/// Writes every changed output to a temporary file beside it, and only when all of them
/// are written renames them into place; a failure removes the temporary files not yet
/// renamed, the one whose write was cut short (a full disk) included.
pub fn execute(plan: &Plan) -> Result<()> {
    let changed: Vec<&Output> = plan.outputs.iter().filter(|o| !o.unchanged).collect();
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    let remove = |staged: &[(PathBuf, &Path)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    let result = (|| -> Result<()> {
        for output in &changed {
            let tmp = parent_dir(&output.path).join(format!(".{}.xtask-release.tmp", file_name(&output.path)?));
            staged.push((tmp.clone(), &output.path));
            std::fs::write(&tmp, &output.text)
                .with_context(|| format!("cannot write {}; nothing was written", output.path.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        remove(&staged);
        return result;
    }
    for (done, (tmp, path)) in staged.iter().enumerate() {
        if let Err(err) = std::fs::rename(tmp, path) {
            remove(&staged[done..]);
            return Err(err).with_context(|| {
                format!("cannot write {}; re-run the same command to finish writing the checksums", path.display())
            });
        }
    }
    Ok(())
}

/// The files to hash, without duplicates: named files as given (a special file named
/// is refused), directories walked; and the special files the walks left out.
fn collect(paths: &[PathBuf], sums: Option<&Path>) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    for path in paths {
        walk::check_regular(path)?;
    }
    let sums = sums.and_then(|s| canonical_file(s).ok());
    let mut seen = BTreeSet::new();
    let mut found_all = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let found = if path.is_dir() {
            let walked = walk(path)?;
            skipped.extend(walked.skipped);
            walked.files.into_iter().filter(|f| !is_checksum_file(f)).collect()
        } else {
            vec![path.clone()]
        };
        for file in found {
            let key = canonical_file(&file)?;
            if Some(&key) != sums.as_ref() && seen.insert(key) {
                found_all.push(file);
            }
        }
    }
    Ok((found_all, skipped))
}

/// The checksum files that `path` stands for, and a finding for each file that should
/// have one and has not.
fn sidecars_of(path: &Path) -> Result<(Vec<PathBuf>, Vec<Finding>)> {
    let files = if path.is_dir() {
        let walked = walk(path)?;
        let mut findings = Vec::new();
        for special in walked.skipped {
            findings.push(Finding { file: special.display().to_string(), status: Status::NotAFile });
        }
        return sidecars_among(walked.files, findings);
    } else if walk::is_sidecar(path) || path.exists() {
        walk::check_regular(path)?;
        vec![path.to_path_buf()]
    } else {
        bail!("{} does not exist; name existing files or directories", path.display());
    };
    sidecars_among(files, Vec::new())
}

fn sidecars_among(files: Vec<PathBuf>, mut without: Vec<Finding>) -> Result<(Vec<PathBuf>, Vec<Finding>)> {
    let present: BTreeSet<&PathBuf> = files.iter().collect();
    let mut sidecars = Vec::new();
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
    let (files, skipped) = collect(paths, Some(sums))?;
    let mut findings: Vec<Finding> = files
        .into_iter()
        .filter(|file| canonical_file(file).is_ok_and(|c| !listed.contains(&c)))
        .map(|file| Finding {
            file: file.display().to_string(),
            status: Status::Unlisted { checksum_file: checksum_file.clone() },
        })
        .collect();
    findings
        .extend(skipped.into_iter().map(|file| Finding { file: file.display().to_string(), status: Status::NotAFile }));
    Ok(findings)
}
