//! Facts about the workspace, read once from `cargo metadata`: its members, their
//! versions, internal dependencies, binaries, and the release config.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use cargo_metadata::{DependencyKind, Metadata, TargetKind};
use semver::{Version, VersionReq};
use serde::Serialize;
use xshell::Shell;

use crate::config::Config;
use crate::ops::cargo;
use crate::ops::redact::redact;

#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Workspace {
    pub root: Utf8PathBuf,
    /// The root Cargo.toml.
    pub manifest_path: Utf8PathBuf,
    pub target_dir: Utf8PathBuf,
    /// In the order cargo lists them (sorted by package id), which is stable.
    pub members: Vec<Member>,
    /// What cargo warned about while reading the manifests (`profiles for the non root
    /// package will be ignored`, ...), one entry per warning with the lines that go with
    /// it, without the `warning: ` label, redacted. [`Workspace::load`] prints none of
    /// them: the CLI shows each through its reporter, a library caller decides.
    pub cargo_warnings: Vec<String>,
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
    /// The index of the registry the published package looks for it in, as cargo reports
    /// it (`registry = "NAME"` in the manifest); `None` is crates.io.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
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
    /// holds `manifest_path`, or the one found from the current directory upward. Prints
    /// nothing: cargo's warnings land in [`Workspace::cargo_warnings`], and its error, when
    /// it fails, in the returned error.
    pub fn load(sh: &Shell, manifest_path: Option<&Path>) -> Result<Workspace> {
        let manifest_args: Vec<&std::ffi::OsStr> = match manifest_path {
            Some(path) => vec!["--manifest-path".as_ref(), path.as_os_str()],
            None => vec![],
        };
        // Captured, not passed through to our stderr: a library caller that wants silence
        // gets it, and nothing cargo says is lost, since it ends up in the result.
        let out = cargo::command(sh)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .args(manifest_args)
            .env("CARGO_TERM_COLOR", "never")
            .quiet()
            .ignore_status()
            .output()
            .context("cannot run cargo metadata")?;
        let stderr = redact(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            let workspace = match manifest_path {
                Some(path) => format!("the workspace of {}", path.display()),
                None => format!("the workspace that holds {}", sh.current_dir().display()),
            };
            bail!(
                "cannot read {workspace}: `cargo metadata` failed ({}):\n{}\nFix what cargo reports and re-run.",
                crate::ops::exit_description(out.status),
                cargo::last_relevant(&stderr)
            );
        }
        let metadata: Metadata =
            serde_json::from_slice(&out.stdout).context("cannot parse the output of cargo metadata")?;
        let mut ws = Workspace::from_metadata(&metadata)?;
        ws.config.check_files(&ws.root, &ws.manifest_path)?;
        ws.cargo_warnings = warnings(&stderr);
        crate::ops::http::set_limits(ws.config.limits());
        Ok(ws)
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
                        registry: d.registry.clone(),
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
        Ok(Workspace {
            root,
            manifest_path,
            target_dir: metadata.target_directory.clone(),
            members,
            cargo_warnings: Vec::new(),
            config,
            notes,
        })
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

/// Cargo's warnings in its stderr: each from its `warning: ` line through the lines that
/// belong to it (`= note:` lines, the paths a warning lists), up to the next warning or
/// status line. Progress such as `    Blocking waiting for file lock` is not a warning.
/// Pure, for tests.
fn warnings(stderr: &str) -> Vec<String> {
    let mut warnings: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in stderr.lines() {
        if let Some(text) = line.strip_prefix("warning: ") {
            warnings.extend(current.replace(text.to_string()));
        } else if is_status(line) {
            warnings.extend(current.take());
        } else if let Some(warning) = current.as_mut() {
            warning.push('\n');
            warning.push_str(line);
        }
    }
    warnings.extend(current);
    warnings.iter().map(|w| w.trim_end().to_string()).collect()
}

/// Cargo's progress line: a capitalised verb right-aligned in 12 columns, then a space.
fn is_status(line: &str) -> bool {
    let Some((padded, rest)) = line.split_at_checked(12) else { return false };
    let verb = padded.trim_start();
    rest.starts_with(' ')
        && padded.starts_with(' ')
        && verb.starts_with(|c: char| c.is_ascii_uppercase())
        && verb.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::warnings;

    #[test]
    fn each_warning_keeps_its_lines_and_progress_is_left_out() {
        let stderr = "    Blocking waiting for file lock on package cache\n\
                      warning: profiles for the non root package will be ignored, specify profiles at the workspace root:\n\
                      package:   /w/crates/a/Cargo.toml\n\
                      workspace: /w/Cargo.toml\n\
                      warning: virtual workspace defaulting to `resolver = \"1\"`\n  |\n  = note: to keep it, say so\n\n\
                      \x20    Locking 1 package\n";
        assert_eq!(
            warnings(stderr),
            [
                "profiles for the non root package will be ignored, specify profiles at the workspace root:\n\
                 package:   /w/crates/a/Cargo.toml\nworkspace: /w/Cargo.toml",
                "virtual workspace defaulting to `resolver = \"1\"`\n  |\n  = note: to keep it, say so",
            ]
        );
        assert!(warnings("").is_empty());
    }
}
