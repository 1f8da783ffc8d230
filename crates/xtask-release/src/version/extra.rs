//! Extra files that carry the version: pyproject.toml, package.json, or any file with a
//! search pattern.

use serde::Deserialize;

/// An entry of `extra-files`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ExtraFile {
    /// A path whose kind follows from its name (`pyproject.toml`, `package.json`).
    Path(String),
    /// A path with a pattern in which `{version}` stands for the version.
    Pattern { path: String, search: String },
}
