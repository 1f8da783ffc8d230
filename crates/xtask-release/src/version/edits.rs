//! The bump plan: every edit a new version needs, computed and validated before anything
//! is written.
//!
//! Versions are read from every place that states one (`[workspace.package]`, members'
//! own versions, their Cargo.lock entries, extra files). Their lowest is the current
//! version, so a bump that was interrupted part-way is finished by running it again: the
//! places already at the target are left alone and the rest catch up, instead of the
//! target moving on. Files without a version of their own (requirements only) are written
//! first, so an interruption always leaves some version behind to resume from, and
//! Cargo.lock first of the rest: a lock entry behind every other place is therefore never
//! an unfinished bump of ours but a stale lock file, refused rather than silently repaired.
//! An exact version the workspace is at everywhere already is a finished bump: nothing to
//! do, like a finished `release`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use semver::Version;
use serde::Serialize;

use super::manifest::PackageVersion;
use super::sources::Files;
use super::text::{Span, splice};
use super::{Target, requirement};
use crate::ops::fs::{self, FileEdit};
use crate::workspace::Workspace;

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BumpPlan {
    /// The new version; with `-p`, the highest of the packages' new versions.
    pub version: Version,
    pub packages: Vec<PackageBump>,
    /// Only files whose text changes, files without a version of their own first.
    pub edits: Vec<FileEdit>,
    /// Temporary files a killed run left beside the files a bump reads; applying the plan
    /// removes them (they would fail `tag`'s and `release`'s clean-tree check).
    #[serde(skip)]
    pub stale_temp: Vec<Utf8PathBuf>,
    /// The workspace root: every write lands inside it, and messages name files from it.
    #[serde(skip)]
    pub root: Utf8PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageBump {
    pub name: String,
    pub from: Version,
    pub to: Version,
}

impl BumpPlan {
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    pub fn apply(&self) -> Result<()> {
        self.apply_each(|_| {})
    }

    /// Refuses the plan when a file it edits is a symlink (or lies behind one) that
    /// leads outside the workspace: the bump would change a file that is not the
    /// workspace's.
    pub fn check_inside(&self) -> Result<()> {
        self.edits.iter().try_for_each(|edit| fs::check_inside(&self.root, &edit.path))
    }

    /// Checks that every write stays inside the workspace, removes stale temporary
    /// files, then writes each file atomically, in plan order, calling `written` after
    /// each. A failure names the files written (from the workspace root) and says that
    /// running the same bump again finishes it (the written places count as done).
    pub fn apply_each(&self, mut written: impl FnMut(&FileEdit)) -> Result<()> {
        self.check_inside()?;
        for tmp in &self.stale_temp {
            std::fs::remove_file(tmp)
                .with_context(|| format!("cannot remove {tmp}, left by an interrupted run; delete it by hand"))?;
        }
        for (done, edit) in self.edits.iter().enumerate() {
            if let Err(err) = edit.apply() {
                let names: Vec<&str> = self.edits[..done]
                    .iter()
                    .map(|e| e.path.strip_prefix(&self.root).unwrap_or(&e.path).as_str())
                    .collect();
                let wrote = match names.is_empty() {
                    true => "no file was changed".to_string(),
                    false => format!("{done} of {} files were written ({})", self.edits.len(), names.join(", ")),
                };
                return Err(err.context(format!(
                    "the bump to {} stopped: {wrote}; fix the cause below and run the same command again, \
                     which finishes the bump from where it stopped",
                    self.version
                )));
            }
            written(edit);
        }
        Ok(())
    }
}

/// Replacements of spans, by file.
type Splices = BTreeMap<Utf8PathBuf, Vec<(Range<usize>, String)>>;

/// Plans moving the workspace (lockstep, when `packages` is empty) or the named
/// packages to `target`.
pub fn plan(ws: &Workspace, target: &Target, packages: &[String]) -> Result<BumpPlan> {
    plan_excluding(ws, target, packages, &[])
}

/// [`plan`] with the packages in `exclude` left out of the lockstep set (cargo-release's
/// `--workspace --exclude`): their own versions stay, requirements on them too. A package
/// that inherits the workspace version cannot stay behind and is refused.
pub fn plan_excluding(ws: &Workspace, target: &Target, packages: &[String], exclude: &[String]) -> Result<BumpPlan> {
    let files = Files::load(ws)?;
    let mut packages: Vec<&String> = packages.iter().collect();
    packages.sort();
    packages.dedup();
    let groups = if packages.is_empty() {
        vec![lockstep(ws, &files, exclude)?]
    } else if !exclude.is_empty() {
        bail!("--exclude goes with a bump of the whole workspace, not with -p; give one or the other")
    } else {
        packages.iter().map(|name| package(ws, &files, name)).collect::<Result<Vec<_>>>()?
    };

    let mut splices = Splices::new();
    let mut versioned_files = BTreeSet::new();
    let mut bumps = Vec::new();
    for group in &groups {
        let (from, to) = group.resolve(target)?;
        for site in group.sites.iter().filter(|s| s.span.text != to.to_string()) {
            splices.entry(site.file.clone()).or_default().push((site.span.range.clone(), to.to_string()));
        }
        versioned_files.extend(group.sites.iter().map(|s| s.file.clone()));
        bumps.extend(group.members.iter().map(|name| PackageBump {
            name: name.clone(),
            from: from.clone(),
            to: to.clone(),
        }));
    }
    let new_versions: BTreeMap<&str, &Version> = bumps.iter().map(|b| (b.name.as_str(), &b.to)).collect();
    follow_requirements(ws, &files, &new_versions, &mut splices)?;
    follow_lock_references(&files, &new_versions, &mut splices);

    let mut edits = Vec::new();
    for (path, splices) in splices {
        let Some(before) = files.text(&path) else { bail!("internal error: {path} was edited but not read") };
        let after = splice(before, &splices);
        if after != before {
            edits.push(FileEdit { path, before: before.to_string(), after });
        }
    }
    let lock = files.lock.as_ref().map(|lock| &lock.path);
    edits.sort_by_key(|edit| (versioned_files.contains(&edit.path), Some(&edit.path) != lock));
    let version = bumps.iter().map(|b| b.to.clone()).max().unwrap_or_else(|| Version::new(0, 0, 0));
    let read = files.manifests.iter().map(|m| &m.path).chain(files.lock.iter().map(|l| &l.path));
    let stale_temp = read.chain(files.extras.iter().map(|(path, _)| path)).filter_map(|p| fs::stale_temp(p)).collect();
    Ok(BumpPlan { version, packages: bumps, edits, stale_temp, root: ws.root.clone() })
}

/// Rewrites the requirements on bumped packages in every manifest, or refuses one that
/// cannot follow.
fn follow_requirements(
    ws: &Workspace,
    files: &Files,
    new_versions: &BTreeMap<&str, &Version>,
    splices: &mut Splices,
) -> Result<()> {
    for manifest in &files.manifests {
        for req in &manifest.requirements {
            let Some(to) = new_versions.get(req.package.as_str()) else { continue };
            match requirement::follow(&req.req.text, to) {
                Ok(Some(text)) => splices.entry(manifest.path.clone()).or_default().push((req.req.range.clone(), text)),
                Ok(None) => {}
                Err(why) => bail!("{}: {} requirement on `{}`: {why}", ws.rel(&manifest.path), req.table, req.package),
            }
        }
    }
    Ok(())
}

/// Rewrites Cargo.lock's `"name version"` references to the bumped members' entries.
fn follow_lock_references(files: &Files, new_versions: &BTreeMap<&str, &Version>, splices: &mut Splices) {
    let Some(lock) = &files.lock else { return };
    for reference in &lock.references {
        let Some(to) = new_versions.get(reference.name.as_str()).map(|v| v.to_string()) else { continue };
        // A reference with the version of the member's own entry names the member (a
        // registry package of the same name would carry its source).
        let names_member = lock.package(&reference.name).is_some_and(|p| p.version.text == reference.version.text);
        if names_member && reference.version.text != to {
            splices.entry(lock.path.clone()).or_default().push((reference.version.range.clone(), to));
        }
    }
}

/// Packages that move together, and every place that states their version.
struct Group {
    /// `the workspace` or `package `core``, for messages.
    label: String,
    members: Vec<String>,
    sites: Vec<Site>,
}

/// A place that states a version.
struct Site {
    file: Utf8PathBuf,
    /// Root-relative file and what it is, for messages: `Cargo.toml ([workspace.package] version)`.
    shown: String,
    span: Span,
    version: Version,
    /// A Cargo.lock entry: cargo's record of the version, not a statement of it.
    in_lock: bool,
    /// For a Cargo.lock entry behind its manifest, what check-version says of it.
    behind: Option<String>,
}

impl Site {
    fn new(ws: &Workspace, file: &Utf8PathBuf, what: &str, span: &Span) -> Result<Site> {
        let shown = format!("{} ({what})", ws.rel(file));
        let Some(version) = span.version() else {
            bail!("{shown}: `{}` is not a semver version; write X.Y.Z there", span.text);
        };
        Ok(Site { file: file.clone(), shown, span: span.clone(), version, in_lock: false, behind: None })
    }
}

fn lockstep(ws: &Workspace, files: &Files, exclude: &[String]) -> Result<Group> {
    for name in exclude {
        let Some(member) = ws.member(name) else {
            let mut names: Vec<&str> = ws.members.iter().map(|m| m.name.as_str()).collect();
            names.sort();
            bail!(
                "--exclude {name}: there is no package `{name}` in this workspace; give one of: {}",
                names.join(", ")
            );
        };
        if files.manifest(member).is_some_and(|m| m.inherits_version()) {
            bail!(
                "{}: `{name}` takes its version from [workspace.package], so it cannot stay behind; \
                 give it its own `version` to exclude it",
                ws.rel(&member.manifest_path)
            );
        }
    }
    let members: Vec<_> = files.lockstep(ws).into_iter().filter(|m| !exclude.contains(&m.name)).collect();
    let mut sites = Vec::new();
    if let Some(span) = files.workspace_version() {
        sites.push(Site::new(ws, &ws.manifest_path, "[workspace.package] version", span)?);
    }
    for member in &members {
        if let Some(span) = files.manifest(member).and_then(|m| m.own_version()) {
            sites.push(Site::new(ws, &member.manifest_path, "[package] version", span)?);
        }
    }
    sites.extend(lock_sites(ws, files, members.iter().map(|m| m.name.as_str()))?);
    for (path, extra) in &files.extras {
        let extra = match extra {
            Ok(extra) => extra,
            Err(why) => bail!("{}: {why}", ws.rel(path)),
        };
        for span in &extra.spans {
            sites.push(Site::new(ws, path, "version", span)?);
        }
    }
    if sites.is_empty() {
        bail!("{} states no version to bump; add `version` to [workspace.package] or the packages", ws.manifest_path);
    }
    Ok(Group { label: "the workspace".into(), members: members.iter().map(|m| m.name.clone()).collect(), sites })
}

fn package(ws: &Workspace, files: &Files, name: &str) -> Result<Group> {
    let Some(member) = ws.member(name) else {
        let mut names: Vec<&str> = ws.members.iter().map(|m| m.name.as_str()).collect();
        names.sort();
        bail!("there is no package `{name}` in this workspace; give one of: {}", names.join(", "));
    };
    let manifest = files.manifest(member).map(|m| &m.package);
    let span = match manifest {
        Some(Some((_, PackageVersion::Own(span)))) => span,
        Some(Some((_, PackageVersion::Inherited))) => bail!(
            "{}: `{name}` takes its version from [workspace.package], so it cannot move alone; \
             bump the workspace without -p, or give `{name}` its own version",
            ws.rel(&member.manifest_path)
        ),
        _ => {
            bail!("{}: `{name}` has no version to bump; add `version` to its [package]", ws.rel(&member.manifest_path))
        }
    };
    let mut sites = vec![Site::new(ws, &member.manifest_path, "[package] version", span)?];
    sites.extend(lock_sites(ws, files, [name])?);
    Ok(Group { label: format!("package `{name}`"), members: vec![name.to_string()], sites })
}

/// The Cargo.lock entries of `names`, each with check-version's words when it is behind
/// its manifest.
fn lock_sites<'a>(ws: &Workspace, files: &Files, names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Site>> {
    let Some(lock) = &files.lock else { return Ok(Vec::new()) };
    let mut sites = Vec::new();
    for name in names {
        let Some(locked) = lock.package(name) else { continue };
        let site = Site::new(ws, &lock.path, &format!("`{name}` entry"), &locked.version)?;
        let behind = ws.member(name).filter(|m| site.version.cmp_precedence(&m.version).is_lt()).map(|member| {
            let message = super::agreement::lock_entry_differs(name, &locked.version.text, &member.version);
            format!("{}: {message}", ws.rel(&lock.path))
        });
        sites.push(Site { in_lock: true, behind, ..site });
    }
    Ok(sites)
}

impl Group {
    /// The current version (the lowest stated) and the new one. Every place must be at
    /// one of the two, except that an exact target may also lift places that disagree.
    fn resolve(&self, target: &Target) -> Result<(Version, Version)> {
        let lowest = self.sites.iter().map(|s| &s.version).min().cloned().unwrap_or_else(|| Version::new(0, 0, 0));
        let highest = self.sites.iter().map(|s| &s.version).max().cloned().unwrap_or_else(|| Version::new(0, 0, 0));
        if let Target::Exact(new) = target {
            let site = self.sites.iter().find(|s| s.version.cmp_precedence(new).is_eq() && s.version != *new);
            if let Some(site) = site {
                bail!("{}: {}", site.shown, super::level::same_precedence(new, &site.version));
            }
        }
        // A bump writes Cargo.lock before any file that states a version, so a lock
        // entry below every manifest is never an unfinished bump of ours but a stale lock
        // file: refused as check-version reports it, whatever the target.
        if lowest != highest && self.only_in_lock(&lowest) {
            let stale: Vec<&str> = self
                .sites
                .iter()
                .filter(|s| s.version == lowest)
                .map(|s| s.behind.as_deref().unwrap_or(&s.shown))
                .collect();
            bail!(
                "{}, then bump again: a bump writes Cargo.lock first, so a lock entry behind every manifest is a \
                 stale lock file, not an unfinished bump",
                stale.join("\n")
            );
        }
        let new = match target {
            // Finished already (a re-run): nothing to write.
            Target::Exact(new) if lowest == *new && highest == *new => new.clone(),
            Target::Exact(new) if highest > *new && self.only_in_lock(&highest) => bail!(
                "{}: {highest}, higher than every manifest states: the lock file is out of step, not the \
                 version; if an earlier `bump {highest}` was interrupted, run it again to finish it, otherwise \
                 refresh the lock file with `cargo update --workspace` and bump again",
                self.places(|v| *v == highest)
            ),
            Target::Exact(new) if highest > *new => bail!(
                "{new} is lower than {highest}, the version in {}; give a version greater than {highest}",
                self.places(|v| *v == highest)
            ),
            Target::Exact(new) => new.clone(),
            Target::Level(_) => {
                let new = target.resolve(&lowest)?;
                if self.sites.iter().any(|s| s.version != lowest && s.version != new) {
                    bail!(
                        "the versions of {} disagree: {}; {target} from the lowest ({lowest}) gives {new}, \
                         so this is not an unfinished bump; run `bump <VERSION>` to set one version everywhere",
                        self.label,
                        self.by_version()
                    );
                }
                new
            }
        };
        Ok((lowest, new))
    }

    /// Whether every place at `version` is a Cargo.lock entry.
    fn only_in_lock(&self, version: &Version) -> bool {
        self.sites.iter().filter(|s| s.version == *version).all(|s| s.in_lock)
    }

    fn places(&self, pick: impl Fn(&Version) -> bool) -> String {
        let shown: Vec<&str> = self.sites.iter().filter(|s| pick(&s.version)).map(|s| s.shown.as_str()).collect();
        shown.join(", ")
    }

    /// `0.1.0 in a, b; 0.3.0 in c`.
    fn by_version(&self) -> String {
        let versions: BTreeSet<&Version> = self.sites.iter().map(|s| &s.version).collect();
        let parts: Vec<String> = versions.iter().map(|v| format!("{v} in {}", self.places(|w| w == *v))).collect();
        parts.join("; ")
    }
}
