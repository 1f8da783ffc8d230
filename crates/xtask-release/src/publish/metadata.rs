//! The publish metadata cargo sends ahead of a `.crate` (`PUT /api/v1/crates/new`),
//! derived as cargo derives it: from the normalised manifest inside the package (cargo's
//! `prepare_transmit` reads the manifest it packaged, not the workspace's), plus the
//! readme's content. The fields and their order are those of cargo's `NewCrate` and
//! `NewCrateDependency`, so a registry builds the same index line from ours as from
//! cargo's.

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use std::collections::BTreeMap;
use toml_edit::{DocumentMut, Item, TableLike};

use super::{packaged, platform};

/// cargo's id for crates.io in the metadata of a crate bound for another registry.
pub const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCrate {
    pub name: String,
    pub vers: String,
    pub deps: Vec<NewCrateDependency>,
    pub features: BTreeMap<String, Vec<String>>,
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub documentation: Option<String>,
    pub homepage: Option<String>,
    pub readme: Option<String>,
    pub readme_file: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    pub license: Option<String>,
    pub license_file: Option<String>,
    pub repository: Option<String>,
    pub badges: BTreeMap<String, BTreeMap<String, String>>,
    pub links: Option<String>,
    pub rust_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCrateDependency {
    pub optional: bool,
    pub default_features: bool,
    /// The package name (not the key it is renamed to).
    pub name: String,
    pub features: Vec<String>,
    pub version_req: String,
    pub target: Option<String>,
    pub kind: String,
    /// The index URL of the dependency's registry when it is not the one published to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The key in the manifest when the dependency is renamed (`package = "..."`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explicit_name_in_toml: Option<String>,
}

/// Where the crate goes: `None` is crates.io; otherwise the index URL as cargo has it
/// configured (`sparse+https://...`), which is how a dependency's `registry-index` in
/// the packaged manifest names the same registry.
pub type Target<'a> = Option<&'a str>;

/// The metadata for the package in the `.crate` `bytes` (entries `stem/...`, `stem` being
/// `NAME-VERSION`): the manifest, readme and license file are those inside the bytes that
/// were hashed and go up, not the copy cargo unpacked next to them.
pub fn from_crate(bytes: &[u8], stem: &str, target: Target) -> Result<NewCrate> {
    let mut files = packaged::files(bytes, stem, &["Cargo.toml"])?;
    let text = files
        .remove("Cargo.toml")
        .map(String::from_utf8)
        .with_context(|| format!("{stem}.crate has no {stem}/Cargo.toml; package it again with `cargo package`"))?
        .with_context(|| format!("the packaged manifest in {stem}.crate is not UTF-8"))?;
    let manifest: DocumentMut =
        text.parse().with_context(|| format!("the packaged manifest in {stem}.crate is not valid TOML"))?;
    let mut krate = from_manifest(&manifest, target).with_context(|| format!("in the manifest of {stem}.crate"))?;
    let wanted: Vec<&str> = krate.readme_file.iter().chain(&krate.license_file).map(String::as_str).collect();
    let mut files = if wanted.is_empty() { BTreeMap::new() } else { packaged::files(bytes, stem, &wanted)? };
    if let Some(readme) = &krate.readme_file {
        let content = files
            .remove(readme)
            .with_context(|| format!("the readme `{readme}` of `{}` is not in {stem}.crate", krate.name))?;
        let content = String::from_utf8(content).with_context(|| {
            format!("cannot read the readme `{readme}` of `{}` as UTF-8 text (cargo sends its content)", krate.name)
        })?;
        krate.readme = Some(content);
    }
    if let Some(license) = &krate.license_file
        && !files.contains_key(license)
    {
        bail!("the license file `{license}` of `{}` is not in its package; add it to the package", krate.name);
    }
    Ok(krate)
}

/// The metadata from a normalised manifest, without the readme's content.
pub fn from_manifest(manifest: &DocumentMut, target: Target) -> Result<NewCrate> {
    let package = manifest.get("package").and_then(Item::as_table_like).context("no [package] table")?;
    let name = string(package, "name")?.context("no package name")?;
    let vers = string(package, "version")?.context("no package version")?;
    let mut deps = Vec::new();
    // cargo's order: the plain tables, then each platform's, by platform key.
    let root = manifest.as_table();
    dependency_tables(
        root,
        None,
        &[("dependencies", "normal"), ("dev-dependencies", "dev"), ("build-dependencies", "build")],
        target,
        &mut deps,
    )?;
    if let Some(platforms) = root.get("target").and_then(Item::as_table_like) {
        let mut keys: Vec<&str> = platforms.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        for key in keys {
            let Some(table) = platforms.get(key).and_then(Item::as_table_like) else { continue };
            let platform = platform::normalise(key)?;
            let kinds = [("dependencies", "normal"), ("build-dependencies", "build"), ("dev-dependencies", "dev")];
            dependency_tables(table, Some(&platform), &kinds, target, &mut deps)?;
        }
    }
    Ok(NewCrate {
        name,
        vers,
        deps,
        features: features(root.get("features"))?,
        authors: strings(package, "authors")?,
        description: string(package, "description")?,
        documentation: string(package, "documentation")?,
        homepage: string(package, "homepage")?,
        readme: None,
        // cargo writes `readme = false` when a package has none.
        readme_file: match package.get("readme").and_then(Item::as_bool) {
            Some(false) => None,
            _ => string(package, "readme")?,
        },
        keywords: strings(package, "keywords")?,
        categories: strings(package, "categories")?,
        license: string(package, "license")?,
        license_file: string(package, "license-file")?,
        repository: string(package, "repository")?,
        badges: badges(root.get("badges"))?,
        links: string(package, "links")?,
        rust_version: string(package, "rust-version")?,
    })
}

fn dependency_tables(
    parent: &dyn TableLike,
    platform: Option<&str>,
    kinds: &[(&str, &str)],
    target: Target,
    deps: &mut Vec<NewCrateDependency>,
) -> Result<()> {
    for (table, kind) in kinds {
        // cargo still reads the old spelling (`dev_dependencies`); it writes the new one.
        let old = table.replace('-', "_");
        let Some(entries) = parent.get(table).or_else(|| parent.get(&old)).and_then(Item::as_table_like) else {
            continue;
        };
        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        for key in keys {
            let item = entries.get(key).context("vanished key")?;
            deps.push(dependency(key, item, kind, platform, target).with_context(|| format!("dependency `{key}`"))?);
        }
    }
    Ok(())
}

fn dependency(
    key: &str,
    item: &Item,
    kind: &str,
    platform: Option<&str>,
    target: Target,
) -> Result<NewCrateDependency> {
    let mut dep = NewCrateDependency {
        optional: false,
        default_features: true,
        name: key.to_string(),
        features: Vec::new(),
        version_req: "*".into(),
        target: platform.map(str::to_string),
        kind: kind.to_string(),
        registry: None,
        explicit_name_in_toml: None,
    };
    let mut registry_index = None;
    if let Some(version) = item.as_str() {
        dep.version_req = version_req(version)?;
    } else {
        let table = item.as_table_like().context("neither a version nor a table")?;
        if let Some(version) = string(table, "version")? {
            dep.version_req = version_req(&version)?;
        }
        dep.optional = boolean(table, "optional")?.unwrap_or(false);
        dep.default_features =
            boolean(table, "default-features")?.or(boolean(table, "default_features")?).unwrap_or(true);
        dep.features = strings(table, "features")?;
        if let Some(package) = string(table, "package")? {
            dep.explicit_name_in_toml = Some(std::mem::replace(&mut dep.name, package));
        }
        registry_index = string(table, "registry-index")?;
        for unsupported in ["artifact", "git", "path", "registry"] {
            if table.contains_key(unsupported) {
                bail!("`{unsupported}` in a packaged manifest is not supported; publish with `cargo publish`");
            }
        }
    }
    dep.registry = match (registry_index, target) {
        (None, None) => None,
        (None, Some(_)) => Some(CRATES_IO_GIT_INDEX.to_string()),
        (Some(index), None) => bail!(
            "it comes from the registry {index}, and crates.io accepts only dependencies from crates.io; publish \
             `{}` to crates.io first",
            dep.name
        ),
        (Some(index), Some(target)) if same_index(&index, target) => None,
        (Some(index), Some(_)) => Some(index),
    };
    Ok(dep)
}

/// cargo prints a requirement normalised: `1.2` as `^1.2`.
fn version_req(text: &str) -> Result<String> {
    let req: semver::VersionReq = text.parse().with_context(|| format!("`{text}` is not a version requirement"))?;
    Ok(req.to_string())
}

/// Whether two index URLs name the same registry, as cargo's canonical URLs compare them.
pub fn same_index(a: &str, b: &str) -> bool {
    let canonical = |url: &str| url.trim_end_matches('/').to_ascii_lowercase();
    canonical(a) == canonical(b)
}

fn string(table: &dyn TableLike, key: &str) -> Result<Option<String>> {
    match table.get(key) {
        None => Ok(None),
        Some(item) => item.as_str().map(|s| Some(s.to_string())).with_context(|| format!("`{key}` is not a string")),
    }
}

fn boolean(table: &dyn TableLike, key: &str) -> Result<Option<bool>> {
    match table.get(key) {
        None => Ok(None),
        Some(item) => item.as_bool().map(Some).with_context(|| format!("`{key}` is not true or false")),
    }
}

fn strings(table: &dyn TableLike, key: &str) -> Result<Vec<String>> {
    match table.get(key) {
        None => Ok(Vec::new()),
        Some(item) => string_array(item).with_context(|| format!("`{key}` is not a list of strings")),
    }
}

fn string_array(item: &Item) -> Option<Vec<String>> {
    item.as_array()?.iter().map(|v| v.as_str().map(str::to_string)).collect()
}

fn features(item: Option<&Item>) -> Result<BTreeMap<String, Vec<String>>> {
    let Some(table) = item else { return Ok(BTreeMap::new()) };
    let table = table.as_table_like().context("[features] is not a table")?;
    table
        .iter()
        .map(|(name, values)| {
            let values = string_array(values).with_context(|| format!("feature `{name}` is not a list of strings"))?;
            Ok((name.to_string(), values))
        })
        .collect()
}

fn badges(item: Option<&Item>) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    let Some(table) = item else { return Ok(BTreeMap::new()) };
    let table = table.as_table_like().context("[badges] is not a table")?;
    table
        .iter()
        .map(|(badge, fields)| {
            let fields = fields.as_table_like().with_context(|| format!("badge `{badge}` is not a table"))?;
            let fields = fields
                .iter()
                .map(|(k, v)| Ok((k.to_string(), v.as_str().with_context(|| format!("badge `{badge}.{k}`"))?.into())))
                .collect::<Result<_>>()?;
            Ok((badge.to_string(), fields))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
edition = "2021"
rust-version = "1.70"
name = "eq-app"
version = "0.2.0"
authors = ["A <a@example.com>"]
build = false
links = "eqnative"
description = "An app."
readme = "README.md"
keywords = ["a", "b"]
categories = ["development-tools"]
license-file = "LICENSE"

[features]
default = ["fast"]
fast = ["dep:eq-core", "helper?/extra"]

[badges.maintenance]
status = "actively-developed"

[dependencies.eq-core]
version = "0.2.0"
optional = true
registry-index = "sparse+http://127.0.0.1:9/"

[dependencies.helper]
version = "1.2"
default-features = false
features = ["x", "a"]
package = "eq-helper"
registry-index = "sparse+http://127.0.0.1:9"

[dependencies.ext]
version = "0.1"
registry-index = "sparse+http://127.0.0.1:7/"

[dev-dependencies.eq-kit]
version = "0.2.0"
registry-index = "sparse+http://127.0.0.1:9/"

[build-dependencies]
cc = "1"

[target."cfg(target_os=\"linux\")".dependencies.eq-core]
version = "=0.2.0"
registry-index = "sparse+http://127.0.0.1:9/"
"#;

    #[test]
    fn every_field_as_cargo_sends_it() {
        let manifest: DocumentMut = MANIFEST.parse().unwrap();
        let krate = from_manifest(&manifest, Some("sparse+http://127.0.0.1:9/")).unwrap();
        assert_eq!((krate.name.as_str(), krate.vers.as_str()), ("eq-app", "0.2.0"));
        let deps: Vec<(&str, &str, Option<&str>, &str)> = krate
            .deps
            .iter()
            .map(|d| (d.name.as_str(), d.kind.as_str(), d.target.as_deref(), d.version_req.as_str()))
            .collect();
        assert_eq!(
            deps,
            [
                ("eq-core", "normal", None, "^0.2.0"),
                ("ext", "normal", None, "^0.1"),
                ("eq-helper", "normal", None, "^1.2"),
                ("eq-kit", "dev", None, "^0.2.0"),
                ("cc", "build", None, "^1"),
                ("eq-core", "normal", Some("cfg(target_os = \"linux\")"), "=0.2.0"),
            ]
        );
        let helper = &krate.deps[2];
        assert_eq!(helper.explicit_name_in_toml.as_deref(), Some("helper"));
        assert_eq!((helper.default_features, helper.features.clone()), (false, vec!["x".into(), "a".into()]));
        assert!(krate.deps[0].optional);
        assert_eq!(krate.deps[0].registry, None, "the registry published to");
        assert_eq!(krate.deps[1].registry.as_deref(), Some("sparse+http://127.0.0.1:7/"));
        assert_eq!(krate.deps[4].registry.as_deref(), Some(CRATES_IO_GIT_INDEX), "crates.io, seen from elsewhere");
        assert_eq!(krate.features["fast"], ["dep:eq-core", "helper?/extra"]);
        assert_eq!(krate.badges["maintenance"]["status"], "actively-developed");
        assert_eq!(
            (krate.links.as_deref(), krate.rust_version.as_deref(), krate.license_file.as_deref()),
            (Some("eqnative"), Some("1.70"), Some("LICENSE"))
        );
        assert_eq!(krate.readme_file.as_deref(), Some("README.md"));
        let json = serde_json::to_string(&krate.deps[0]).unwrap();
        assert_eq!(
            json,
            r#"{"optional":true,"default_features":true,"name":"eq-core","features":[],"version_req":"^0.2.0","target":null,"kind":"normal"}"#
        );
    }

    #[test]
    fn the_metadata_comes_from_inside_the_crate() {
        let readme = "From the .crate: Ünïcode\n";
        let stem = "eq-app-0.2.0";
        let files: [(&str, &[u8]); 3] =
            [("Cargo.toml", MANIFEST.as_bytes()), ("README.md", readme.as_bytes()), ("LICENSE", b"MIT")];
        let target = Some("sparse+http://127.0.0.1:9/");
        let krate = from_crate(&packaged::build(stem, &files), stem, target).unwrap();
        let manifest: DocumentMut = MANIFEST.parse().unwrap();
        assert_eq!(krate, NewCrate { readme: Some(readme.into()), ..from_manifest(&manifest, target).unwrap() });

        let err = format!("{:#}", from_crate(&packaged::build(stem, &files[..2]), stem, target).unwrap_err());
        assert!(err.contains("the license file `LICENSE` of `eq-app` is not in its package"), "{err}");
        let err = format!("{:#}", from_crate(&packaged::build(stem, &files[1..]), stem, target).unwrap_err());
        assert!(err.contains("eq-app-0.2.0.crate has no eq-app-0.2.0/Cargo.toml"), "{err}");
        let no_readme = [files[0], files[2]];
        let err = format!("{:#}", from_crate(&packaged::build(stem, &no_readme), stem, target).unwrap_err());
        assert!(err.contains("the readme `README.md` of `eq-app` is not in eq-app-0.2.0.crate"), "{err}");
    }

    #[test]
    fn crates_io_takes_no_dependency_from_elsewhere() {
        let manifest: DocumentMut = MANIFEST.parse().unwrap();
        let err = format!("{:#}", from_manifest(&manifest, None).unwrap_err());
        assert!(err.contains("dependency `eq-core`: it comes from the registry sparse+http://127.0.0.1:9/"), "{err}");
    }
}
