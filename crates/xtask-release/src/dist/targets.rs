//! Build targets: the default platform table, the triples we know, and how a configured
//! target is completed from them.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// `triple, platform label, GitHub Actions runner` shipped when the config names none:
/// native runners for each, so nothing is built under emulation. `macos-15-intel` is
/// GitHub's last x86_64 macOS image for standard runners (until macOS 15 is retired,
/// announced for fall 2027); `macos-15` is arm64.
pub const DEFAULTS: [(&str, &str, &str); 5] = [
    ("x86_64-unknown-linux-gnu", "linux-amd64", "ubuntu-latest"),
    ("aarch64-unknown-linux-gnu", "linux-arm64", "ubuntu-24.04-arm"),
    ("x86_64-apple-darwin", "macos-intel", "macos-15-intel"),
    ("aarch64-apple-darwin", "macos-silicon", "macos-15"),
    ("x86_64-pc-windows-msvc", "windows-amd64", "windows-latest"),
];

/// GitHub-hosted runner images that GitHub has retired, with the month they went: a job
/// that asks for one never starts. Kept here so a test fails when a default names one,
/// and so `build-matrix` can warn about a configured one. Add to it when GitHub
/// announces a retirement (github.com/actions/runner-images, label "Announcement").
pub const RETIRED_RUNNERS: &[(&str, &str)] = &[
    ("ubuntu-16.04", "2021-09"),
    ("ubuntu-18.04", "2023-04"),
    ("ubuntu-20.04", "2025-04"),
    ("macos-10.14", "2020-03"),
    ("macos-10.15", "2022-08"),
    ("macos-11", "2024-06"),
    ("macos-12", "2024-12"),
    ("macos-12-large", "2024-12"),
    ("macos-13", "2025-12"),
    ("macos-13-large", "2025-12"),
    ("macos-13-xlarge", "2025-12"),
    ("windows-2016", "2022-03"),
    ("windows-2019", "2025-06"),
];

/// When GitHub retired the runner image `runner`, if it did.
pub fn retired(runner: &str) -> Option<&'static str> {
    RETIRED_RUNNERS.iter().find(|(name, _)| *name == runner).map(|(_, when)| *when)
}

/// Rust's tier 1 and the common tier 2 triples. A configured triple outside this list is
/// looked up in `rustc --print target-list` before it is called unknown.
pub const KNOWN: &[&str] = &[
    "aarch64-apple-darwin",
    "aarch64-linux-android",
    "aarch64-pc-windows-gnullvm",
    "aarch64-pc-windows-msvc",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
    "arm-unknown-linux-gnueabi",
    "arm-unknown-linux-gnueabihf",
    "armv7-unknown-linux-gnueabihf",
    "armv7-unknown-linux-musleabihf",
    "i686-pc-windows-gnu",
    "i686-pc-windows-msvc",
    "i686-unknown-linux-gnu",
    "i686-unknown-linux-musl",
    "loongarch64-unknown-linux-gnu",
    "powerpc64-unknown-linux-gnu",
    "powerpc64le-unknown-linux-gnu",
    "riscv64gc-unknown-linux-gnu",
    "s390x-unknown-linux-gnu",
    "wasm32-wasip1",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-gnu",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-freebsd",
    "x86_64-unknown-illumos",
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "x86_64-unknown-netbsd",
];

/// An archive format for a target's assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Archive {
    #[serde(rename = "tar.gz")]
    TarGz,
    #[serde(rename = "zip")]
    Zip,
}

impl Archive {
    pub fn extension(self) -> &'static str {
        match self {
            Archive::TarGz => ".tar.gz",
            Archive::Zip => ".zip",
        }
    }
}

/// One entry of `targets` in the config; platform and runner may be left out for a
/// triple of the default table.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TargetConfig {
    pub triple: String,
    pub platform: Option<String>,
    pub runner: Option<String>,
    pub archive: Option<Archive>,
    /// Build with `cross` instead of cargo, for targets the runner cannot build natively.
    #[serde(default)]
    pub cross: bool,
    /// Cargo features to turn on for this target.
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub no_default_features: bool,
    /// Environment variables for this target's build (e.g. linker settings).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// A target with everything filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub triple: String,
    pub platform: String,
    pub runner: String,
    pub archive: Option<Archive>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cross: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_default_features: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

impl Target {
    /// What the binaries of this target end in.
    pub fn exe_suffix(&self) -> &'static str {
        if self.triple.contains("-windows") { ".exe" } else { "" }
    }

    /// The archive a target gets when every binary goes into one: zip where Windows
    /// users unpack, tar.gz elsewhere.
    pub fn default_archive(&self) -> Archive {
        if self.triple.contains("-windows") { Archive::Zip } else { Archive::TarGz }
    }
}

/// The default targets, when the config names none.
pub fn defaults() -> Vec<Target> {
    DEFAULTS
        .iter()
        .map(|(triple, platform, runner)| Target {
            triple: triple.to_string(),
            platform: platform.to_string(),
            runner: runner.to_string(),
            archive: None,
            cross: false,
            features: Vec::new(),
            no_default_features: false,
            env: BTreeMap::new(),
        })
        .collect()
}

/// Completes the configured targets. `is_known` answers for triples outside `KNOWN`
/// (the caller asks rustc); an unknown triple, a duplicate, or a missing platform or
/// runner is an error naming it (and `table`, the config's).
pub fn resolve(configured: &[TargetConfig], table: &str, is_known: impl Fn(&str) -> bool) -> Result<Vec<Target>> {
    if configured.is_empty() {
        return Ok(defaults());
    }
    let mut targets: Vec<Target> = Vec::new();
    for entry in configured {
        let triple = entry.triple.as_str();
        if !KNOWN.contains(&triple) && !is_known(triple) {
            bail!(
                "unknown target triple `{triple}` in [{table}.dist] targets; \
                 use a triple from `rustc --print target-list`"
            );
        }
        if targets.iter().any(|t| t.triple == triple) {
            bail!("target `{triple}` is listed twice in [{table}.dist] targets; keep one");
        }
        let default = DEFAULTS.iter().find(|(t, _, _)| *t == triple);
        let (Some(platform), Some(runner)) = (
            entry.platform.clone().or_else(|| default.map(|d| d.1.to_string())),
            entry.runner.clone().or_else(|| default.map(|d| d.2.to_string())),
        ) else {
            bail!(
                "target `{triple}` in [{table}.dist] targets needs `platform` and `runner` \
                 (only the default targets have them built in)"
            );
        };
        targets.push(Target {
            triple: triple.to_string(),
            platform,
            runner,
            archive: entry.archive,
            cross: entry.cross,
            features: entry.features.clone(),
            no_default_features: entry.no_default_features,
            env: entry.env.clone(),
        });
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(triple: &str) -> TargetConfig {
        TargetConfig {
            triple: triple.into(),
            platform: None,
            runner: None,
            archive: None,
            cross: false,
            features: Vec::new(),
            no_default_features: false,
            env: BTreeMap::new(),
        }
    }

    #[test]
    fn defaults_fill_in_platform_and_runner() {
        let targets = resolve(&[entry("aarch64-apple-darwin")], crate::config::WORKSPACE_TABLE, |_| false).unwrap();
        assert_eq!(targets[0].platform, "macos-silicon");
        assert_eq!(targets[0].runner, "macos-15");
        assert_eq!(defaults()[4].exe_suffix(), ".exe");
        assert_eq!(defaults()[0].exe_suffix(), "");
    }

    #[test]
    fn no_default_runner_is_retired() {
        for (triple, _, runner) in DEFAULTS {
            assert_eq!(retired(runner), None, "the default runner of {triple}, {runner}, is retired");
        }
        assert_eq!(retired("macos-13"), Some("2025-12"));
        assert_eq!(
            resolve(&[entry("x86_64-apple-darwin")], crate::config::WORKSPACE_TABLE, |_| false).unwrap()[0].runner,
            "macos-15-intel"
        );
    }

    #[test]
    fn unknown_duplicate_and_incomplete_targets_are_named() {
        let err = resolve(&[entry("x86_64-unknown-linux-gnux")], crate::config::WORKSPACE_TABLE, |_| false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown target triple `x86_64-unknown-linux-gnux`"), "{err}");
        let err = resolve(
            &[entry("aarch64-apple-darwin"), entry("aarch64-apple-darwin")],
            crate::config::WORKSPACE_TABLE,
            |_| false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
        let err = resolve(&[entry("x86_64-unknown-linux-musl")], crate::config::WORKSPACE_TABLE, |_| false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs `platform` and `runner`"), "{err}");
        let sparc = TargetConfig {
            platform: Some("linux-sparc".into()),
            runner: Some("self-hosted".into()),
            ..entry("sparc64-unknown-linux-gnu")
        };
        assert!(resolve(std::slice::from_ref(&sparc), crate::config::WORKSPACE_TABLE, |_| false).is_err());
        assert_eq!(
            resolve(&[sparc], crate::config::WORKSPACE_TABLE, |t| t == "sparc64-unknown-linux-gnu").unwrap()[0]
                .platform,
            "linux-sparc"
        );
    }
}
