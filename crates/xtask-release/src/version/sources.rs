//! The files that carry versions, read once for `bump` and `check-version`: the
//! manifests, Cargo.lock and the configured extra files.

use anyhow::Result;
use cargo_metadata::camino::Utf8PathBuf;
use semver::Version;

use super::extra::Extra;
use super::lockfile::Lockfile;
use super::manifest::Manifest;
use super::text::Span;
use crate::workspace::{Member, Workspace};

pub struct Files {
    /// The root manifest first, then each member's (the root's only once when it is a
    /// package too).
    pub manifests: Vec<Manifest>,
    pub lock: Option<Lockfile>,
    /// Each configured extra file by path, or why it cannot be used.
    pub extras: Vec<(Utf8PathBuf, Result<Extra, String>)>,
}

impl Files {
    pub fn load(ws: &Workspace) -> Result<Files> {
        let mut manifests = vec![Manifest::read(ws.manifest_path.clone())?];
        for member in &ws.members {
            if member.manifest_path != ws.manifest_path {
                manifests.push(Manifest::read(member.manifest_path.clone())?);
            }
        }
        let lock = Lockfile::read(ws.root.join("Cargo.lock"))?;
        let extras =
            ws.config.extra_files.iter().map(|e| (ws.root.join(e.path()), e.load(&ws.root, ws.config.table))).collect();
        Ok(Files { manifests, lock, extras })
    }

    pub fn manifest(&self, member: &Member) -> Option<&Manifest> {
        self.manifests.iter().find(|m| m.path == member.manifest_path)
    }

    /// The text of one of the files read.
    pub fn text(&self, path: &Utf8PathBuf) -> Option<&str> {
        let manifests = self.manifests.iter().map(|m| (&m.path, &m.text));
        let lock = self.lock.iter().map(|l| (&l.path, &l.text));
        let extras = self.extras.iter().filter_map(|(p, e)| e.as_ref().ok().map(|e| (p, &e.text)));
        manifests.chain(lock).chain(extras).find(|(p, _)| *p == path).map(|(_, text)| text.as_str())
    }

    /// `[workspace.package] version` of the root manifest.
    pub fn workspace_version(&self) -> Option<&Span> {
        self.manifests.first().and_then(|m| m.workspace_version.as_ref())
    }

    /// The release version: `[workspace.package] version` when the root states one, else
    /// the highest version of the lockstep members. `None` when nothing states one.
    pub fn release_version(&self, ws: &Workspace) -> Option<Version> {
        let declared = self.workspace_version().and_then(Span::version);
        declared.or_else(|| self.lockstep(ws).iter().map(|m| m.version.clone()).max())
    }

    /// The members that move in lockstep and share the release version: the publishable
    /// ones (to any registry: `publish = ["corp"]` counts) and those that inherit
    /// `[workspace.package] version`. A `publish = false` member with its own version (an
    /// example, a binding with its own numbering) keeps it. When no member qualifies, all
    /// members with a version move together.
    pub fn lockstep<'a>(&self, ws: &'a Workspace) -> Vec<&'a Member> {
        let inherits = |m: &Member| self.manifest(m).is_some_and(Manifest::inherits_version);
        let has_version =
            |m: &Member| self.manifest(m).is_some_and(|f| f.inherits_version() || f.own_version().is_some());
        let members: Vec<&Member> =
            ws.members.iter().filter(|m| (m.publish.is_released() && has_version(m)) || inherits(m)).collect();
        if members.is_empty() { ws.members.iter().filter(|m| has_version(m)).collect() } else { members }
    }
}
