//! `check-version`: tag, manifests, lock file, extra files and changelog agree.

use anyhow::Result;
use serde::Serialize;

use crate::workspace::Workspace;

pub use crate::version::check::Problem;

/// What to check against.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The tag the versions must match; `None` checks only that the files agree.
    pub tag: Option<String>,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn tag(mut self, tag: impl Into<String>) -> Options {
        self.tag = Some(tag.into());
        self
    }
}

/// Every disagreement found; none means the check passed.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    pub tag: Option<String>,
    pub problems: Vec<Problem>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads the workspace's files and compares their versions; changes nothing.
pub fn check(ws: &Workspace, options: &Options) -> Result<Outcome> {
    let problems = crate::version::check::check(ws, options.tag.as_deref())?;
    Ok(Outcome { tag: options.tag.clone(), problems })
}
