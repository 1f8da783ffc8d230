//! `dist`: build release binaries for one target and lay them out as assets, each with
//! its `.sha256`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use semver::Version;
use serde::Serialize;
use xshell::{Shell, cmd};

use super::archive::{self, Member as ArchiveMember};
use super::assets::{self, Matrix};
use super::checksum::format;
use super::targets::Archive;
use crate::ops::cargo;
use crate::ops::fs::write_atomic;
use crate::ops::sha;
use crate::report::Reporter;
use crate::workspace::Workspace;

/// Which target to build, and where the assets go.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The target triple to build for (one of the configured targets).
    pub target: String,
    /// Where the assets go [default: `target/dist`]; relative to the current directory.
    pub out: Option<PathBuf>,
}

impl Options {
    pub fn new(target: impl Into<String>) -> Options {
        Options { target: target.into(), out: None }
    }

    pub fn out(mut self, dir: impl Into<PathBuf>) -> Options {
        self.out = Some(dir.into());
        self
    }
}

/// What `execute` built and wrote for one target. Paths are the plan's; the CLI prints
/// them relative to the workspace root.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    pub target: String,
    pub version: Version,
    pub assets: Vec<WrittenAsset>,
}

/// One asset written, with its `.sha256` file and the digest that file holds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct WrittenAsset {
    pub name: String,
    pub path: Utf8PathBuf,
    pub checksum_file: Utf8PathBuf,
    pub sha256: String,
}

impl Plan {
    /// The program that builds: `cross`, or the cargo running us.
    pub fn program(&self) -> String {
        if self.cross { "cross".into() } else { cargo::name() }
    }
}

/// Everything `dist` will do for one target.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Plan {
    pub target: String,
    pub version: Version,
    pub out_dir: Utf8PathBuf,
    /// Builds with `cross` instead of cargo (the target's `cross = true`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cross: bool,
    /// The arguments to cargo (or cross).
    pub build: Vec<String>,
    /// The target's `env`, set for the build.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    pub assets: Vec<PlannedAsset>,
    /// This target's assets of other versions in the output directory, left by an earlier
    /// release: removed once the new ones are written, so the folder holds one release.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<Utf8PathBuf>,
}

#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct PlannedAsset {
    pub name: String,
    pub path: Utf8PathBuf,
    pub checksum_file: Utf8PathBuf,
    /// Where cargo puts the binary: in JSON relative to the workspace root, unless cargo's
    /// target directory is elsewhere (`CARGO_TARGET_DIR`).
    pub binary: Utf8PathBuf,
    /// The other binaries of an archive holding every binary of the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bundled: Vec<Utf8PathBuf>,
    pub archive: Option<Archive>,
    /// README and LICENSE files packed beside the binary in an archive.
    pub docs: Vec<Utf8PathBuf>,
}

/// The facts (release version, dist config, binaries) and the plan from them. `--out` is
/// resolved against the process's current directory, not the shell's (the workspace root).
pub fn plan_for(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Plan> {
    let out = options.out.as_deref().map(std::path::absolute).transpose().context("cannot resolve --out")?;
    let version = crate::version::current(ws)?;
    let matrix = assets::load(sh, ws, &version)?;
    let out_dir = match out {
        Some(out) => Utf8PathBuf::try_from(out).context("--out is not a UTF-8 path")?,
        None => ws.target_dir.join("dist"),
    };
    let mut plan = plan(ws, &matrix, &options.target, out_dir, |dir| find_docs(dir, &ws.root))?;
    plan.stale = stale_assets(&matrix, &plan.target, &plan.out_dir);
    Ok(plan)
}

/// The files in `out_dir` named as `target`'s assets (or their `.sha256`) of another
/// version. Only our own names: anything else in the folder is the user's.
fn stale_assets(matrix: &Matrix, target: &str, out_dir: &Utf8Path) -> Vec<Utf8PathBuf> {
    let Ok(entries) = out_dir.read_dir_utf8() else { return Vec::new() };
    let mut stale: Vec<Utf8PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| matrix.other_version_of(e.file_name()).is_some_and(|(_, asset)| asset.target == target))
        .map(|e| e.path().to_owned())
        .collect();
    stale.sort();
    stale
}

/// The plan for `triple` from facts already gathered; `docs` lists a package directory's
/// README and LICENSE files.
pub fn plan(
    ws: &Workspace,
    matrix: &Matrix,
    triple: &str,
    out_dir: Utf8PathBuf,
    docs: impl Fn(&Utf8Path) -> Vec<Utf8PathBuf>,
) -> Result<Plan> {
    if !matrix.builds() {
        bail!(
            "nothing to build: no published package has a binary (`build-matrix` is empty); \
             to ship one, list it in [{}.dist] bins = [{{ package = \"...\" }}]",
            ws.config.table
        );
    }
    let Some(target) = matrix.target(triple) else {
        let known: Vec<&str> = matrix.targets.iter().map(|t| t.triple.as_str()).collect();
        bail!(
            "target `{triple}` is not one of the release targets ({}); \
             add it to [{}.dist] targets or pick one of those",
            known.join(", "),
            ws.config.table
        );
    };
    let mut build: Vec<String> = ["build", "--release", "--locked", "--target", triple].map(String::from).into();
    // `--bin` selects among all the packages given with `-p`, so each package once.
    for ship in &matrix.shipped {
        if !build.windows(2).any(|w| w[0] == "-p" && w[1] == ship.package) {
            build.extend(["-p".into(), ship.package.clone()]);
        }
    }
    for ship in &matrix.shipped {
        build.extend(["--bin".into(), ship.bin.clone()]);
    }
    if !target.features.is_empty() {
        build.extend(["--features".into(), target.features.join(",")]);
    }
    if target.no_default_features {
        build.push("--no-default-features".into());
    }
    let release_dir = ws.target_dir.join(triple).join("release");
    let assets = matrix
        .assets_for(triple)
        .map(|asset| {
            let path = out_dir.join(&asset.name);
            let package_dir = ws
                .member(&asset.package)
                .and_then(|m| m.manifest_path.parent())
                .map(Utf8Path::to_path_buf)
                .unwrap_or_else(|| ws.root.clone());
            PlannedAsset {
                name: asset.name.clone(),
                checksum_file: Utf8PathBuf::from(format!("{path}.sha256")),
                path,
                binary: release_dir.join(format!("{}{}", asset.bin, target.exe_suffix())),
                bundled: asset
                    .bundled
                    .iter()
                    .map(|ship| release_dir.join(format!("{}{}", ship.bin, target.exe_suffix())))
                    .collect(),
                archive: asset.archive,
                docs: if asset.archive.is_some() { docs(&package_dir) } else { Vec::new() },
            }
        })
        .collect();
    Ok(Plan {
        target: triple.to_string(),
        version: matrix.version.clone(),
        out_dir,
        cross: target.cross,
        build,
        env: target.env.clone(),
        assets,
        stale: Vec::new(),
    })
}

/// README*, LICENSE*, COPYING* files of the package directory; for each kind the package
/// lacks, the workspace root's.
fn find_docs(package_dir: &Utf8Path, root: &Utf8Path) -> Vec<Utf8PathBuf> {
    const KINDS: [&str; 3] = ["README", "LICENSE", "COPYING"];
    let list = |dir: &Utf8Path, kind: &str| -> Vec<Utf8PathBuf> {
        let mut found: Vec<Utf8PathBuf> = dir
            .read_dir_utf8()
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_ascii_uppercase().starts_with(kind) && e.path().is_file())
            .map(|e| e.path().to_path_buf())
            .collect();
        found.sort();
        found
    };
    let mut docs = Vec::new();
    for kind in KINDS {
        let here = list(package_dir, kind);
        docs.extend(if here.is_empty() && package_dir != root { list(root, kind) } else { here });
    }
    docs
}

/// Builds in `sh` (at the workspace root), writes each asset and its `.sha256`.
pub fn execute(sh: &Shell, plan: &Plan, reporter: &dyn Reporter) -> Result<Outcome> {
    // The output directory is checked before the build, which can take many minutes.
    check_out_dir(&plan.out_dir)?;
    let args = &plan.build;
    {
        let tool = if plan.cross { "cross" } else { "cargo" };
        let _group = reporter.group(&format!("{tool} build --target {}", plan.target));
        let progress = reporter.progress("Building", &format!("release binaries for {}", plan.target));
        // Build scripts and proc macros run here: no token in their reach.
        let program = if plan.cross { cargo::without_secrets(cmd!(sh, "cross")) } else { cargo::command(sh) };
        let command = program.args(args).envs(&plan.env).quiet();
        reporter.command(&command.to_string());
        let built = cargo::run_reporting(command, &format!("{tool} build"), reporter);
        progress.finish(built.is_ok());
        built.with_context(|| {
            let install = if plan.cross { " (is `cross` installed? `cargo install cross`)" } else { "" };
            let shown = cargo::where_shown(reporter);
            format!("{tool} build for {} failed{install}; fix the error {shown}", plan.target)
        })?;
    }
    for asset in &plan.assets {
        write_asset(asset, reporter)?;
    }
    // Checksums of what was written, hashed in parallel, each named by its bare file name.
    let paths: Vec<PathBuf> = plan.assets.iter().map(|a| a.path.clone().into_std_path_buf()).collect();
    let mut written = Vec::new();
    for (asset, digest) in plan.assets.iter().zip(sha::hash_files(&paths)) {
        let digest = digest.with_context(|| format!("cannot read {}", asset.path))?;
        write_atomic(&asset.checksum_file, format::line(&digest, &asset.name).as_bytes())?;
        written.push(WrittenAsset {
            name: asset.name.clone(),
            path: asset.path.clone(),
            checksum_file: asset.checksum_file.clone(),
            sha256: digest.to_string(),
        });
    }
    for path in &plan.stale {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {path}, an asset of another version"))?;
        reporter.status("Removed", &format!("{path}, an asset of another version"));
    }
    // Relative to the workspace root (the shell's directory), like every path we print.
    let shown = match plan.out_dir.as_std_path().strip_prefix(sh.current_dir()) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => plan.out_dir.to_string(),
    };
    reporter.status(
        "Finished",
        &format!("{} for {} in {shown}", crate::output::plural(plan.assets.len(), "asset"), plan.target),
    );
    Ok(Outcome { target: plan.target.clone(), version: plan.version.clone(), assets: written })
}

/// Creates the output directory and proves it writable with a file written and removed.
fn check_out_dir(dir: &Utf8Path) -> Result<()> {
    let fix = "pass --out a directory that can be written";
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the output directory {dir}; {fix}"))?;
    let probe = dir.join(".xtask-release.probe.tmp");
    std::fs::write(&probe, b"").with_context(|| format!("cannot write into the output directory {dir}; {fix}"))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Copies or archives one binary into a temporary file beside the asset and renames it
/// into place, so an interrupted run never leaves a half-written asset under its name.
fn write_asset(asset: &PlannedAsset, reporter: &dyn Reporter) -> Result<()> {
    let dir = asset.path.parent().unwrap_or(Utf8Path::new("."));
    let tmp = dir.join(format!(".{}.xtask-release.tmp", asset.name));
    let result = match asset.archive {
        None => std::fs::copy(&asset.binary, &tmp)
            .map(drop)
            .with_context(|| format!("cannot copy {} to {}", asset.binary, asset.path)),
        Some(kind) => {
            let bin_name = asset.binary.file_name().unwrap_or(&asset.name).to_string();
            let mut members =
                vec![ArchiveMember { name: bin_name, source: asset.binary.clone().into(), executable: true }];
            members.extend(asset.bundled.iter().map(|binary| ArchiveMember {
                name: binary.file_name().unwrap_or(binary.as_str()).to_string(),
                source: binary.clone().into(),
                executable: true,
            }));
            members.extend(asset.docs.iter().map(|doc| ArchiveMember {
                name: doc.file_name().unwrap_or("README").to_string(),
                source: doc.clone().into(),
                executable: false,
            }));
            archive::write(kind, tmp.as_std_path(), &members)
        }
    };
    let result = result.and_then(|()| {
        std::fs::rename(&tmp, &asset.path).with_context(|| format!("cannot move {tmp} to {}", asset.path))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    reporter.status("Wrote", &asset.name);
    Ok(())
}
