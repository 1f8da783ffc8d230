//! `check-version`'s checks: tag, lockstep members, internal requirements, Cargo.lock,
//! extra files and changelog all agree on the version. Every problem is reported, each
//! naming its file and ending with the fix.

use std::fmt;

use anyhow::Result;
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use semver::{Version, VersionReq};
use serde::Serialize;

use super::files::Files;
use super::text::Span;
use crate::workspace::Workspace;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Relative to the workspace root.
    pub file: Utf8PathBuf,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Every disagreement about the release version, checked against `tag` when given.
/// Errors only when the manifests cannot be read at all.
pub fn check(ws: &Workspace, tag: Option<&str>) -> Result<Vec<Problem>> {
    let files = Files::load(ws)?;
    let lockstep = files.lockstep(ws);
    let Some(version) =
        files.workspace_version().and_then(Span::version).or_else(|| lockstep.iter().map(|m| m.version.clone()).max())
    else {
        return Ok(vec![problem(
            ws,
            &ws.manifest_path,
            "states no version; add `version` to [workspace.package]".into(),
        )]);
    };
    let mut problems = Vec::new();
    let mut report = |file: &Utf8Path, message: String| problems.push(problem(ws, file, message));

    if let Some(tag) = tag {
        let expected = ws.config.tag_for(&version);
        if tag != expected {
            let fix = match tag.strip_prefix(ws.config.tag_prefix.as_str()).map(Version::parse) {
                Some(Ok(tagged)) => format!("run `bump {tagged}` and commit, or tag this commit `{expected}`"),
                _ => format!("tag this commit `{expected}` (tag-prefix is `{}`)", ws.config.tag_prefix),
            };
            report(&ws.manifest_path, format!("the tag `{tag}` does not match the version {version}; {fix}"));
        }
    }

    for member in lockstep.iter().filter(|m| m.version != version) {
        report(
            &member.manifest_path,
            format!(
                "`{}` is at {} but the workspace is at {version}; run `bump <VERSION>` to set one version everywhere",
                member.name, member.version
            ),
        );
    }

    for manifest in &files.manifests {
        for req in &manifest.requirements {
            let Some(member) = ws.member(&req.package) else { continue };
            let satisfied = VersionReq::parse(&req.req.text).is_ok_and(|r| r.matches(&member.version));
            if !satisfied {
                report(
                    &manifest.path,
                    format!(
                        "{} requires `{}` \"{}\", which its version {} does not satisfy; set it to \"{}\" (`bump` does)",
                        req.table, req.package, req.req.text, member.version, member.version
                    ),
                );
            }
        }
    }

    if let Some(lock) = &files.lock {
        for member in &ws.members {
            let fix = "run `cargo update --workspace` and commit Cargo.lock";
            match lock.package(&member.name) {
                None => report(&lock.path, format!("has no entry for `{}`; {fix}", member.name)),
                Some(locked) if locked.version.version().as_ref() != Some(&member.version) => report(
                    &lock.path,
                    format!(
                        "`{}` is {} here but {} in its manifest; {fix}",
                        member.name, locked.version.text, member.version
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    for (path, extra) in &files.extras {
        match extra {
            Err(why) => report(path, why.clone()),
            Ok(extra) => {
                for span in extra.spans.iter().filter(|s| s.version().as_ref() != Some(&version)) {
                    report(
                        path,
                        format!(
                            "the version here is {} but the workspace is at {version}; set it to {version} (`bump` does)",
                            span.text
                        ),
                    );
                }
            }
        }
    }

    if ws.config.check_changelog {
        let path = ws.root.join(&ws.config.changelog);
        let off = "or set `check-changelog = false` in [workspace.metadata.release]";
        match std::fs::read_to_string(&path) {
            Err(_) => report(&path, format!("cannot be read; create it with a `## [{version}]` section, {off}")),
            Ok(text) if !has_section(&text, &version) => report(
                &path,
                format!("has no section for {version}; add a `## [{version}]` heading with the release notes, {off}"),
            ),
            Ok(_) => {}
        }
    }
    Ok(problems)
}

fn problem(ws: &Workspace, file: &Utf8Path, message: String) -> Problem {
    Problem { file: ws.rel(file).to_path_buf(), message }
}

/// Whether a `## ` heading names `version` as a whole word (`## [0.2.0] - date`,
/// `## 0.2.0`, but not `## 0.2.0-rc.1` or `## 10.2.0`).
fn has_section(changelog: &str, version: &Version) -> bool {
    let version = version.to_string();
    let part_of_version =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    changelog.lines().filter(|line| line.starts_with("## ")).any(|line| {
        line.match_indices(&version).any(|(at, _)| {
            !part_of_version(line[..at].chars().next_back())
                && !part_of_version(line[at + version.len()..].chars().next())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_sections() {
        let v = Version::parse("0.2.0").unwrap();
        assert!(has_section("# Changelog\n\n## [0.2.0] - 2026-01-01\n", &v));
        assert!(has_section("## 0.2.0\n", &v));
        assert!(!has_section("## [0.2.0-rc.1]\n", &v));
        assert!(!has_section("## 10.2.0\n", &v));
        assert!(!has_section("### 0.2.0\n", &v));
        assert!(!has_section("Released 0.2.0\n", &v));
    }
}
