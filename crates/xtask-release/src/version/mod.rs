//! Where versions live and how they change: bump levels, manifest and lock file edits,
//! extra files.

pub(crate) mod agreement;
pub(crate) mod edits;
pub(crate) mod extra;
pub(crate) mod level;
pub(crate) mod lockfile;
pub(crate) mod manifest;
pub(crate) mod requirement;
pub(crate) mod section;
mod sources;
pub(crate) mod text;

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use semver::Version;

use crate::workspace::Workspace;
use sources::Files;

/// What `bump` and `release` are asked for: an exact version or a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Exact(Version),
    Level(Level),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Level {
    Major,
    Minor,
    Patch,
    /// Drop the pre-release part.
    Release,
    Rc,
    Beta,
    Alpha,
}

impl FromStr for Target {
    type Err = ParseTargetError;

    fn from_str(s: &str) -> Result<Target, ParseTargetError> {
        let level = match s {
            "major" => Level::Major,
            "minor" => Level::Minor,
            "patch" => Level::Patch,
            "release" => Level::Release,
            "rc" => Level::Rc,
            "beta" => Level::Beta,
            "alpha" => Level::Alpha,
            _ => {
                let v = s.strip_prefix('v').unwrap_or(s);
                return Version::parse(v).map(Target::Exact).map_err(|e| ParseTargetError {
                    message: format!(
                        "`{s}` is not a semver version ({e}) nor a level; give e.g. 1.2.3, 1.2.3-rc.1, major, minor, \
                         patch, release, rc, beta or alpha"
                    ),
                });
            }
        };
        Ok(Target::Level(level))
    }
}

/// Why a text is not a [`Target`]: neither a semver version nor a level. An error type, so
/// `?` turns it into `anyhow::Error` (or a `Box<dyn Error>`) as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseTargetError {
    message: String,
}

impl fmt::Display for ParseTargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseTargetError {}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Exact(v) => write!(f, "{v}"),
            Target::Level(l) => write!(f, "{}", format!("{l:?}").to_lowercase()),
        }
    }
}

/// The workspace's release version, as every command reads it (`check-version` reports
/// the same disagreements one by one): the version of the members that move in lockstep
/// (see `Files::lockstep`). A member of that set at another version is an error naming
/// it.
pub(crate) fn current(ws: &Workspace) -> Result<Version> {
    let files = Files::load(ws)?;
    let Some(version) = files.release_version(ws) else {
        bail!("{} states no version; add `version` to [workspace.package]", ws.manifest_path)
    };
    let disagree: Vec<String> = files
        .lockstep(ws)
        .iter()
        .filter(|m| m.version != version)
        .map(|m| format!("`{}` is at {}", m.name, m.version))
        .collect();
    if !disagree.is_empty() {
        bail!(
            "the members that move in lockstep do not share the release version {version}: {}; \
             run `check-version` to see every place, and `bump <VERSION>` to set one version everywhere",
            disagree.join(", ")
        );
    }
    Ok(version)
}
