//! The changelog from commits, and the GitHub release through the REST API.

pub mod api;
pub mod changelog;
pub mod commits;
pub mod date;
pub mod outputs;
pub mod release;
pub mod repo;

use serde::Deserialize;

/// `[workspace.metadata.release.github]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Create releases as drafts, to publish them by hand after a look.
    pub draft: bool,
    /// The release's title; `{version}` and `{tag}` are filled in.
    pub name: String,
}

impl Default for Config {
    fn default() -> Config {
        Config { draft: false, name: "{tag}".into() }
    }
}
