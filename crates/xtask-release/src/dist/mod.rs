//! Release assets: the CI build matrix, per-target builds, checksums and verification.

pub mod build;
pub mod check;
pub mod checksum;
pub mod matrix;
pub mod sha;
pub mod sums;
pub mod verify;

use serde::Deserialize;

/// `[workspace.metadata.release.dist]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {}
