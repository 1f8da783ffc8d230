//! Facts about the workspace, read once from `cargo metadata`: its members, their
//! versions, internal dependencies, binaries, and the release config.

use std::path::Path;

use anyhow::{Context as _, Result};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use cargo_metadata::{DependencyKind, Metadata, TargetKind};
use semver::{Version, VersionReq};
use serde::Serialize;
use xshell::Shell;

use crate::config::Config;
use crate::ops::cargo;

#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Workspace {
    pub root: Utf8PathBuf,
    /// The root Cargo.toml.
    pub manifest_path: Utf8PathBuf,
    pub target_dir: Utf8PathBuf,
    /// In the order cargo lists them (sorted by package id), which is stable.
    pub members: Vec<Member>,
    pub(crate) config: Config,
    /// What to tell the user about the config (cargo-release's table), once per command.
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    pub version: Version,
    pub manifest_path: Utf8PathBuf,
    pub publish: Publish,
    pub deps: Vec<Dep>,
    pub bins: Vec<String>,
    /// `default-run` of the package, the binary `cargo run` picks.
    pub default_run: Option<String>,
    pub has_lib: bool,
}

/// The `publish` field of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Publish {
    /// No `publish` key: any registry.
    Anywhere,
    /// `publish = false`.
    Never,
    /// `publish = ["name", ...]`.
    Only(Vec<String>),
}

impl Publish {
    /// Whether the package is published at all, to crates.io or another registry: what
    /// makes it part of the release (`publish = ["corp"]` is, `publish = false` is not).
    pub fn is_released(&self) -> bool {
        *self != Publish::Never
    }

    /// Whether the package may go to `registry` (`None` is crates.io).
    pub fn allows(&self, registry: Option<&str>) -> bool {
        match self {
            Publish::Anywhere => true,
            Publish::Never => false,
            Publish::Only(list) => {
                list.iter().any(|r| Some(r.as_str()) == registry || (registry.is_none() && r == "crates-io"))
            }
        }
    }
}

/// A dependency of a member on another member of the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Dep {
    /// The package name of the dependency (not the rename).
    pub package: String,
    /// The key in the manifest when it differs from the package name.
    pub rename: Option<String>,
    pub kind: DepKind,
    /// `cfg(...)` or a triple, for `[target.'...'.dependencies]`.
    pub target: Option<String>,
    /// `*` when the manifest gives no version.
    pub req: VersionReq,
    /// Whether the manifest gives a version requirement (cargo reports `*` otherwise).
    pub has_version: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DepKind {
    Normal,
    Dev,
    Build,
}

impl DepKind {
    /// The manifest table this kind lives in.
    pub fn table(self) -> &'static str {
        match self {
            DepKind::Normal => "dependencies",
            DepKind::Dev => "dev-dependencies",
            DepKind::Build => "build-dependencies",
        }
    }
}

impl Workspace {
    /// Runs `cargo metadata --no-deps` (no network, no resolution) for the workspace that
    /// holds `manifest_path`, or the one found from the current directory upward.
    pub fn load(sh: &Shell, manifest_path: Option<&Path>) -> Result<Workspace> {
        let manifest_args: Vec<&std::ffi::OsStr> = match manifest_path {
            Some(path) => vec!["--manifest-path".as_ref(), path.as_os_str()],
            None => vec![],
        };
        let json = cargo::command(sh)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .args(manifest_args)
            .quiet()
            .read()
            .context("cargo metadata failed on the workspace; fix the manifest error cargo printed above")?;
        let metadata: Metadata = serde_json::from_str(&json).context("cannot parse the output of cargo metadata")?;
        Workspace::from_metadata(&metadata)
    }

    /// Builds the facts from metadata already read: a pure function, for tests.
    pub(crate) fn from_metadata(metadata: &Metadata) -> Result<Workspace> {
        let root = metadata.workspace_root.clone();
        let manifest_path = root.join("Cargo.toml");
        let root_package = metadata.root_package();
        let (config, notes) = Config::from_metadata(
            &metadata.workspace_metadata,
            root_package.map(|p| &p.metadata),
            root_package.is_some() && metadata.workspace_members.len() == 1,
            manifest_path.as_str(),
        )?;
        let packages: Vec<_> = metadata.workspace_packages();
        let names: std::collections::HashSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        let members = packages
            .iter()
            .map(|p| Member {
                name: p.name.to_string(),
                version: p.version.clone(),
                manifest_path: p.manifest_path.clone(),
                publish: match &p.publish {
                    None => Publish::Anywhere,
                    Some(list) if list.is_empty() => Publish::Never,
                    Some(list) => Publish::Only(list.clone()),
                },
                deps: p
                    .dependencies
                    .iter()
                    .filter(|d| d.path.is_some() && names.contains(d.name.as_str()))
                    .map(|d| Dep {
                        package: d.name.to_string(),
                        rename: d.rename.clone(),
                        kind: match d.kind {
                            DependencyKind::Development => DepKind::Dev,
                            DependencyKind::Build => DepKind::Build,
                            _ => DepKind::Normal,
                        },
                        target: d.target.as_ref().map(|t| t.to_string()),
                        has_version: d.req != VersionReq::STAR,
                        req: d.req.clone(),
                    })
                    .collect(),
                bins: p.targets.iter().filter(|t| t.kind.contains(&TargetKind::Bin)).map(|t| t.name.clone()).collect(),
                default_run: p.default_run.clone(),
                has_lib: p.targets.iter().any(|t| {
                    t.kind.iter().any(|k| {
                        matches!(
                            k,
                            TargetKind::Lib
                                | TargetKind::RLib
                                | TargetKind::DyLib
                                | TargetKind::CDyLib
                                | TargetKind::StaticLib
                                | TargetKind::ProcMacro
                        )
                    })
                }),
            })
            .collect();
        Ok(Workspace { root, manifest_path, target_dir: metadata.target_directory.clone(), members, config, notes })
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Members that may be published to crates.io or the given registry.
    pub fn publishable(&self, registry: Option<&str>) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(move |m| m.publish.allows(registry))
    }

    /// A path relative to the workspace root, for messages.
    pub fn rel<'a>(&self, path: &'a Utf8Path) -> &'a Utf8Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}
