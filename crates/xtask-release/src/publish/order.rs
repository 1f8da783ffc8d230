//! The publish plan as plain data, computed by pure functions: which members to publish,
//! what each must wait for, the levels that may go together, and what the registry
//! already has.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use semver::Version;
use serde::Serialize;

use super::index::Entry;
use super::metadata::same_index;
use super::pace::{Estimate, RateLimit};
use super::registry_config::{Credential, Registry};
use super::run::IndexWait;
use crate::workspace::{Dep, DepKind, Member, Workspace};

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    pub format_version: u32,
    pub registry: Registry,
    /// The commit the packages are made from (each records it in `.cargo_vcs_info.json`);
    /// `None` outside a git work tree.
    pub commit: Option<String>,
    /// In publish order: every crate after the crates it waits for.
    pub crates: Vec<Crate>,
    /// Crates that may upload together, level by level.
    pub levels: Vec<Vec<String>>,
    pub estimate: Estimate,
    pub upload: Upload,
    pub settings: Settings,
}

/// Every setting the run follows, resolved from the options, the config and the defaults
/// when the plan is made, so that the digest of the plan covers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Settings {
    /// Uploads at once, among crates whose dependencies are already visible.
    pub jobs: usize,
    /// Seconds to wait for an uploaded version to show in the index.
    pub index_timeout: u64,
    /// Attempts after the first when an upload fails with a server error or a dropped
    /// connection.
    pub retries: u32,
    pub rate_limit: RateLimit,
    pub index_wait: IndexWait,
    /// Compile nothing: upload only what `--verify` verified at this commit.
    pub require_verified: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            jobs: 8,
            index_timeout: 300,
            retries: 5,
            rate_limit: RateLimit::None,
            index_wait: IndexWait::End,
            require_verified: false,
        }
    }
}

/// How the `.crate` files go up, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    pub via: Via,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `PUT /api/v1/crates/new` with the `.crate` the preflight verified.
    RegistryApi,
    /// `cargo publish --no-verify`, which packages again: only cargo can get the token or
    /// read the registry's API address.
    CargoPublish,
}

impl Upload {
    /// The route the run takes for the credential cargo would use and the registry's index.
    /// The one place that decides it: the plan records it, and the run follows the plan
    /// (stopping if cargo's configuration no longer gives the same route).
    pub(crate) fn decide(credential: &Credential, registry: &Registry) -> Upload {
        let (via, reason) = match credential {
            Credential::Provider => (
                Via::CargoPublish,
                format!(
                    "{} has a credential provider other than cargo:token, which only cargo can ask",
                    registry.display()
                ),
            ),
            _ if registry.api_index().is_none() => (
                Via::CargoPublish,
                format!("{} has a git index, whose config.json only cargo reads", registry.display()),
            ),
            // Where the token is, or that there is none yet, stays out of the plan: a dry run
            // without a token and a run with one must have the same plan (and digest).
            Credential::Token { .. } | Credential::Missing => (
                Via::RegistryApi,
                format!("a token for {} from where cargo's cargo:token provider looks", registry.display()),
            ),
        };
        Upload { via, reason }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Crate {
    pub name: String,
    pub version: Version,
    pub level: usize,
    /// Crates of this plan that must be visible in the index before this one uploads.
    pub after: Vec<String>,
    pub state: State,
    /// `sha256:<hex>` of what its `.crate` is made from (see `publish::content`): checked
    /// again right before the first upload.
    pub content: String,
}

/// What the registry had when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
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
    if let Some(both) = packages.iter().find(|p| exclude.contains(p)) {
        return Err(crate::UsageError(format!(
            "`{both}` is given both to -p and to --exclude; give it to one of them \
             (-p to publish it, --exclude to leave it out)"
        ))
        .into());
    }
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
/// shows every fix to make: a packaged dependency without a version requirement, on a
/// member that may not go to this registry, or that the published package would look
/// for in another registry (a registry other than crates.io needs `registry = "NAME"`
/// on each internal dependency).
pub fn check_dependencies(ws: &Workspace, selected: &[&Member], target: &Registry) -> Result<()> {
    let registry = target.name.as_deref();
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
            if let Some(problem) = elsewhere(dep, target) {
                problems.push(format!(
                    "`{}` depends on `{}`, which its published package would look for in {problem}; add \
                     `registry = \"{name}\"` to `{key}` in [{table}] of {manifest} (where it says \
                     `workspace = true`, to `{key}` in [workspace.dependencies] of {root})",
                    member.name,
                    dep.package,
                    name = registry.unwrap_or_default(),
                    root = ws.rel(&ws.manifest_path),
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

/// Where `dep` would be looked for when it is not in `target`, a registry other than
/// crates.io: crates.io when the manifest names no registry, or the other index it names.
fn elsewhere(dep: &Dep, target: &Registry) -> Option<String> {
    target.name.as_ref()?;
    let bare = |url: &str| url.strip_prefix("sparse+").unwrap_or(url).to_string();
    let Some(index) = dep.registry.as_deref() else { return Some("crates.io".into()) };
    let ours = [Some(target.index_url.clone()), target.cargo_index.as_deref().map(bare)];
    match ours.iter().flatten().any(|url| same_index(&bare(index), url)) {
        true => None,
        false => Some(format!("the registry at {index}")),
    }
}

/// The members that a selected crate depends on (in what cargo uploads) but that this
/// run leaves out, by `-p` or `--exclude`: the registry must already have them.
pub fn left_out<'a>(selected: &[&'a Member]) -> BTreeSet<&'a str> {
    let names: BTreeSet<&str> = selected.iter().map(|m| m.name.as_str()).collect();
    selected
        .iter()
        .flat_map(|m| m.deps.iter().filter(|d| is_packaged(d) && d.has_version))
        .map(|d| d.package.as_str())
        .filter(|name| !names.contains(name))
        .collect()
}

/// Every selected crate that needs a left-out member at a version the registry does not
/// offer (absent or yanked), all at once: its upload would be refused after others went up.
pub fn check_left_out(selected: &[&Member], published: &BTreeMap<String, Vec<Entry>>) -> Result<()> {
    let names: BTreeSet<&str> = selected.iter().map(|m| m.name.as_str()).collect();
    let mut problems = Vec::new();
    for member in selected {
        for dep in member.deps.iter().filter(|d| is_packaged(d) && d.has_version && !names.contains(d.package.as_str()))
        {
            let offered = published.get(&dep.package).into_iter().flatten().filter(|e| !e.yanked);
            let matches = offered.filter_map(|e| Version::parse(&e.vers).ok()).any(|v| dep.req.matches(&v));
            if !matches {
                problems.push(format!(
                    "`{}` needs `{}` {}, which this run leaves out and the registry does not have; \
                     publish `{}` in the same run (drop it from --exclude, or add -p {})",
                    member.name, dep.package, dep.req, dep.package, dep.package
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
    /// `contents` holds each crate's content digest, by name.
    pub(crate) fn new(
        registry: Registry,
        levels: &[Vec<&Member>],
        published: &BTreeMap<String, Vec<Entry>>,
        contents: &BTreeMap<String, String>,
        upload: Upload,
        settings: Settings,
    ) -> Plan {
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
                    content: contents.get(&member.name).cloned().unwrap_or_default(),
                });
            }
        }
        let levels = levels.iter().map(|l| l.iter().map(|m| m.name.clone()).collect()).collect();
        let count = |state: &State| crates.iter().filter(|c| &c.state == state).count();
        let estimate = Estimate::crates_io(count(&State::NewCrate), count(&State::NewVersion));
        Plan { format_version: 1, registry, commit: None, crates, levels, estimate, upload, settings }
    }

    pub fn to_upload(&self) -> impl Iterator<Item = &Crate> {
        self.crates.iter().filter(|c| !c.is_published())
    }

    /// The crates whose version the registry has, as a plan of their own: the preflight
    /// packages them apart from the others (see `run::preflight`).
    pub(crate) fn published_part(&self) -> Plan {
        self.part(true)
    }

    /// The crates to upload, as a plan of their own.
    pub(crate) fn upload_part(&self) -> Plan {
        self.part(false)
    }

    /// The estimate stays the whole run's, and `after` may name crates of the other part.
    fn part(&self, published: bool) -> Plan {
        let crates: Vec<Crate> = self.crates.iter().filter(|c| c.is_published() == published).cloned().collect();
        let kept = |name: &String| crates.iter().any(|c| &c.name == name);
        let levels = self
            .levels
            .iter()
            .map(|level| level.iter().filter(|name| kept(name)).cloned().collect::<Vec<_>>())
            .filter(|level| !level.is_empty())
            .collect();
        Plan { crates, levels, ..self.clone() }
    }
}

impl Crate {
    /// Whether the registry had this version when the plan was made.
    pub fn is_published(&self) -> bool {
        matches!(self.state, State::Published { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Publish;

    /// A member at `crates/NAME` with dependencies `(name, kind, has_version)`.
    fn member(name: &str, publish: Publish, deps: &[(&str, DepKind, bool)]) -> Member {
        Member {
            name: name.into(),
            version: Version::new(1, 0, 0),
            manifest_path: format!("/ws/crates/{name}/Cargo.toml").into(),
            publish,
            deps: deps
                .iter()
                .map(|&(package, kind, has_version)| Dep {
                    package: package.into(),
                    rename: None,
                    kind,
                    target: None,
                    req: if has_version { "^1".parse().unwrap() } else { semver::VersionReq::STAR },
                    has_version,
                    registry: None,
                })
                .collect(),
            bins: Vec::new(),
            default_run: None,
            has_lib: true,
        }
    }

    fn workspace(members: Vec<Member>) -> Workspace {
        Workspace {
            root: "/ws".into(),
            manifest_path: "/ws/Cargo.toml".into(),
            target_dir: "/ws/target".into(),
            members,
            cargo_warnings: Vec::new(),
            config: Default::default(),
            notes: Vec::new(),
        }
    }

    fn crates_io() -> Registry {
        Registry { name: None, index_url: "https://index.crates.io".into(), cargo_index: None }
    }

    fn names(levels: &[Vec<&Member>]) -> Vec<Vec<String>> {
        levels.iter().map(|l| l.iter().map(|m| m.name.clone()).collect()).collect()
    }

    use DepKind::{Dev, Normal};

    #[test]
    fn levels_follow_packaged_dependencies_only() {
        let ws = workspace(vec![
            member("app", Publish::Anywhere, &[("lib", Normal, true), ("kit", Dev, false)]),
            member("kit", Publish::Anywhere, &[("app", Normal, true)]),
            member("lib", Publish::Anywhere, &[]),
            member("py", Publish::Never, &[("app", Normal, true)]),
        ]);
        let selected = select(&ws, None, &[], &[]).unwrap();
        check_dependencies(&ws, &selected, &crates_io()).unwrap();
        assert_eq!(names(&levels(&ws, &selected).unwrap()), [["lib"], ["app"], ["kit"]]);
    }

    #[test]
    fn a_cycle_through_a_versioned_dev_dependency_names_it() {
        let ws = workspace(vec![
            member("app", Publish::Anywhere, &[("kit", Dev, true)]),
            member("kit", Publish::Anywhere, &[("app", Normal, true)]),
        ]);
        let selected = select(&ws, None, &[], &[]).unwrap();
        let err = levels(&ws, &selected).unwrap_err().to_string();
        assert!(err.starts_with("dependency cycle: app -> kit -> app"), "{err}");
        assert!(err.contains("remove `version` from the dev-dependency `kit` in crates/app/Cargo.toml"), "{err}");
    }

    #[test]
    fn every_dependency_problem_is_listed() {
        let ws = workspace(vec![
            member("app", Publish::Anywhere, &[("lib", Normal, false), ("py", Normal, true), ("py", Dev, false)]),
            member("lib", Publish::Anywhere, &[]),
            member("py", Publish::Never, &[]),
        ]);
        let selected = select(&ws, None, &[], &[]).unwrap();
        let err = check_dependencies(&ws, &selected, &crates_io()).unwrap_err().to_string();
        assert!(err.contains("`app` depends on `lib` without a version requirement"), "{err}");
        assert!(err.contains("`app` depends on `py`, which has `publish = false`"), "{err}");
        assert_eq!(err.lines().count(), 3, "the dev-dependency without a version is fine\n{err}");
    }

    #[test]
    fn a_left_out_dependency_must_be_in_the_registry() {
        use DepKind::{Build, Dev, Normal};
        let ws = workspace(vec![
            member("app", Publish::Anywhere, &[("core", Normal, true), ("macros", Build, true), ("bench", Dev, false)]),
            member("core", Publish::Anywhere, &[]),
            member("macros", Publish::Anywhere, &[]),
            member("bench", Publish::Anywhere, &[]),
        ]);
        let selected = select(&ws, None, &["app".into()], &[]).unwrap();
        assert_eq!(left_out(&selected), BTreeSet::from(["core", "macros"]), "a versionless dev-dependency is stripped");
        let entry = |vers: &str, yanked| Entry { vers: vers.into(), cksum: String::new(), yanked };
        let published = BTreeMap::from([
            ("core".to_string(), vec![entry("1.2.0", false)]),
            ("macros".to_string(), vec![entry("0.9.0", false), entry("1.0.0", true)]),
        ]);
        let err = check_left_out(&selected, &published).unwrap_err().to_string();
        assert!(err.contains("`app` needs `macros` ^1, which this run leaves out"), "{err}");
        assert!(!err.contains("`core`"), "core 1.2.0 matches ^1\n{err}");
        let everything = select(&ws, None, &[], &[]).unwrap();
        assert!(left_out(&everything).is_empty());
        check_left_out(&everything, &BTreeMap::new()).unwrap();
    }

    #[test]
    fn selection_by_registry_package_and_exclude() {
        let ws = workspace(vec![
            member("a", Publish::Only(vec!["mine".into()]), &[]),
            member("b", Publish::Anywhere, &[]),
            member("c", Publish::Anywhere, &[]),
        ]);
        let picked = |registry, packages: &[&str], exclude: &[&str]| -> Vec<String> {
            let (packages, exclude): (Vec<String>, Vec<String>) =
                (packages.iter().map(|s| s.to_string()).collect(), exclude.iter().map(|s| s.to_string()).collect());
            select(&ws, registry, &packages, &exclude).unwrap().iter().map(|m| m.name.clone()).collect()
        };
        assert_eq!(picked(None, &[], &[]), ["b", "c"]);
        assert_eq!(picked(Some("mine"), &[], &["c"]), ["a", "b"]);
        assert_eq!(picked(None, &["c"], &[]), ["c"]);
        let err = select(&ws, None, &["a".into()], &[]).unwrap_err().to_string();
        assert!(err.contains("`a` may not be published to crates.io"), "{err}");
    }

    #[test]
    fn states_from_the_index_and_the_estimate() {
        let ws = workspace(vec![member("a", Publish::Anywhere, &[]), member("b", Publish::Anywhere, &[])]);
        let selected = select(&ws, None, &[], &[]).unwrap();
        let levels = levels(&ws, &selected).unwrap();
        let entry = |vers: &str| Entry { vers: vers.into(), cksum: "ab".into(), yanked: false };
        let published =
            BTreeMap::from([("a".to_string(), vec![entry("1.0.0")]), ("b".to_string(), vec![entry("0.9.0")])]);
        let registry = Registry { name: None, index_url: "https://index.crates.io/".into(), cargo_index: None };
        let upload = Upload { via: Via::RegistryApi, reason: String::new() };
        let plan = Plan::new(registry, &levels, &published, &BTreeMap::new(), upload, Settings::default());
        assert_eq!(plan.crates[0].state, State::Published { cksum: "ab".into() });
        assert_eq!(plan.crates[1].state, State::NewVersion);
        assert_eq!((plan.estimate.new_crates, plan.estimate.new_versions), (0, 1));
        assert_eq!(plan.to_upload().count(), 1);
        let names = |part: Plan| part.crates.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(names(plan.published_part()), ["a"]);
        assert_eq!(names(plan.upload_part()), ["b"]);
        assert_eq!(plan.upload_part().levels, [["b"]]);
    }

    #[test]
    fn the_upload_route_and_why() {
        let sparse = Registry {
            name: Some("mine".into()),
            index_url: "https://r.example/index/".into(),
            cargo_index: Some("sparse+https://r.example/index/".into()),
        };
        let git = Registry { cargo_index: Some("https://r.example/git-index".into()), ..sparse.clone() };
        let token = Credential::Token { secret: "s3cret".into(), source: "CARGO_REGISTRIES_MINE_TOKEN".into() };
        let route = Upload::decide(&token, &sparse);
        assert_eq!(route.via, Via::RegistryApi);
        assert_eq!(route, Upload::decide(&Credential::Missing, &sparse), "the same plan with a token and without");
        assert!(!route.reason.contains("CARGO_REGISTRIES_MINE_TOKEN"), "{route:?}");
        let route = Upload::decide(&token, &git);
        assert_eq!(route.via, Via::CargoPublish);
        assert!(route.reason.contains("`mine` has a git index"), "{route:?}");
        let route = Upload::decide(&Credential::Provider, &sparse);
        assert_eq!(route.via, Via::CargoPublish);
        assert!(route.reason.contains("credential provider other than cargo:token"), "{route:?}");
        let json = serde_json::to_value(Upload::decide(&token, &git)).unwrap();
        assert_eq!(json["via"], "cargo_publish");
    }
}
