//! `[workspace.metadata.release]` in the root Cargo.toml. Every key has a default, so a
//! workspace without the table works; an unknown key is an error, so a typo is not
//! silently ignored.

use anyhow::{Context as _, Result};
use serde::Deserialize;

use crate::{dist, github, publish, version};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Put before the version to make the tag: `v` gives `v1.2.3`.
    pub tag_prefix: String,
    /// Annotated tag message; `{version}` and `{tag}` are filled in.
    pub tag_message: String,
    /// Message of the release commit; `{version}` and `{tag}` are filled in.
    pub commit_message: String,
    /// The branch releases are cut from.
    pub branch: String,
    /// The remote that branch and tag are pushed to.
    pub remote: String,
    /// The changelog file, relative to the workspace root.
    pub changelog: String,
    /// Whether `check-version` requires a changelog section for the version.
    pub check_changelog: bool,
    /// Files outside the manifests that carry the version.
    pub extra_files: Vec<version::extra::ExtraFile>,
    /// The test suite `release` runs in preflight, as an argv list; a leading `cargo` is
    /// the cargo running us.
    pub test_command: Vec<String>,
    /// The append-only audit log of executed steps, relative to the workspace root.
    pub audit_log: String,
    /// Commands whose `--execute` needs `--approve sha256:<digest of the reviewed plan>`.
    pub require_approval: Vec<String>,
    pub publish: publish::Config,
    pub dist: dist::Config,
    pub github: github::Config,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            tag_prefix: "v".into(),
            tag_message: "Release {tag}".into(),
            commit_message: "release: {tag}".into(),
            branch: "main".into(),
            remote: "origin".into(),
            changelog: "CHANGELOG.md".into(),
            check_changelog: true,
            extra_files: Vec::new(),
            test_command: vec!["cargo".into(), "test".into(), "--workspace".into()],
            audit_log: crate::audit::DEFAULT_LOG.into(),
            require_approval: Vec::new(),
            publish: Default::default(),
            dist: Default::default(),
            github: Default::default(),
        }
    }
}

impl Config {
    /// Reads the `release` key of the workspace metadata, as cargo metadata reports it.
    pub fn from_workspace_metadata(metadata: &serde_json::Value, manifest: &str) -> Result<Config> {
        match metadata.get("release") {
            None | Some(serde_json::Value::Null) => Ok(Config::default()),
            Some(value) => Config::deserialize(value).with_context(|| {
                format!("invalid [workspace.metadata.release] in {manifest}; fix the key named above")
            }),
        }
    }

    /// The tag for `version`, e.g. `v1.2.3`.
    pub fn tag_for(&self, version: &semver::Version) -> String {
        format!("{}{version}", self.tag_prefix)
    }

    /// The version a tag names: `v1.2.3` gives 1.2.3; `None` without the prefix or semver.
    pub fn version_of(&self, tag: &str) -> Option<semver::Version> {
        semver::Version::parse(tag.strip_prefix(self.tag_prefix.as_str())?).ok()
    }

    /// Fills `{version}` and `{tag}` in a message template.
    pub fn render(&self, template: &str, version: &semver::Version) -> String {
        template.replace("{tag}", &self.tag_for(version)).replace("{version}", &version.to_string())
    }
}
