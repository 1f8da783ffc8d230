//! Verifies packaged crates as `cargo package` does (each builds from its own `.crate`,
//! against the packages of the others, and its build leaves its sources alone), in one
//! scratch workspace: a crate that its dependents share compiles once, not once per
//! dependent, and crates that do not depend on each other compile in parallel.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use cargo_metadata::{DependencyKind, Metadata, Package, PackageId};
use toml_edit::DocumentMut;
use xshell::Shell;

use super::order::Plan;
use super::packaged;
use super::verified::crate_file;
use crate::ops::cargo;
use crate::ops::sha::{self, Digest};
use crate::report::Reporter;
use crate::workspace::Workspace;

/// One `.crate`, unpacked: its name, its directory (`NAME-VERSION`) and its bytes.
#[derive(Clone)]
struct Unpacked {
    name: String,
    stem: String,
    bytes: Vec<u8>,
    manifest: DocumentMut,
    /// The registry has this version: its dependents build against the registry's
    /// package, as they will once published (and as cargo's verification does).
    published: bool,
}

/// Builds the packages of `plan` (already written by `cargo package --no-verify`) the way
/// cargo's verification does. `Ok(false)` when the scratch workspace cannot stand for
/// cargo's own verification of these packages (the caller lets `cargo package` verify).
pub(super) fn verify(sh: &Shell, ws: &Workspace, plan: &Plan, reporter: &dyn Reporter) -> Result<bool> {
    if plan.crates.is_empty() {
        return Ok(true);
    }
    let dir = ws.target_dir.join("xtask-release").join("unpacked");
    let packages = unpack(ws, plan, &dir)?;
    let manifest = match scratch_manifest(&packages) {
        Ok(manifest) => manifest,
        Err(why) => {
            reporter.note(&format!("letting cargo package verify: {why}"));
            return Ok(false);
        }
    };
    let root = dir.join("Cargo.toml");
    std::fs::write(&root, manifest).with_context(|| format!("cannot write {root}"))?;
    // The workspace's lock, so every other dependency builds at the version cargo packaged
    // each crate's own Cargo.lock with.
    let lock = ws.root.join("Cargo.lock");
    if lock.exists() {
        std::fs::copy(&lock, dir.join("Cargo.lock")).with_context(|| format!("cannot copy {lock}"))?;
    }

    let count = crate::output::plural(packages.len(), "crate");
    let _group = reporter.group(&format!("verifying {count} as packaged"));
    // A cold registry cache makes this the slow part: say so before it starts.
    let resolving = reporter.progress("Resolving", &format!("the dependencies of {count} as packaged"));
    let metadata = resolve(sh, &root, reporter);
    resolving.finish(metadata.is_ok());
    let metadata = match metadata {
        Ok(metadata) => metadata,
        // Built one by one, as cargo builds them, they may still resolve; and if not,
        // cargo's own error is the one to show.
        Err(err) => {
            reporter.note(&format!("letting cargo package verify: {err:#}"));
            return Ok(false);
        }
    };
    // Package ids, not `NAME@VERSION`: the registry may have a package by that name too.
    let ids: BTreeMap<&str, &str> = metadata
        .packages
        .iter()
        .filter(|p| metadata.workspace_members.contains(&p.id))
        .map(|p| (p.name.as_str(), p.id.repr.as_str()))
        .collect();
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let (groups, why) = groups(&metadata, &names);
    if let Some(why) = why {
        reporter.note(&format!("building in {} groups, not all at once: {why}", groups.len()));
    }
    let builds: Vec<Vec<String>> = groups
        .iter()
        .map(|group| group.iter().filter_map(|name| ids.get(name)).map(|id| id.to_string()).collect())
        .collect();
    let how = match builds.len() {
        1 => "in one build".to_string(),
        n => format!("in {n} builds"),
    };
    let progress = reporter.progress("Verifying", &format!("{count} as packaged, {how}"));
    let built = builds.iter().try_for_each(|specs| build(sh, ws, &root, specs, reporter));
    progress.finish(built.is_ok());
    let shown = cargo::where_shown(reporter);
    built.with_context(|| {
        format!("a crate does not build from its package, so nothing was uploaded; fix the error cargo {shown}")
    })?;
    let modified: Vec<String> =
        packages.iter().map(|p| modified(&p.bytes, &p.stem, &dir.join(&p.stem))).collect::<Result<Vec<_>>>()?.concat();
    if !modified.is_empty() {
        bail!(
            "a build script or proc macro changed the sources it was built from, so nothing was uploaded: {}; \
             write generated files to OUT_DIR instead",
            modified.join(", ")
        );
    }
    Ok(true)
}

/// Each `.crate` of the plan unpacked into `dir/NAME-VERSION`, anything older removed.
fn unpack(ws: &Workspace, plan: &Plan, dir: &Utf8Path) -> Result<Vec<Unpacked>> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {dir}"))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    plan.crates
        .iter()
        .map(|krate| {
            let path = crate_file(ws, &krate.name, &krate.version);
            let bytes = std::fs::read(&path).with_context(|| format!("cannot read the packaged crate {path}"))?;
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
            archive.set_preserve_mtime(false);
            // `unpack` keeps every entry inside `dir`, whatever its path says.
            archive.unpack(dir).with_context(|| format!("cannot unpack {path} into {dir}"))?;
            let stem = format!("{}-{}", krate.name, krate.version);
            let toml = dir.join(&stem).join("Cargo.toml");
            let text = std::fs::read_to_string(&toml).with_context(|| format!("cannot read {toml}"))?;
            let manifest = text.parse().with_context(|| format!("cannot parse {toml}"))?;
            Ok(Unpacked { name: krate.name.clone(), stem, bytes, manifest, published: krate.is_published() })
        })
        .collect()
}

/// The scratch workspace: every package a member, and each dependency of one package on
/// another that the registry does not have yet patched to the unpacked one, under the
/// registry the packaged manifest names.
/// Why not, when cargo would build one of them differently alone: a resolver or profile
/// that only a workspace root can set, or unstable `cargo-features`. Pure, for tests.
fn scratch_manifest(packages: &[Unpacked]) -> Result<String, String> {
    let names: BTreeMap<&str, &str> =
        packages.iter().filter(|p| !p.published).map(|p| (p.name.as_str(), p.stem.as_str())).collect();
    let mut resolver = "2";
    let mut patches: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for package in packages {
        let manifest = &package.manifest;
        if manifest.contains_key("profile") {
            return Err(format!("`{}` sets a [profile], which applies only when it is built alone", package.name));
        }
        if manifest.contains_key("cargo-features") {
            return Err(format!("`{}` uses cargo-features", package.name));
        }
        let section = manifest.get("package");
        let field = |key: &str| section.and_then(|s| s.get(key)).and_then(|v| v.as_str());
        match (field("resolver"), field("edition")) {
            (Some("3"), _) | (None, Some("2024")) => resolver = "3",
            (Some("2"), _) | (None, Some("2021")) => {}
            _ => return Err(format!("`{}` resolves features with cargo's resolver 1", package.name)),
        }
        for (registry, name) in internal_dependencies(manifest, &names) {
            patches.entry(registry).or_default().insert(name);
        }
    }
    let mut out = String::from(
        "# Written by xtask-release to verify packaged crates: each member is a `.crate` as\n\
         # it will be published. Changes here are lost on the next run.\n[workspace]\n",
    );
    out.push_str(&format!("resolver = \"{resolver}\"\nmembers = [\n"));
    for package in packages {
        out.push_str(&format!("    {},\n", quoted(&package.stem)));
    }
    out.push_str("]\n");
    for (registry, crates) in &patches {
        out.push_str(&format!("\n[patch.{}]\n", quoted(registry)));
        for name in crates {
            out.push_str(&format!("{} = {{ path = {} }}\n", quoted(name), quoted(names[name])));
        }
    }
    Ok(out)
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml_edit::Value::from(text).to_string().trim().to_string()
}

/// The (registry, package) of every dependency, of any kind and target, on one of
/// `names`: the registry as the packaged manifest names it (`registry-index`), or
/// `crates-io`.
fn internal_dependencies<'a>(manifest: &DocumentMut, names: &BTreeMap<&'a str, &str>) -> Vec<(String, &'a str)> {
    const TABLES: [&str; 3] = ["dependencies", "build-dependencies", "dev-dependencies"];
    let mut tables: Vec<&toml_edit::Item> = TABLES.iter().filter_map(|t| manifest.get(t)).collect();
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table_like()) {
        for (_, target) in targets.iter() {
            tables.extend(TABLES.iter().filter_map(|t| target.get(t)));
        }
    }
    let mut found = Vec::new();
    for table in tables.iter().filter_map(|t| t.as_table_like()) {
        for (key, dep) in table.iter() {
            let package = dep.get("package").and_then(|p| p.as_str()).unwrap_or(key);
            let Some((&name, _)) = names.get_key_value(package) else { continue };
            let registry = dep.get("registry-index").and_then(|r| r.as_str()).unwrap_or("crates-io");
            found.push((registry.to_string(), name));
        }
    }
    found
}

/// `cargo metadata` of the scratch workspace: its resolved graph, with every package's
/// features and dependencies.
fn resolve(sh: &Shell, root: &Utf8Path, reporter: &dyn Reporter) -> Result<Metadata> {
    let command = cargo::command(sh).args(["metadata", "--format-version", "1", "--manifest-path"]).arg(root);
    let out = command.env("CARGO_TERM_COLOR", "never").quiet().ignore_status().output()?;
    let stderr = crate::ops::redact::redact(&String::from_utf8_lossy(&out.stderr));
    if !stderr.trim().is_empty() {
        reporter.tool_output("cargo metadata", &stderr);
    }
    if !out.status.success() {
        bail!("the packaged crates do not resolve together:\n{}", cargo::last_relevant(&stderr));
    }
    serde_json::from_slice(&out.stdout).context("cannot parse the output of cargo metadata")
}

/// One `cargo build` of `specs` in the scratch workspace, into the workspace's target dir
/// as cargo's verification does (what the workspace already built is reused).
fn build(sh: &Shell, ws: &Workspace, root: &Utf8Path, specs: &[String], reporter: &dyn Reporter) -> Result<()> {
    let packages: Vec<&str> = specs.iter().flat_map(|s| ["-p", s.as_str()]).collect();
    let command = cargo::for_verification(cargo::command(sh))
        .args(["build", "--manifest-path", root.as_str(), "--target-dir", ws.target_dir.as_str()])
        .args(packages)
        .quiet();
    cargo::run_reporting(command, "cargo build", reporter)
}

/// `names` split into groups that each build alike (see [`alike`]), in order: each joins
/// the first group it builds alike with. With more than one group, why the first crate
/// that could not join the first group could not.
fn groups<'a>(metadata: &Metadata, names: &[&'a str]) -> (Vec<Vec<&'a str>>, Option<String>) {
    let graph = Graph::new(metadata);
    let mut groups: Vec<Vec<&'a str>> = Vec::new();
    let mut why = None;
    for &name in names {
        let mut joined = false;
        for (i, group) in groups.iter_mut().enumerate() {
            let roots: BTreeSet<&str> = group.iter().copied().chain([name]).collect();
            match graph.as_ref().map_err(Clone::clone).and_then(|graph| alike(graph, &roots)) {
                Ok(()) => {
                    group.push(name);
                    joined = true;
                    break;
                }
                Err(reason) if i == 0 => why = why.or(Some(reason)),
                Err(_) => {}
            }
        }
        if !joined {
            groups.push(vec![name]);
        }
    }
    (groups, why)
}

/// The resolved graph the feature check walks: each package by id, and what it depends on
/// outside dev-dependencies (a build leaves them out).
struct Graph<'m> {
    metadata: &'m Metadata,
    packages: BTreeMap<&'m PackageId, &'m Package>,
    edges: BTreeMap<&'m PackageId, Vec<&'m PackageId>>,
}

impl<'m> Graph<'m> {
    fn new(metadata: &'m Metadata) -> Result<Graph<'m>, String> {
        let resolve = metadata.resolve.as_ref().ok_or("cargo metadata resolved nothing")?;
        let packages = metadata.packages.iter().map(|p| (&p.id, p)).collect();
        let edges = resolve
            .nodes
            .iter()
            .map(|node| {
                let deps =
                    node.deps.iter().filter(|d| d.dep_kinds.iter().any(|k| k.kind != DependencyKind::Development));
                (&node.id, deps.map(|d| &d.pkg).collect())
            })
            .collect();
        Ok(Graph { metadata, packages, edges })
    }
}

/// Whether building `roots` together gives every package the features it gets when each
/// root is built alone, as cargo verifies them; else which package would differ. It
/// follows the graph from the roots, and computes for each package the features each of
/// its dependents turns on in it: when they all agree, no root can see other features
/// than the others. Pure.
fn alike(graph: &Graph, roots: &BTreeSet<&str>) -> Result<(), String> {
    let Graph { metadata, packages, edges } = graph;
    let starts: Vec<&PackageId> = metadata
        .workspace_members
        .iter()
        .filter(|id| packages.get(id).is_some_and(|p| roots.contains(p.name.as_str())))
        .collect();
    // Every request of a package's features, by the dependents that make it.
    let mut requests: BTreeMap<&PackageId, BTreeSet<BTreeSet<String>>> = BTreeMap::new();
    for id in &starts {
        requests.entry(id).or_default().insert(closure(packages[id], true, &[]));
    }
    for id in topological(&starts, edges) {
        // Every id of the resolve is a package of the metadata; skip rather than trust it.
        let (Some(asked), Some(&package)) = (requests.get(id), packages.get(id)) else { continue };
        if asked.len() > 1 {
            let shown: Vec<String> =
                asked.iter().map(|f| format!("{{{}}}", f.iter().cloned().collect::<Vec<_>>().join(", "))).collect();
            return Err(format!(
                "`{}` is built with other features for some of them ({})",
                package.name,
                shown.join(" or ")
            ));
        }
        let features = asked.first().cloned().unwrap_or_default();
        for dep_id in edges.get(id).into_iter().flatten() {
            let Some(&dep) = packages.get(dep_id) else { continue };
            for wanted in asks(package, &features, dep) {
                requests.entry(dep_id).or_default().insert(wanted);
            }
        }
    }
    Ok(())
}

/// The features `dependent` (built with `features`) turns on in `dep`, once for each entry
/// of its manifest that names `dep` (outside dev-dependencies).
fn asks(dependent: &Package, features: &BTreeSet<String>, dep: &Package) -> Vec<BTreeSet<String>> {
    let enables: Vec<&str> =
        features.iter().filter_map(|f| dependent.features.get(f)).flatten().map(String::as_str).collect();
    let mut found = Vec::new();
    for entry in dependent.dependencies.iter().filter(|d| *dep.name == d.name && d.kind != DependencyKind::Development)
    {
        let key = entry.rename.as_deref().unwrap_or(&entry.name);
        // Turned on by `dep:key`, by `key/f`, or by the implicit feature of an optional
        // dependency that no `dep:` names.
        let implicit = !dependent.features.values().flatten().any(|e| *e == format!("dep:{key}"));
        let active = !entry.optional
            || enables.iter().any(|e| *e == format!("dep:{key}") || e.starts_with(&format!("{key}/")))
            || (implicit && features.contains(key));
        let mut asked: Vec<&str> = entry.features.iter().map(String::as_str).collect();
        for enable in &enables {
            let through = enable
                .strip_prefix(&format!("{key}/"))
                .or_else(|| enable.strip_prefix(&format!("{key}?/")).filter(|_| active));
            asked.extend(through);
        }
        found.push(closure(dep, entry.uses_default_features, &asked));
    }
    found
}

/// The features of `package` on, asked for with `asked` (and its default ones when
/// `default`): their closure through its `[features]`.
fn closure(package: &Package, default: bool, asked: &[&str]) -> BTreeSet<String> {
    let mut on = BTreeSet::new();
    let mut todo: Vec<&str> = asked.to_vec();
    if default && package.features.contains_key("default") {
        todo.push("default");
    }
    while let Some(feature) = todo.pop() {
        if feature.starts_with("dep:") || feature.contains('/') || !on.insert(feature.to_string()) {
            continue;
        }
        todo.extend(package.features.get(feature).into_iter().flatten().map(String::as_str));
    }
    on
}

/// The packages reachable from `starts`, each after every package that depends on it.
fn topological<'a>(
    starts: &[&'a PackageId],
    edges: &BTreeMap<&'a PackageId, Vec<&'a PackageId>>,
) -> Vec<&'a PackageId> {
    fn visit<'a>(
        id: &'a PackageId,
        edges: &BTreeMap<&'a PackageId, Vec<&'a PackageId>>,
        seen: &mut BTreeSet<&'a PackageId>,
        order: &mut Vec<&'a PackageId>,
    ) {
        if !seen.insert(id) {
            return;
        }
        for dep in edges.get(id).into_iter().flatten() {
            visit(dep, edges, seen, order);
        }
        order.push(id);
    }
    let (mut seen, mut order) = (BTreeSet::new(), Vec::new());
    for id in starts {
        visit(id, edges, &mut seen, &mut order);
    }
    order.reverse();
    order
}

/// What a build changed in the unpacked package at `dir`, against the `.crate` it came
/// from: files changed, added or removed (a `target` directory at the top excepted, as
/// cargo excepts it).
fn modified(bytes: &[u8], stem: &str, dir: &Utf8Path) -> Result<Vec<String>> {
    // By digest, not content: a package's files need not fit in memory at once.
    let mut packaged: BTreeMap<Utf8PathBuf, Digest> = BTreeMap::new();
    packaged::for_each_file(bytes, stem, |path, _, mut content| {
        if let Some(path) = path.strip_prefix(stem).ok().and_then(Utf8Path::from_path) {
            let digest = sha::hash_reader(&mut content).with_context(|| format!("cannot read {stem}.crate"))?;
            packaged.insert(path.to_owned(), digest);
        }
        Ok(())
    })?;
    let mut changes = Vec::new();
    let mut on_disk = BTreeSet::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(at) = todo.pop() {
        for entry in at.read_dir_utf8().with_context(|| format!("cannot read {at}"))? {
            let entry = entry.with_context(|| format!("cannot read {at}"))?;
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path()).to_owned();
            if rel.as_str() == "target" {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(entry.path().to_owned());
                continue;
            }
            let same = packaged
                .get(&rel)
                .is_some_and(|digest| sha::hash_file(entry.path().as_std_path()).ok().as_ref() == Some(digest));
            if !same {
                changes.push(format!("{stem}/{rel}"));
            }
            on_disk.insert(rel);
        }
    }
    changes.extend(packaged.keys().filter(|p| !on_disk.contains(*p)).map(|p| format!("{stem}/{p} (removed)")));
    changes.sort();
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A dependency entry: `(name, rename, optional, default-features, features)`.
    type Dep<'a> = (&'a str, Option<&'a str>, bool, bool, &'a [&'a str]);

    /// Metadata of `packages` (name, `[features]`, dependencies), `members` of them in the
    /// workspace, every dependency resolved to the package of its name.
    fn metadata(packages: &[(&str, Value, &[Dep])], members: &[&str]) -> Metadata {
        let id = |name: &str| format!("{name} 1.0.0");
        let packages_json: Vec<Value> = packages
            .iter()
            .map(|(name, features, deps)| {
                let deps: Vec<Value> = deps
                    .iter()
                    .map(|(dep, rename, optional, default, features)| {
                        let (kind, dep) = kind(dep);
                        json!({"name": dep, "rename": rename, "req": "^1", "kind": kind, "optional": optional,
                               "uses_default_features": default, "features": features, "target": null,
                               "source": null, "registry": null})
                    })
                    .collect();
                json!({"name": name, "version": "1.0.0", "id": id(name), "dependencies": deps, "targets": [],
                       "features": features, "manifest_path": format!("/{name}/Cargo.toml")})
            })
            .collect();
        let nodes: Vec<Value> = packages
            .iter()
            .map(|(name, _, deps)| {
                let deps: Vec<Value> = deps
                    .iter()
                    .map(|(dep, _, _, _, _)| {
                        let (kind, dep) = kind(dep);
                        json!({"name": dep, "pkg": id(dep), "dep_kinds": [{"kind": kind, "target": null}]})
                    })
                    .collect();
                json!({"id": id(name), "deps": deps, "dependencies": [], "features": []})
            })
            .collect();
        serde_json::from_value(json!({
            "packages": packages_json,
            "workspace_members": members.iter().map(|m| id(m)).collect::<Vec<_>>(),
            "resolve": {"nodes": nodes, "root": null},
            "workspace_root": "/", "target_directory": "/target", "version": 1,
        }))
        .unwrap()
    }

    /// `dev:NAME` is a dev-dependency on NAME.
    fn kind(dep: &str) -> (Value, &str) {
        match dep.strip_prefix("dev:") {
            Some(name) => (json!("dev"), name),
            None => (Value::Null, dep),
        }
    }

    fn check(packages: &[(&str, Value, &[Dep])], roots: &[&str]) -> Result<(), String> {
        let metadata = metadata(packages, roots);
        alike(&Graph::new(&metadata)?, &roots.iter().copied().collect())
    }

    #[test]
    fn the_same_features_from_every_dependent_build_together() {
        let none = json!({});
        // A chain of plain crates, and a shared dependency everyone asks for alike.
        let shared = json!({"default": ["std"], "std": []});
        let packages: [(&str, Value, &[Dep]); 4] = [
            ("a", none.clone(), &[("serde", None, false, true, &[])]),
            ("b", none.clone(), &[("a", None, false, true, &[]), ("serde", None, false, true, &["std"])]),
            ("c", none.clone(), &[("b", None, false, true, &[])]),
            ("serde", shared, &[]),
        ];
        assert_eq!(check(&packages, &["a", "b", "c"]), Ok(()));
    }

    #[test]
    fn a_feature_one_crate_turns_on_for_another_does_not_build_alike() {
        let extra = json!({"extra": []});
        let asks_extra: [(&str, Value, &[Dep]); 3] = [
            ("base", extra.clone(), &[]),
            ("a", json!({}), &[("base", None, false, true, &["extra"])]),
            ("b", json!({}), &[("base", None, false, true, &[])]),
        ];
        let why = check(&asks_extra, &["a", "b"]).unwrap_err();
        assert!(why.contains("`base` is built with other features"), "{why}");
        // The root `base` itself is built without `extra` when verified alone.
        assert!(check(&asks_extra[..2], &["base", "a"]).is_err());
        // Through a feature of the dependent (`fast = ["base/extra"]`), on by default, and
        // through a renamed dependency.
        let through: [(&str, Value, &[Dep]); 3] = [
            ("base", extra.clone(), &[]),
            ("a", json!({"default": ["fast"], "fast": ["b2/extra"]}), &[("base", Some("b2"), false, true, &[])]),
            ("b", json!({}), &[("base", None, false, true, &[])]),
        ];
        assert!(check(&through, &["a", "b"]).is_err());
        // The same feature, not on: alike.
        let off: [(&str, Value, &[Dep]); 3] = [
            ("base", extra, &[]),
            ("a", json!({"fast": ["b2/extra"]}), &[("base", Some("b2"), false, true, &[])]),
            ("b", json!({}), &[("base", None, false, true, &[])]),
        ];
        assert_eq!(check(&off, &["a", "b"]), Ok(()));
    }

    #[test]
    fn crates_that_ask_differently_go_to_different_builds() {
        let extra = json!({"extra": []});
        let packages: [(&str, Value, &[Dep]); 5] = [
            ("base", extra, &[]),
            ("a", json!({}), &[("base", None, false, true, &["extra"])]),
            ("b", json!({}), &[("base", None, false, true, &[])]),
            ("c", json!({}), &[("a", None, false, true, &[])]),
            ("d", json!({}), &[("b", None, false, true, &[])]),
        ];
        let names = ["base", "a", "b", "c", "d"];
        let (groups, why) = groups(&metadata(&packages, &names), &names);
        assert_eq!(groups, [vec!["base", "b", "d"], vec!["a", "c"]]);
        assert!(why.unwrap().contains("`base` is built with other features"));
        let (one, why) = super::groups(&metadata(&packages, &names), &["b", "d"]);
        assert_eq!((one, why), (vec![vec!["b", "d"]], None));
    }

    #[test]
    fn what_dev_dependencies_ask_for_does_not_count() {
        // Tests want `base` with `extra`; a build of `a` or `b` never builds them.
        let packages: [(&str, Value, &[Dep]); 3] = [
            ("base", json!({"extra": []}), &[]),
            ("a", json!({}), &[("base", None, false, true, &[]), ("dev:base", None, false, true, &["extra"])]),
            ("b", json!({}), &[("base", None, false, true, &[])]),
        ];
        assert_eq!(check(&packages, &["a", "b"]), Ok(()));
    }

    #[test]
    fn a_weak_feature_counts_only_when_its_dependency_is_on() {
        let extra = json!({"extra": []});
        // `a`'s `x?/extra` with `x` optional and off: `a` asks `base` for nothing more.
        let off: [(&str, Value, &[Dep]); 3] = [
            ("base", extra.clone(), &[("x", None, true, true, &[])]),
            ("a", json!({"default": ["w"], "w": ["x?/extra"]}), &[("x", None, true, true, &[])]),
            ("x", extra.clone(), &[]),
        ];
        let b_off: [(&str, Value, &[Dep]); 2] =
            [("x", extra.clone(), &[]), ("b", json!({}), &[("x", None, false, true, &[])])];
        let both: Vec<(&str, Value, &[Dep])> = off.iter().cloned().chain(b_off.iter().skip(1).cloned()).collect();
        assert_eq!(check(&both, &["a", "b"]), Ok(()));
        // Turned on by another feature of `a` (on by default): now `a` asks `x` for `extra`.
        let on: [(&str, Value, &[Dep]); 2] = [
            ("a", json!({"default": ["w", "x"], "w": ["x?/extra"]}), &[("x", None, true, true, &[])]),
            ("b", json!({}), &[("x", None, false, true, &[])]),
        ];
        let both: Vec<(&str, Value, &[Dep])> = on.iter().cloned().chain([("x", extra, &[][..])]).collect();
        assert!(check(&both, &["a", "b"]).is_err());
    }

    fn unpacked(name: &str, manifest: &str) -> Unpacked {
        Unpacked {
            name: name.into(),
            stem: format!("{name}-1.0.0"),
            bytes: Vec::new(),
            manifest: manifest.parse().unwrap(),
            published: false,
        }
    }

    #[test]
    fn the_scratch_workspace_patches_each_internal_dependency_under_its_registry() {
        let packages = [
            unpacked("core", "[package]\nname = \"core\"\nedition = \"2021\"\n"),
            unpacked(
                "cli",
                "[package]\nname = \"cli\"\nedition = \"2024\"\n\n[dependencies.the-core]\npackage = \"core\"\n\
                 version = \"1.0.0\"\nregistry-index = \"sparse+https://r.example/index/\"\n\n\
                 [target.'cfg(unix)'.dev-dependencies.core]\nversion = \"1.0.0\"\n\n\
                 [dependencies.serde]\nversion = \"1\"\n",
            ),
        ];
        let manifest = scratch_manifest(&packages).unwrap();
        assert!(
            manifest.contains("resolver = \"3\"\nmembers = [\n    \"core-1.0.0\",\n    \"cli-1.0.0\",\n]\n"),
            "{manifest}"
        );
        assert!(manifest.contains("[patch.\"crates-io\"]\n\"core\" = { path = \"core-1.0.0\" }\n"), "{manifest}");
        assert!(
            manifest.contains("[patch.\"sparse+https://r.example/index/\"]\n\"core\" = { path = \"core-1.0.0\" }\n"),
            "{manifest}"
        );
        assert!(!manifest.contains("serde"), "{manifest}");
        // Once the registry has `core`, `cli` builds against the registry's package.
        let published =
            [Unpacked { published: true, ..unpacked("core", "[package]\nedition = \"2021\"\n") }, packages[1].clone()];
        assert!(!scratch_manifest(&published).unwrap().contains("[patch"), "{manifest}");
        let parsed: DocumentMut = manifest.parse().unwrap();
        assert!(parsed["workspace"]["members"].as_array().is_some_and(|m| m.len() == 2));
    }

    #[test]
    fn crates_cargo_would_build_otherwise_alone_are_left_to_cargo() {
        let why = |manifest: &str| scratch_manifest(&[unpacked("x", manifest)]).unwrap_err();
        assert!(why("[package]\nedition = \"2018\"\n").contains("resolver 1"));
        assert!(why("[package]\n").contains("resolver 1"));
        assert!(why("[package]\nedition = \"2021\"\n\n[profile.dev]\nopt-level = 1\n").contains("[profile]"));
        assert!(why("cargo-features = [\"x\"]\n[package]\nedition = \"2021\"\n").contains("cargo-features"));
        assert!(scratch_manifest(&[unpacked("x", "[package]\nedition = \"2018\"\nresolver = \"2\"\n")]).is_ok());
    }

    #[test]
    fn a_change_to_the_unpacked_sources_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let bytes = crate::publish::packaged::build("x-1.0.0", &[("Cargo.toml", b"[package]"), ("src/lib.rs", b"")]);
        tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice())).unpack(tmp.path()).unwrap();
        let dir = Utf8Path::from_path(tmp.path()).unwrap().join("x-1.0.0");
        assert!(modified(&bytes, "x-1.0.0", &dir).unwrap().is_empty());
        std::fs::create_dir_all(dir.join("target/debug")).unwrap();
        std::fs::write(dir.join("target/debug/out"), "built").unwrap();
        assert!(modified(&bytes, "x-1.0.0", &dir).unwrap().is_empty(), "target/ counts");
        std::fs::write(dir.join("src/lib.rs"), "// changed").unwrap();
        std::fs::write(dir.join("src/new.rs"), "").unwrap();
        std::fs::remove_file(dir.join("Cargo.toml")).unwrap();
        assert_eq!(
            modified(&bytes, "x-1.0.0", &dir).unwrap(),
            ["x-1.0.0/Cargo.toml (removed)", "x-1.0.0/src/lib.rs", "x-1.0.0/src/new.rs"]
        );
    }
}
