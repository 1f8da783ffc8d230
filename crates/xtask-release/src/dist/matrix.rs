//! `build-matrix`: the GitHub Actions matrix of targets, runners and asset names.

use anyhow::Result;
use xshell::Shell;

use super::assets::{self, Matrix};
use crate::workspace::Workspace;

/// The matrix for the workspace's release version, from its dist config and binaries.
pub fn plan(sh: &Shell, ws: &Workspace) -> Result<Matrix> {
    let version = crate::version::current(ws)?;
    assets::load(sh, ws, &version)
}
