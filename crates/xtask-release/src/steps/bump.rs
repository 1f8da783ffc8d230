//! `bump`: set a new version everywhere it lives.

use anyhow::Result;
use cargo_metadata::camino::Utf8PathBuf;

use crate::report::Reporter;
use crate::version::Target;
use crate::workspace::Workspace;

pub use crate::ops::fs::FileEdit;
pub use crate::version::edits::{BumpPlan as Plan, PackageBump};

/// What to bump to, and which packages.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// An exact version or a level (`"minor".parse()`).
    pub target: Target,
    /// Bump only these packages (and their dependents' requirements); empty means the
    /// whole workspace in lockstep.
    pub packages: Vec<String>,
    /// Leave these packages out of a whole-workspace bump (each with its own version).
    pub exclude: Vec<String>,
}

impl Options {
    pub fn new(target: Target) -> Options {
        Options { target, packages: Vec::new(), exclude: Vec::new() }
    }

    /// Leave `name` out of the whole-workspace bump, besides any named before.
    pub fn exclude(mut self, name: impl Into<String>) -> Options {
        self.exclude.push(name.into());
        self
    }

    /// Bump only `name` (and its dependents' requirements), besides any named before.
    pub fn package(mut self, name: impl Into<String>) -> Options {
        self.packages.push(name.into());
        self
    }
}

/// What `execute` wrote.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// The files written, in plan order.
    pub written: Vec<Utf8PathBuf>,
}

/// Every edit, computed from the workspace's files; nothing is written. A plan that
/// would write outside the workspace through a symlink is refused here, so a dry run
/// says so too.
pub fn plan(ws: &Workspace, options: &Options) -> Result<Plan> {
    let plan = crate::version::edits::plan_excluding(ws, &options.target, &options.packages, &options.exclude)?;
    plan.check_inside()?;
    Ok(plan)
}

/// Writes each edit of the plan atomically, in order, reporting each file.
pub fn execute(ws: &Workspace, plan: &Plan, reporter: &dyn Reporter) -> Result<Outcome> {
    let mut written = Vec::new();
    plan.apply_each(|edit| {
        reporter.status("Updated", ws.rel(&edit.path).as_str());
        written.push(edit.path.clone());
    })?;
    Ok(Outcome { written })
}
