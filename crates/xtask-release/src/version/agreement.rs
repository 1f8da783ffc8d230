//! `check-version`'s checks: tag, lockstep members, internal requirements, Cargo.lock,
//! extra files and changelog all agree on the version. Every problem is reported, each
//! naming its file and ending with the fix.

use std::fmt;

use anyhow::Result;
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use semver::{Version, VersionReq};
use serde::Serialize;

use super::sources::Files;
use crate::workspace::{Member, Workspace};

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
    let mut report = Report { ws, problems: Vec::new() };
    let Some(version) = files.release_version(ws) else {
        report.add(&ws.manifest_path, "states no version; add `version` to [workspace.package]".into());
        return Ok(report.problems);
    };
    if let Some(tag) = tag {
        report.tag(tag, &version);
    }
    report.members(&lockstep, &version);
    report.requirements(&files);
    report.lockfile(&files);
    report.extra_files(&files, &version);
    if let Some(changelog) = checked_changelog(ws) {
        report.changelog(&changelog, &version);
    }
    Ok(report.problems)
}

struct Report<'a> {
    ws: &'a Workspace,
    problems: Vec<Problem>,
}

impl Report<'_> {
    fn add(&mut self, file: &Utf8Path, message: String) {
        self.problems.push(Problem { file: self.ws.rel(file).to_path_buf(), message });
    }

    fn tag(&mut self, tag: &str, version: &Version) {
        let config = &self.ws.config;
        let expected = config.tag_for(version);
        if tag == expected {
            return;
        }
        // The version is right and only the prefix differs: say so, not "does not match".
        let other_prefix =
            tag.strip_suffix(version.to_string().as_str()).filter(|p| !p.ends_with(|c: char| c.is_ascii_digit()));
        if let Some(prefix) = other_prefix {
            let message = format!(
                "the tag `{tag}` names the version {version} but with the prefix `{prefix}`, while tag-prefix is `{}`; \
                 set `tag-prefix = {}` in [{}] if that is how your tags are written, or tag this commit `{expected}`",
                config.tag_prefix,
                toml_edit::Value::from(prefix).to_string().trim(),
                config.table
            );
            self.add(&self.ws.manifest_path, message);
            return;
        }
        let fix = match config.version_of(tag) {
            Some(tagged) => format!("run `bump {tagged}` and commit, or tag this commit `{expected}`"),
            _ => format!("tag this commit `{expected}` (tag-prefix is `{}`)", config.tag_prefix),
        };
        let message = format!("the tag `{tag}` does not match the version {version}; {fix}");
        self.add(&self.ws.manifest_path, message);
    }

    fn members(&mut self, lockstep: &[&Member], version: &Version) {
        for member in lockstep.iter().filter(|m| m.version != *version) {
            let message = format!(
                "`{}` is at {} but the workspace is at {version}; run `bump <VERSION>` to set one version everywhere",
                member.name, member.version
            );
            self.add(&member.manifest_path, message);
        }
    }

    fn requirements(&mut self, files: &Files) {
        for manifest in &files.manifests {
            for req in &manifest.requirements {
                let Some(member) = self.ws.member(&req.package) else { continue };
                if VersionReq::parse(&req.req.text).is_ok_and(|r| r.matches(&member.version)) {
                    continue;
                }
                let message = format!(
                    "{} requires `{}` \"{}\", which its version {} does not satisfy; set it to \"{}\" (`bump` does)",
                    req.table, req.package, req.req.text, member.version, member.version
                );
                self.add(&manifest.path, message);
            }
        }
    }

    fn lockfile(&mut self, files: &Files) {
        let Some(lock) = &files.lock else { return };
        for member in &self.ws.members {
            let message = match lock.package(&member.name) {
                None => format!("has no entry for `{}`; {LOCK_FIX}", member.name),
                Some(locked) if locked.version.version().as_ref() != Some(&member.version) => {
                    lock_entry_differs(&member.name, &locked.version.text, &member.version)
                }
                Some(_) => continue,
            };
            self.add(&lock.path, message);
        }
    }

    fn extra_files(&mut self, files: &Files, version: &Version) {
        for (path, extra) in &files.extras {
            let extra = match extra {
                Ok(extra) => extra,
                Err(why) => {
                    self.add(path, why.clone());
                    continue;
                }
            };
            for span in extra.spans.iter().filter(|s| s.version().as_ref() != Some(version)) {
                let message = format!(
                    "the version here is {} but the workspace is at {version}; set it to {version} (`bump` does)",
                    span.text
                );
                self.add(path, message);
            }
        }
    }

    fn changelog(&mut self, path: &Utf8Path, version: &Version) {
        let off = format!("or set `changelog = false` in [{}] if you keep none", self.ws.config.table);
        let message = match crate::ops::fs::read_optional(path, crate::ops::fs::Cap::TEXT) {
            Ok(None) => format!("cannot be read; create it with a `## [{version}]` section, {off}"),
            Err(err) => format!("cannot be read ({}); {off}", err.root_cause()),
            Ok(Some(text)) if super::section::find(&text, version).is_none() => {
                format!("has no section for {version}; add a `## [{version}]` heading with the release notes, {off}")
            }
            Ok(_) => return,
        };
        self.add(path, message);
    }
}

const LOCK_FIX: &str = "run `cargo update --workspace` and commit Cargo.lock";

/// What is wrong with a Cargo.lock entry at another version than its manifest, and the
/// fix; `bump` refuses a stale lock file with the same words.
pub(crate) fn lock_entry_differs(name: &str, locked: &str, manifest: &Version) -> String {
    format!("`{name}` is {locked} here but {manifest} in its manifest; {LOCK_FIX}")
}

/// The changelog `check-version` checks: none with `check-changelog = false`, with
/// `changelog = false`, or with the key unset and no CHANGELOG.md.
pub fn checked_changelog(ws: &Workspace) -> Option<Utf8PathBuf> {
    ws.config.check_changelog.then(|| ws.config.kept_changelog(&ws.root).ok()).flatten()
}
