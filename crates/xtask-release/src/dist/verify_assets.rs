//! `verify-assets`: a directory holds exactly the promised assets, and they verify.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::assets::{self, Matrix};
use super::checksum::verify::{self, Finding, Status};
use super::checksum::walk::is_checksum_file;
use xshell::Shell;

use crate::workspace::Workspace;

/// Which directory to check, for which version.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The directory of assets, named in findings as given.
    pub dir: PathBuf,
    /// The version the assets are for [default: the workspace's].
    pub version: Option<semver::Version>,
    /// Check only these targets' assets (triples or platform names) [default: every
    /// configured target].
    pub targets: Vec<String>,
}

impl Options {
    pub fn new(dir: impl Into<PathBuf>) -> Options {
        Options { dir: dir.into(), version: None, targets: Vec::new() }
    }

    pub fn targets(mut self, targets: Vec<String>) -> Options {
        self.targets = targets;
        self
    }

    pub fn version(mut self, version: semver::Version) -> Options {
        self.version = Some(version);
        self
    }
}

/// A file of the release as its page lists it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Listed {
    pub name: String,
    pub size: u64,
}

/// What the check found: every finding, and the listing when all of them are fine.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    pub version: semver::Version,
    /// How many assets the matrix promises.
    pub promised: usize,
    pub findings: Vec<Finding>,
    pub listed: Vec<Listed>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.ok())
    }
}

/// Compares the directory (relative to the process's current directory) with the
/// assets `ws` promises and verifies every checksum file in it; changes nothing.
pub fn check(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Outcome> {
    let dir = std::path::absolute(&options.dir).context("cannot resolve the assets directory")?;
    let shown = options.dir.display().to_string();
    let version = match &options.version {
        Some(version) => version.clone(),
        None => crate::version::current(ws)?,
    };
    let matrix = assets::load(sh, ws, &version)?;
    let selected = select(&matrix, &options.targets)?;
    let present = list_dir(&dir, &shown)?;

    let (layout, checksum_files) = compare(&matrix, &selected, &present, &shown);
    let mut checks = Vec::new();
    for name in &checksum_files {
        checks.extend(verify::read_checks(&dir.join(name))?);
    }
    // A sums file lists every target's assets; only the selected ones are checked.
    let names: BTreeSet<&str> = selected.iter().map(|a| a.name.as_str()).collect();
    checks.retain(|c| c.file.file_name().and_then(|n| n.to_str()).is_some_and(|n| names.contains(n)));
    let mut findings = verify::run(&checks);
    // Name files as the directory was given.
    for finding in &mut findings {
        if let Ok(rel) = Path::new(&finding.file).strip_prefix(&dir) {
            finding.file = Path::new(&shown).join(rel).display().to_string();
        }
    }
    // A removed asset is reported once, as promised and absent, not again as missing by
    // its `.sha256` or the sums file.
    let absent: BTreeSet<String> =
        layout.iter().filter(|f| matches!(f.status, Status::Absent { .. })).map(|f| f.file.clone()).collect();
    findings.retain(|f| !(matches!(f.status, Status::Missing { .. }) && absent.contains(&f.file)));
    findings.extend(layout);
    let listed = present
        .iter()
        .map(|name| Listed { name: name.clone(), size: std::fs::metadata(dir.join(name)).map_or(0, |m| m.len()) })
        .collect();
    Ok(Outcome { version, promised: selected.len(), findings, listed })
}

/// The assets of the targets asked for (by triple or platform name), every asset when
/// none was; an unknown target is an error listing the configured ones.
fn select<'m>(matrix: &'m Matrix, targets: &[String]) -> Result<Vec<&'m assets::Asset>> {
    for wanted in targets {
        if !matrix.targets.iter().any(|t| &t.triple == wanted || &t.platform == wanted) {
            let known: Vec<String> = matrix.targets.iter().map(|t| format!("{} ({})", t.triple, t.platform)).collect();
            anyhow::bail!("--target {wanted} is not a configured target; the targets are: {}", known.join(", "));
        }
    }
    let chosen = |triple: &str| {
        targets.is_empty()
            || matrix.target(triple).is_some_and(|t| targets.iter().any(|w| *w == t.triple || *w == t.platform))
    };
    Ok(matrix.assets.iter().filter(|a| chosen(&a.target)).collect())
}

/// Findings for selected assets that are absent or lack a checksum file, for other
/// versions' assets and for files nobody promised, and the checksum files to verify. The
/// assets of targets left out of the check are neither checked nor unexpected.
fn compare(
    matrix: &Matrix,
    selected: &[&assets::Asset],
    present: &BTreeSet<String>,
    dir: &str,
) -> (Vec<Finding>, Vec<String>) {
    let shown = |name: &str| Path::new(dir).join(name).display().to_string();
    let mut findings = Vec::new();
    let mut checksum_files = Vec::new();
    let expected: BTreeSet<String> =
        matrix.assets.iter().flat_map(|a| [a.name.clone(), format!("{}.sha256", a.name)]).collect();
    for asset in selected {
        let sidecar = format!("{}.sha256", asset.name);
        let platform = matrix.target(&asset.target).map_or(asset.target.clone(), |t| t.platform.clone());
        if !present.contains(&asset.name) {
            findings.push(Finding { file: shown(&asset.name), status: Status::Absent { platform } });
        } else if !present.contains(&sidecar) {
            findings
                .push(Finding { file: shown(&asset.name), status: Status::NoChecksum { expected: shown(&sidecar) } });
        }
        if present.contains(&sidecar) {
            checksum_files.push(sidecar);
        }
    }
    for name in present.iter().filter(|n| !expected.contains(*n)) {
        if let Some((version, _)) = matrix.other_version_of(name) {
            findings.push(Finding { file: shown(name), status: Status::OtherVersion { version: version.to_string() } });
        } else if is_checksum_file(Path::new(name)) && !name.ends_with(".sha256") {
            // A combined sums file (SHA256SUMS) is welcome; it is verified like the others.
            checksum_files.push(name.clone());
        } else {
            findings.push(Finding { file: shown(name), status: Status::Unexpected });
        }
    }
    (findings, checksum_files)
}

/// The names of the directory's entries, whatever they are: a subdirectory is as
/// unexpected in a release as a stray file.
fn list_dir(dir: &Path, shown: &str) -> Result<BTreeSet<String>> {
    let entries = std::fs::read_dir(dir).and_then(|rd| rd.collect::<std::io::Result<Vec<_>>>()).with_context(|| {
        format!("cannot list the assets directory {shown}; name the directory `dist --out` wrote the assets to")
    })?;
    Ok(entries.iter().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
}

/// Sizes as a release page shows them: decimal units.
pub(crate) fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_a_release_page() {
        assert_eq!(super::human_size(93), "93 B");
        assert_eq!(super::human_size(445_896), "445.9 KB");
        assert_eq!(super::human_size(12_500_000), "12.5 MB");
    }
}
