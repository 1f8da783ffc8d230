//! `check-version`: tag, manifests, lock file, extra files and changelog agree.

use anyhow::{Result, bail};
use serde::Serialize;
use xshell::Shell;

use crate::steps::preflight::{Check, TagOnBranch, tag_on_branch};

use crate::workspace::Workspace;

pub use crate::version::agreement::Problem;

/// What to check against.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The tag the versions must match; `None` checks only that the files agree.
    pub tag: Option<String>,
    /// Also check that the tag's commit is on the release branch (`<remote>/<branch>`
    /// contains it), so that a tag on any other commit is not released.
    pub on_release_branch: bool,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn tag(mut self, tag: impl Into<String>) -> Options {
        self.tag = Some(tag.into());
        self
    }

    pub fn on_release_branch(mut self, on: bool) -> Options {
        self.on_release_branch = on;
        self
    }
}

/// Every disagreement found; none means the check passed.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    pub tag: Option<String>,
    pub problems: Vec<Problem>,
    /// With `on_release_branch`: whether the tag's commit is on the release branch.
    pub release_branch: Option<Check>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && !self.release_branch.as_ref().is_some_and(Check::is_failed)
    }
}

/// Reads the workspace's files (and with `on_release_branch` the git history) and
/// compares their versions; changes nothing.
pub fn check(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Outcome> {
    let release_branch = match options.on_release_branch {
        true => Some(on_release_branch(sh, ws, options.tag.as_deref())?),
        false => None,
    };
    let problems = crate::version::agreement::check(ws, options.tag.as_deref())?;
    Ok(Outcome { tag: options.tag.clone(), problems, release_branch })
}

/// `on_release_branch`: whether the tag's commit is on `<remote>/<branch>`.
fn on_release_branch(sh: &Shell, ws: &Workspace, tag: Option<&str>) -> Result<Check> {
    let Some(tag) = tag else { bail!("--on-release-branch needs a tag: pass --tag TAG") };
    let (remote, branch) = (&ws.config.remote, &ws.config.branch);
    let facts = TagOnBranch::gather(sh, tag, &format!("{remote}/{branch}"))?;
    Ok(tag_on_branch(&facts, tag, remote, branch))
}
