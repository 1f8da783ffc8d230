//! What each bump level does to a version, and how a target becomes the new version.
//!
//! | level | on `0.3.1` | on `1.2.0-rc.2` | on `1.0.0-beta.1` |
//! | --- | --- | --- | --- |
//! | `major` | `1.0.0` | `2.0.0` | `1.0.0` |
//! | `minor` | `0.4.0` | `1.2.0` | `1.0.0` |
//! | `patch` | `0.3.2` | `1.2.0` | `1.0.0` |
//! | `release` | refused | `1.2.0` | `1.0.0` |
//! | `rc` | `0.3.2-rc.1` | `1.2.0-rc.3` | `1.0.0-rc.1` |
//! | `beta` | `0.3.2-beta.1` | refused | `1.0.0-beta.2` |
//! | `alpha` | `0.3.2-alpha.1` | refused | refused |
//!
//! `major` on `0.x` gives `1.0.0`: the first stable release, not `0.(x+1)`. On a
//! pre-release, `major`, `minor` and `patch` finish it when it is already a pre-release of
//! that level (`1.2.0-rc.2` is the pre-release of a minor, so `minor` gives `1.2.0`), as
//! npm and semver tools do. A pre-release level on a plain version starts a pre-release
//! of the next patch (`rc` on `0.3.1` gives `0.3.2-rc.1`), as cargo-release does; to start
//! the pre-releases of a minor or major, give the version (`bump 0.4.0-rc.1`).
//! The pre-release levels go alpha < beta < rc; going back (`alpha` on an rc) is refused
//! as a downgrade. Build metadata is dropped, and never makes a version newer: SemVer
//! (item 10) gives it no precedence, so `0.1.0+build` is the same release as `0.1.0`.
//! A number at its limit (u64) has no next one: a clear error, not an overflow.

use std::cmp::Ordering;

use anyhow::{Result, anyhow, bail};
use semver::{BuildMetadata, Prerelease, Version};

use super::{Level, Target};

impl Target {
    /// The version this target asks for when the workspace is at `current`; refuses a
    /// version that is not greater than `current`.
    pub fn resolve(&self, current: &Version) -> Result<Version> {
        let new = match self {
            Target::Exact(v) => v.clone(),
            Target::Level(level) => level.apply(current)?,
        };
        if new.cmp_precedence(current) == Ordering::Equal && new != *current {
            bail!(same_precedence(&new, current));
        }
        if new == *current {
            bail!("the version is already {current}; give a higher version or a level (major, minor, patch, rc, ...)");
        }
        if new < *current {
            bail!("{new} is lower than the current version {current}; give a version greater than {current}");
        }
        Ok(new)
    }
}

impl Level {
    /// The next version at this level; see the module docs for the table.
    pub fn apply(self, v: &Version) -> Result<Version> {
        let pre = !v.pre.is_empty();
        let new = match self {
            Level::Major if pre && v.minor == 0 && v.patch == 0 => plain(v.major, 0, 0),
            Level::Major => plain(next(v, v.major, "major")?, 0, 0),
            Level::Minor if pre && v.patch == 0 => plain(v.major, v.minor, 0),
            Level::Minor => plain(v.major, next(v, v.minor, "minor")?, 0),
            Level::Patch if pre => plain(v.major, v.minor, v.patch),
            Level::Patch => plain(v.major, v.minor, next(v, v.patch, "patch")?),
            Level::Release if pre => plain(v.major, v.minor, v.patch),
            Level::Release => {
                bail!("{v} is not a pre-release, so `release` has nothing to drop; give a level or a version")
            }
            Level::Rc => pre_release(v, Stage::Rc)?,
            Level::Beta => pre_release(v, Stage::Beta)?,
            Level::Alpha => pre_release(v, Stage::Alpha)?,
        };
        Ok(new)
    }
}

/// The pre-release stages in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Alpha,
    Beta,
    Rc,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Alpha => "alpha",
            Stage::Beta => "beta",
            Stage::Rc => "rc",
        }
    }

    /// Reads `rc.2` (or `rc`, counted as 0) into its stage and number.
    fn parse(pre: &Prerelease) -> Option<(Stage, u64)> {
        let (name, number) = match pre.as_str().split_once('.') {
            Some((name, number)) => (name, number.parse().ok()?),
            None => (pre.as_str(), 0),
        };
        let stage = [Stage::Alpha, Stage::Beta, Stage::Rc].into_iter().find(|s| s.name() == name)?;
        Some((stage, number))
    }
}

fn pre_release(v: &Version, stage: Stage) -> Result<Version> {
    if v.pre.is_empty() {
        return with_pre(plain(v.major, v.minor, next(v, v.patch, "patch")?), stage, 1);
    }
    let Some((current, number)) = Stage::parse(&v.pre) else {
        bail!(
            "{v} has the pre-release `{}`, which is not alpha.N, beta.N or rc.N; give the new version instead of `{}`",
            v.pre,
            stage.name()
        );
    };
    let base = plain(v.major, v.minor, v.patch);
    match current.cmp(&stage) {
        Ordering::Less => with_pre(base, stage, 1),
        Ordering::Equal => with_pre(base, stage, next(v, number, stage.name())?),
        Ordering::Greater => bail!(
            "`{}` on {v} would go back from {} to {}, a downgrade; give a later stage, `release`, or a version",
            stage.name(),
            current.name(),
            stage.name()
        ),
    }
}

/// `number + 1`, or an error when `number` is u64's largest: there is no next `part`.
fn next(v: &Version, number: u64, part: &str) -> Result<u64> {
    number.checked_add(1).ok_or_else(|| {
        anyhow!(
            "{v}: the {part} number {number} is the largest a version can hold, so there is no next {part}; \
             give the new version itself instead of a level (one with a higher earlier part)"
        )
    })
}

/// The refusal of a version that differs from `current` only in build metadata.
pub fn same_precedence(new: &Version, current: &Version) -> String {
    format!(
        "{new} differs from {current} only in build metadata, which SemVer (item 10) gives no precedence: \
         it is the same release, not a newer one; give a higher version (e.g. {}), and put build \
         information in the changelog or the release notes instead",
        suggestion(current)
    )
}

/// The next patch of `v` without its build metadata, or `v` itself at the limit.
fn suggestion(v: &Version) -> Version {
    let base = plain(v.major, v.minor, v.patch);
    if !v.pre.is_empty() {
        return base;
    }
    v.patch.checked_add(1).map_or(base, |patch| plain(v.major, v.minor, patch))
}

fn plain(major: u64, minor: u64, patch: u64) -> Version {
    Version { major, minor, patch, pre: Prerelease::EMPTY, build: BuildMetadata::EMPTY }
}

fn with_pre(mut v: Version, stage: Stage, number: u64) -> Result<Version> {
    v.pre = Prerelease::new(&format!("{}.{number}", stage.name()))?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        #[rustfmt::skip]
        let table = [
            ("0.3.1", "major", "1.0.0"),
            ("1.2.3", "major", "2.0.0"),
            ("1.0.0-rc.1", "major", "1.0.0"),
            ("1.2.0-rc.2", "major", "2.0.0"),
            ("0.3.1", "minor", "0.4.0"),
            ("1.2.0-rc.2", "minor", "1.2.0"),
            ("1.2.3-rc.2", "minor", "1.3.0"),
            ("1.0.0-beta.1", "minor", "1.0.0"),
            ("0.3.1", "patch", "0.3.2"),
            ("1.2.3-alpha.1", "patch", "1.2.3"),
            ("0.1.0+build.5", "patch", "0.1.1"),
            ("0.2.0-rc.1", "release", "0.2.0"),
            ("0.2.0-rc.1", "rc", "0.2.0-rc.2"),
            ("0.2.0-rc", "rc", "0.2.0-rc.1"),
            ("0.1.0", "rc", "0.1.1-rc.1"),
            ("0.2.0-beta.3", "rc", "0.2.0-rc.1"),
            ("0.2.0-alpha.1", "beta", "0.2.0-beta.1"),
            ("0.2.0-beta.1", "beta", "0.2.0-beta.2"),
            ("0.1.0", "beta", "0.1.1-beta.1"),
            ("0.1.0", "alpha", "0.1.1-alpha.1"),
            ("0.2.0-alpha.9", "alpha", "0.2.0-alpha.10"),
        ];
        for (from, level, to) in table {
            let target: Target = level.parse().unwrap();
            let got = target.resolve(&Version::parse(from).unwrap()).unwrap();
            assert_eq!(got.to_string(), to, "{level} on {from}");
        }
    }

    #[test]
    fn refusals() {
        #[rustfmt::skip]
        let table = [
            ("0.2.0", "release", "not a pre-release"),
            ("0.2.0-rc.1", "alpha", "downgrade"),
            ("0.2.0-rc.1", "beta", "downgrade"),
            ("0.2.0-beta.1", "alpha", "downgrade"),
            ("0.2.0-dev.1", "rc", "not alpha.N"),
            ("0.2.0", "0.2.0", "already 0.2.0"),
            ("0.2.0", "0.1.9", "lower than"),
            ("0.2.0", "0.2.0-rc.1", "lower than"),
            ("0.1.0", "0.1.0+build", "only in build metadata"),
            ("0.1.0+a", "0.1.0+b", "only in build metadata"),
            ("18446744073709551615.0.0", "major", "the major number 18446744073709551615 is the largest"),
            ("0.18446744073709551615.0", "minor", "no next minor"),
            ("0.0.18446744073709551615", "patch", "no next patch"),
            ("0.0.18446744073709551615", "rc", "no next patch"),
            ("1.0.0-rc.18446744073709551615", "rc", "no next rc"),
        ];
        for (from, target, message) in table {
            let target: Target = target.parse().unwrap();
            let err = target.resolve(&Version::parse(from).unwrap()).unwrap_err().to_string();
            assert!(err.contains(message), "{target} on {from}: {err}");
        }
    }
}
