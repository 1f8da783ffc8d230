//! Our table in the root Cargo.toml: `[workspace.metadata.xtask-release]`, or
//! `[package.metadata.xtask-release]` for a root package that is not a workspace (a
//! `[workspace]` table would break its nested standalone crates). Every key has a
//! default, so a workspace without the table works; an unknown key is an error, so a typo
//! is not silently ignored. cargo-release's `[workspace.metadata.release]` is its own
//! and never read as ours.

use std::path::Component;

use anyhow::{Result, anyhow, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;
use serde_json::Value;

use crate::{cargo_release, dist, github, publish, template, version};

/// Our table for a workspace.
pub const WORKSPACE_TABLE: &str = "workspace.metadata.xtask-release";
/// Our table for a root package without `[workspace]`; the same keys.
pub const PACKAGE_TABLE: &str = "package.metadata.xtask-release";
/// The key of our table under `metadata`.
const KEY: &str = "xtask-release";
/// The key of cargo-release's table under `metadata`.
const CARGO_RELEASE_KEY: &str = "release";
/// The commands whose `--execute` goes through the approval gate, the names
/// `require-approval` may list (a test checks each is a command of the CLI).
pub const APPROVABLE: &[&str] =
    &["bump", "changelog", "checksum", "dist", "github-release", "publish-ordered", "release", "rollback", "tag"];

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
    /// The changelog file, relative to the workspace root; `false` for none; unset means
    /// CHANGELOG.md when there is one.
    pub changelog: Changelog,
    /// Whether `check-version` requires a changelog section for the version.
    pub check_changelog: bool,
    /// Files outside the manifests that carry the version.
    pub extra_files: Vec<version::extra::ExtraFile>,
    /// The test suite `release` runs in preflight, as an argv list; a leading `cargo` is
    /// the cargo running us.
    pub test_command: Vec<String>,
    /// The append-only audit log of executed steps, relative to the workspace root
    /// [default: `xtask-release/audit.jsonl` in cargo's target directory].
    pub audit_log: Option<String>,
    /// Commands whose `--execute` needs `--approve sha256:<digest of the reviewed plan>`.
    pub require_approval: Vec<String>,
    /// Seconds to connect, and for the whole of a request with a small answer; also the
    /// longest a server may stay silent.
    pub http_timeout: u64,
    /// Seconds for the whole of an upload or download of a package or release asset.
    pub transfer_timeout: u64,
    /// The longest wait, in seconds, that a server may ask for and get waited out.
    pub max_retry_wait: u64,
    pub publish: publish::Config,
    pub dist: dist::Config,
    pub github: github::Config,
    /// The table this config was read from (or would be written to), for messages.
    #[serde(skip)]
    pub table: &'static str,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            tag_prefix: "v".into(),
            tag_message: "Release {tag}".into(),
            commit_message: "release: {tag}".into(),
            branch: "main".into(),
            remote: "origin".into(),
            changelog: Changelog::IfPresent,
            check_changelog: true,
            extra_files: Vec::new(),
            test_command: vec!["cargo".into(), "test".into(), "--workspace".into()],
            audit_log: None,
            require_approval: Vec::new(),
            http_timeout: 30,
            transfer_timeout: 1800,
            max_retry_wait: 300,
            publish: Default::default(),
            dist: Default::default(),
            github: Default::default(),
            table: WORKSPACE_TABLE,
        }
    }
}

impl Config {
    /// Reads our table from the workspace's metadata or the root package's (as cargo
    /// metadata reports them; `package` is `None` without a root package, `single` says
    /// the root package is the only member); both is an error. Also returns the notes to show: cargo-release's table, when it is there and
    /// ours is not, and which of its keys we would honour.
    pub fn from_metadata(
        workspace: &Value,
        package: Option<&Value>,
        single: bool,
        manifest: &str,
    ) -> Result<(Config, Vec<String>)> {
        let ours = match (table(Some(workspace), KEY), table(package, KEY)) {
            (Some(_), Some(_)) => bail!(
                "{manifest} has both [{WORKSPACE_TABLE}] and [{PACKAGE_TABLE}]; \
                 keep one ([{PACKAGE_TABLE}] for a package that is not a workspace)"
            ),
            (Some(value), None) => Some((value, WORKSPACE_TABLE)),
            (None, Some(value)) => Some((value, PACKAGE_TABLE)),
            (None, None) => None,
        };
        let Some((value, name)) = ours else {
            let (their, our) = match (table(Some(workspace), CARGO_RELEASE_KEY), table(package, CARGO_RELEASE_KEY)) {
                (Some(their), _) => (Some((their, "workspace.metadata.release")), WORKSPACE_TABLE),
                (None, Some(their)) => (Some((their, "package.metadata.release")), PACKAGE_TABLE),
                (None, None) => (None, if single { PACKAGE_TABLE } else { WORKSPACE_TABLE }),
            };
            let notes = their
                .map(|(value, name)| cargo_release::note(name, our, &cargo_release::translate(value)))
                .into_iter()
                .collect();
            return Ok((Config { table: our, ..Config::default() }, notes));
        };
        let mut config: Config = serde_path_to_error::deserialize(value).map_err(|e| {
            anyhow!(
                "invalid config in {manifest}: {}; fix that key (the keys are listed in docs/configuration.md)",
                where_and_what(name, &e)
            )
        })?;
        config.table = name;
        config.check_templates()?;
        config.check(manifest)?;
        Ok((config, Vec::new()))
    }

    /// The deadlines of HTTP requests and of the waits servers ask for.
    pub fn limits(&self) -> crate::ops::http::Limits {
        let seconds = std::time::Duration::from_secs;
        crate::ops::http::Limits {
            timeout: seconds(self.http_timeout),
            transfer_timeout: seconds(self.transfer_timeout),
            max_retry_wait: seconds(self.max_retry_wait),
        }
    }

    /// Refuses up front what git would refuse only after the release commit: a tag
    /// prefix that makes no valid tag name, an empty commit message.
    fn check(&self, manifest: &str) -> Result<()> {
        let table = self.table;
        for (key, value) in [("http-timeout", self.http_timeout), ("transfer-timeout", self.transfer_timeout)] {
            if value == 0 {
                bail!("`{key}` in [{table}] of {manifest} is 0: every request would time out; give it in seconds");
            }
        }
        let example = self.tag_for(&semver::Version::new(1, 2, 3));
        if let Err(why) = crate::ops::refname::check_tag(&example) {
            bail!(
                "tag-prefix = {:?} in [{table}] of {manifest} makes tags like `{example}`, which git refuses: \
                 {why}; set a prefix git accepts, such as \"v\", \"release-\" or \"\"",
                self.tag_prefix
            );
        }
        if let Some(unknown) = self.require_approval.iter().find(|c| !APPROVABLE.contains(&c.as_str())) {
            bail!(
                "require-approval in [{table}] of {manifest} lists `{unknown}`, which is not a command with an \
                 approval gate; the commands are {}",
                APPROVABLE.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            );
        }
        if self.audit_log.as_deref().is_some_and(|path| path.trim().is_empty()) {
            bail!(
                "audit-log = \"\" in [{table}] of {manifest} names no file; give a path relative to the workspace \
                 root, like \"release/audit.jsonl\", or remove the key to keep the log in cargo's target directory"
            );
        }
        let changelog = self.changelog_file().map(|path| ("changelog", path));
        let extra = self.extra_files.iter().map(|e| ("extra-files", e.path()));
        let audit_log = self.audit_log.as_deref().map(|path| ("audit-log", path));
        for (key, path) in changelog.into_iter().chain(extra).chain(audit_log) {
            let inside = std::path::Path::new(path).components().all(|c| matches!(c, Component::Normal(_)));
            if !inside || path.is_empty() {
                bail!(
                    "{key} = {path:?} in [{table}] of {manifest} is not inside the workspace; give a path \
                     relative to the workspace root, without `..`, like \"CHANGELOG.md\" or \"docs/version.txt\""
                );
            }
        }
        if self.commit_message.trim().is_empty() {
            bail!(
                "commit-message in [{table}] of {manifest} is empty, and git refuses an empty commit message; \
                 set one, e.g. commit-message = \"release: {{tag}}\""
            );
        }
        Ok(())
    }

    /// What [`Config::check`] cannot tell without the file system, checked when the
    /// workspace is loaded so that no command writes anything first: the audit log is not
    /// a directory, and no symlink on its way takes it out of the workspace at `root`.
    pub(crate) fn check_files(&self, root: &Utf8Path, manifest: &Utf8Path) -> Result<()> {
        let Some(configured) = &self.audit_log else { return Ok(()) };
        let table = self.table;
        let path = root.join(configured);
        if path.is_dir() {
            bail!(
                "audit-log = {configured:?} in [{table}] of {manifest} is a directory ({path}); name a file in it, \
                 like \"{}/audit.jsonl\"",
                configured.trim_end_matches('/')
            );
        }
        if let Some(link) = crate::ops::fs::link_out_of(root, &path) {
            bail!(
                "audit-log = {configured:?} in [{table}] of {manifest} leads out of the workspace through the symlink {link}; \
                 name a file inside the workspace, or replace the link with a directory"
            );
        }
        Ok(())
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
    pub fn render(&self, template: &str, version: &semver::Version) -> Result<String> {
        template::render(template, &[("version", &version.to_string()), ("tag", &self.tag_for(version))])
    }

    /// Checks every template when the config is loaded, so that an unknown placeholder
    /// fails whatever the command, naming its key.
    pub fn check_templates(&self) -> Result<()> {
        let table = self.table;
        template::check(table, "tag-message", &self.tag_message, template::MESSAGE)?;
        template::check(table, "commit-message", &self.commit_message, template::MESSAGE)?;
        template::check(&format!("{table}.github"), "name", &self.github.name, template::MESSAGE)?;
        template::check(&format!("{table}.dist"), "asset-name", &self.dist.asset_name, template::ASSET_NAME)
    }
}

/// Where in our table a value failed to deserialize, and why, as `[table] key: what`:
/// the table named as in the manifest (`[workspace.metadata.xtask-release.publish]`), the
/// key below it, and serde's words turned round to say what was expected first.
fn where_and_what(table: &str, err: &serde_path_to_error::Error<serde_json::Error>) -> String {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = err.path().iter().collect();
    // Leading map keys are tables, up to the last key or one holding an array.
    let mut table = table.to_string();
    let mut rest = &segments[..];
    while let [Segment::Map { key }, Segment::Map { .. }, ..] = rest {
        table = format!("{table}.{key}");
        rest = &rest[1..];
    }
    let mut key = String::new();
    for segment in rest {
        match segment {
            Segment::Map { key: k } if key.is_empty() => key.push_str(k),
            Segment::Map { key: k } => key.push_str(&format!(".{k}")),
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    let what = plain_words(&err.inner().to_string());
    if key.is_empty() { format!("[{table}]: {what}") } else { format!("[{table}] {key}: {what}") }
}

/// serde's `invalid type: string "1", expected usize` as `expected a non-negative
/// integer, found a string "1"`: what to write first, in words a config's reader knows.
fn plain_words(message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: ")) else {
        return message.to_string();
    };
    let Some((found, expected)) = rest.split_once(", expected ") else { return message.to_string() };
    let expected = match expected {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a non-negative integer",
        "a boolean" | "bool" => "true or false",
        "a sequence" => "an array",
        "a map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => other,
    };
    let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("expected {expected}, found {article} {found}")
}

/// `metadata.<key>` when it is there and not null.
fn table<'a>(metadata: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    metadata.and_then(|m| m.get(key)).filter(|v| !v.is_null())
}

/// The `changelog` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changelog {
    /// Unset: CHANGELOG.md when the workspace has one; nothing creates it unasked.
    IfPresent,
    /// `changelog = false`: every changelog step and check is off.
    Off,
    /// `changelog = "FILE"` (or `true`, CHANGELOG.md): kept, and required.
    File(String),
}

const DEFAULT_CHANGELOG: &str = "CHANGELOG.md";

impl Config {
    /// The file `changelog --execute` writes (relative to the root); `None` when off.
    pub fn changelog_file(&self) -> Option<&str> {
        match &self.changelog {
            Changelog::IfPresent => Some(DEFAULT_CHANGELOG),
            Changelog::Off => None,
            Changelog::File(file) => Some(file),
        }
    }

    /// The changelog that `release`, `check-version` and `github-release` keep and read,
    /// or why there is none (ending with how to opt in or out).
    pub fn kept_changelog(&self, root: &Utf8Path) -> Result<Utf8PathBuf, String> {
        match &self.changelog {
            Changelog::Off => Err(format!("changelog = false in [{}]", self.table)),
            Changelog::File(file) => Ok(root.join(file)),
            Changelog::IfPresent if root.join(DEFAULT_CHANGELOG).is_file() => Ok(root.join(DEFAULT_CHANGELOG)),
            Changelog::IfPresent => Err(format!(
                "there is no {DEFAULT_CHANGELOG}; to keep one, run `changelog --execute` once (or set \
                 `changelog = \"FILE\"` in [{}]), or set `changelog = false` there to say you keep none",
                self.table
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Changelog {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Changelog, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Changelog;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a file name like \"CHANGELOG.md\", or false for no changelog")
            }
            fn visit_bool<E: serde::de::Error>(self, keep: bool) -> Result<Changelog, E> {
                Ok(if keep { Changelog::File(DEFAULT_CHANGELOG.into()) } else { Changelog::Off })
            }
            fn visit_str<E: serde::de::Error>(self, file: &str) -> Result<Changelog, E> {
                if file.trim().is_empty() {
                    return Err(E::custom(
                        "`changelog = \"\"` names no file; write a file name (`changelog = \"CHANGELOG.md\"`), \
                         or `changelog = false` for no changelog",
                    ));
                }
                Ok(Changelog::File(file.into()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tag_for` and `version_of` are each other's inverse for every prefix, and a tag of
    /// another prefix names no version: every command reads tags through these two.
    #[test]
    fn tag_and_version_are_inverse() {
        for prefix in ["v", "", "ex-v", "release/"] {
            let config = Config { tag_prefix: prefix.into(), ..Config::default() };
            for version in ["0.1.0", "1.2.3-rc.1", "2.0.0+build.5"] {
                let version = semver::Version::parse(version).unwrap();
                assert_eq!(config.version_of(&config.tag_for(&version)), Some(version), "prefix `{prefix}`");
            }
        }
        let config = Config::default();
        assert_eq!(config.version_of("ex-v1.0.0"), None);
        assert_eq!(config.version_of("v1.0"), None);
    }

    #[test]
    fn network_limits_and_a_zero_timeout_refused() {
        let read = |table: serde_json::Value| {
            Config::from_metadata(&serde_json::json!({ "xtask-release": table }), None, false, "Cargo.toml")
        };
        assert_eq!(Config::default().limits(), crate::ops::http::Limits::DEFAULT);
        let (config, _) = read(serde_json::json!({ "http-timeout": 5, "max-retry-wait": 7 })).unwrap();
        let limits = config.limits();
        assert_eq!((limits.timeout.as_secs(), limits.max_retry_wait.as_secs()), (5, 7));
        let err = read(serde_json::json!({ "http-timeout": 0 })).unwrap_err().to_string();
        assert!(err.contains("`http-timeout` in [workspace.metadata.xtask-release] of Cargo.toml is 0"), "{err}");
    }
}
