//! The GitHub release through the REST API, and the Actions run it happens in.

// Reachable through rollback's `client`, `plan` and `execute`, which take the client,
// but not covered by semver: a library caller gets one from `rollback::client`.
#[allow(unnameable_types)]
pub(crate) mod client;
pub mod create_release;
pub(crate) mod repo;

use serde::Deserialize;

/// The tag a GitHub Actions run was started for: `GITHUB_REF_NAME`, unless
/// `GITHUB_REF_TYPE` says the run is for a branch, whose name that then is.
pub(crate) fn actions_tag() -> Option<String> {
    let name = std::env::var("GITHUB_REF_NAME").ok().map(|n| n.trim().to_string()).filter(|n| !n.is_empty())?;
    let is_branch = std::env::var("GITHUB_REF_TYPE").is_ok_and(|t| t == "branch");
    (!is_branch).then_some(name)
}

/// `[workspace.metadata.xtask-release.github]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct Config {
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
