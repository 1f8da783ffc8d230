//! The publish plan as plain data, computed by pure functions: which members to publish,
//! what each must wait for, the levels that may go together, and what the registry
//! already has.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use semver::Version;
use serde::Serialize;

use super::index::Entry;
use super::pace::Estimate;
use super::registry::Registry;
use crate::workspace::{Dep, DepKind, Member, Workspace};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub registry: Registry,
    /// In publish order: every crate after the crates it waits for.
    pub crates: Vec<Crate>,
    /// Crates that may upload together, level by level.
    pub levels: Vec<Vec<String>>,
    pub estimate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Crate {
    pub name: String,
    pub version: Version,
    pub level: usize,
    /// Crates of this plan that must be visible in the index before this one uploads.
    pub after: Vec<String>,
    pub state: State,
}

/// What the registry had when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum State {
    /// The registry has never seen the crate (crates.io limits these more tightly).
    NewCrate,
    /// The crate exists, this version does not.
    NewVersion,
    /// This version is there; skipped when its checksum matches the local package.
    Published { cksum: String },
}

/// The members to publish: every member that may go to the registry, or those named
/// with `-p`, less those named with `--exclude`, in cargo's order.
pub fn select<'a>(
    ws: &'a Workspace,
    registry: Option<&str>,
    packages: &[String],
    exclude: &[String],
) -> Result<Vec<&'a Member>> {
    for name in packages.iter().chain(exclude) {
        let Some(member) = ws.member(name) else {
            let mut known: Vec<&str> = ws.members.iter().map(|m| m.name.as_str()).collect();
            known.sort_unstable();
            bail!("package `{name}` is not a member of the workspace (members: {})", known.join(", "));
        };
        if packages.contains(name) && !member.publish.allows(registry) {
            bail!(
                "package `{name}` may not be published to {}: its manifest {} says `publish = {}`",
                registry.map_or("crates.io".to_string(), |r| format!("`{r}`")),
                ws.rel(&member.manifest_path),
                publish_value(member)
            );
        }
    }
    Ok(ws
        .publishable(registry)
        .filter(|m| packages.is_empty() || packages.contains(&m.name))
        .filter(|m| !exclude.contains(&m.name))
        .collect())
}

fn publish_value(member: &Member) -> String {
    match &member.publish {
        crate::workspace::Publish::Only(list) => format!("{list:?}"),
        _ => "false".into(),
    }
}

/// Whether `dep` stays in the package cargo uploads. Cargo strips a dev-dependency that
/// has no version, so only such a dependency may point at an unpublished crate or close
/// a cycle.
fn is_packaged(dep: &Dep) -> bool {
    dep.kind != DepKind::Dev || dep.has_version
}

/// Everything wrong with the selection's internal dependencies at once, so one run
/// shows every fix to make: a packaged dependency without a version requirement, or on
/// a member that may not go to this registry.
pub fn check_dependencies(ws: &Workspace, selected: &[&Member], registry: Option<&str>) -> Result<()> {
    let mut problems = Vec::new();
    for member in selected {
        let manifest = ws.rel(&member.manifest_path);
        for dep in member.deps.iter().filter(|d| is_packaged(d)) {
            let table = dep.kind.table();
            let key = dep.rename.as_deref().unwrap_or(&dep.package);
            if !dep.has_version {
                problems.push(format!(
                    "`{}` depends on `{}` without a version requirement; add `version = \"...\"` to `{key}` \
                     in [{table}] of {manifest}",
                    member.name, dep.package
                ));
            }
            if let Some(target) = ws.member(&dep.package).filter(|t| !t.publish.allows(registry)) {
                problems.push(format!(
                    "`{}` depends on `{}`, which has `publish = {}`; publish `{}` too, or make `{key}` a \
                     dev-dependency without a version in {manifest}",
                    member.name,
                    target.name,
                    publish_value(target),
                    target.name
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!("cannot publish:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

/// The crates of the selection that `member` must wait for.
fn waits_for<'a>(member: &'a Member, selected: &BTreeSet<&str>) -> BTreeSet<&'a str> {
    member
        .deps
        .iter()
        .filter(|d| is_packaged(d) && selected.contains(d.package.as_str()))
        .map(|d| d.package.as_str())
        .collect()
}

/// Groups the selection into levels: level 0 waits for nothing, level n for something
/// in level n-1. A cycle (only dev-dependencies with a version can make one) is an
/// error that names the edge to change.
pub fn levels<'a>(ws: &Workspace, selected: &[&'a Member]) -> Result<Vec<Vec<&'a Member>>> {
    let names: BTreeSet<&str> = selected.iter().map(|m| m.name.as_str()).collect();
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> =
        selected.iter().map(|m| (m.name.as_str(), waits_for(m, &names))).collect();
    let mut levels: Vec<Vec<&Member>> = Vec::new();
    while !waiting.is_empty() {
        let ready: Vec<&str> = waiting.iter().filter(|(_, deps)| deps.is_empty()).map(|(n, _)| *n).collect();
        if ready.is_empty() {
            bail!(cycle_error(ws, selected, &waiting));
        }
        for name in &ready {
            waiting.remove(name);
        }
        for deps in waiting.values_mut() {
            deps.retain(|d| !ready.contains(d));
        }
        levels.push(selected.iter().copied().filter(|m| ready.contains(&m.name.as_str())).collect());
    }
    Ok(levels)
}

fn cycle_error(ws: &Workspace, selected: &[&Member], waiting: &BTreeMap<&str, BTreeSet<&str>>) -> String {
    // Every crate left waits for another one left, so walking from any of them must
    // come back to a crate already seen.
    let mut path: Vec<&str> = vec![waiting.keys().next().copied().unwrap_or_default()];
    loop {
        let last = path[path.len() - 1];
        let Some(next) = waiting.get(last).and_then(|deps| deps.iter().next()).copied() else {
            break;
        };
        if let Some(start) = path.iter().position(|n| *n == next) {
            path.drain(..start);
            path.push(next);
            break;
        }
        path.push(next);
    }
    let shown = path.join(" -> ");
    let member = |name: &str| selected.iter().find(|m| m.name == name).copied();
    let dev_edge = path.windows(2).find_map(|pair| {
        let from = member(pair[0])?;
        let mut edges = from.deps.iter().filter(|d| d.package == pair[1]);
        // Only a dev-dependency can lose its version; with a normal one too, the cycle stays.
        match (edges.next(), edges.next()) {
            (Some(dep), None) if dep.kind == DepKind::Dev => Some((from, dep)),
            _ => None,
        }
    });
    match dev_edge {
        Some((from, dep)) => format!(
            "dependency cycle: {shown} (-> means \"depends on\"); remove `version` from the dev-dependency \
             `{}` in {}: cargo strips a dev-dependency without a version when it packages, which breaks the cycle",
            dep.rename.as_deref().unwrap_or(&dep.package),
            ws.rel(&from.manifest_path)
        ),
        None => format!("dependency cycle: {shown} (-> means \"depends on\"); remove one of these dependencies"),
    }
}

impl Plan {
    /// The plan from the levels and what the registry lists for each crate.
    pub fn new(registry: Registry, levels: &[Vec<&Member>], published: &BTreeMap<String, Vec<Entry>>) -> Plan {
        let names: BTreeSet<&str> = levels.iter().flatten().map(|m| m.name.as_str()).collect();
        let mut crates = Vec::new();
        for (level, members) in levels.iter().enumerate() {
            for member in members {
                let entries = published.get(&member.name).map(Vec::as_slice).unwrap_or_default();
                let wanted = member.version.to_string();
                let state = match entries.iter().find(|e| e.vers == wanted) {
                    Some(entry) => State::Published { cksum: entry.cksum.clone() },
                    None if entries.is_empty() => State::NewCrate,
                    None => State::NewVersion,
                };
                crates.push(Crate {
                    name: member.name.clone(),
                    version: member.version.clone(),
                    level,
                    after: waits_for(member, &names).into_iter().map(str::to_string).collect(),
                    state,
                });
            }
        }
        let levels = levels.iter().map(|l| l.iter().map(|m| m.name.clone()).collect()).collect();
        let count = |state: &State| crates.iter().filter(|c| &c.state == state).count();
        let estimate = Estimate::crates_io(count(&State::NewCrate), count(&State::NewVersion));
        Plan { registry, crates, levels, estimate }
    }

    pub fn to_upload(&self) -> impl Iterator<Item = &Crate> {
        self.crates.iter().filter(|c| !matches!(c.state, State::Published { .. }))
    }
}
