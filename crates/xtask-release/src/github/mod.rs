//! The changelog from commits, and the GitHub release through the REST API.

pub mod changelog;
pub mod release;

use serde::Deserialize;

/// `[workspace.metadata.release.github]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {}
