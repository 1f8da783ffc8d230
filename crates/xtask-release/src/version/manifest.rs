//! Where a Cargo.toml holds versions: `[package] version`, `[workspace.package] version`,
//! and the version requirements of path dependencies in every dependency table.

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use toml_edit::{Item, TableLike};

use super::text::{Span, toml_string};

/// A manifest as text, with the spans of everything that carries a version.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: Utf8PathBuf,
    pub text: String,
    /// `[package] name` and `version`, when the manifest has a package.
    pub package: Option<(String, PackageVersion)>,
    /// `[workspace.package] version`.
    pub workspace_version: Option<Span>,
    /// Requirements of dependencies that have both `path` and `version`.
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageVersion {
    Own(Span),
    /// `version.workspace = true`
    Inherited,
    /// No `version` key (cargo takes 0.0.0 and `publish = false`).
    Missing,
}

/// A version requirement on a path dependency.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The table it lives in, as written in a manifest: `[target.'cfg(unix)'.dependencies]`.
    pub table: String,
    /// The package depended on (its `package` key when renamed).
    pub package: String,
    pub req: Span,
}

const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

impl Manifest {
    pub fn read(path: Utf8PathBuf) -> Result<Manifest> {
        let text = crate::ops::fs::read(&path)?;
        Manifest::parse(path, text)
    }

    pub fn parse(path: Utf8PathBuf, text: String) -> Result<Manifest> {
        let doc = toml_edit::Document::parse(text.as_str())
            .with_context(|| format!("{path} is not valid TOML; fix the error below"))?;
        let root = doc.as_table();
        let string = |item: &Item, what: &str| -> Result<Span> {
            match item.as_value().and_then(|v| toml_string(&text, v)) {
                Some(span) => Ok(span),
                None => bail!("{path}: {what} is not a plain one-line string; write it as \"X.Y.Z\""),
            }
        };

        let package = match table(root, "package") {
            None => None,
            Some(package) => {
                let name = package.get("name").and_then(Item::as_str).unwrap_or_default().to_string();
                let version = match package.get("version") {
                    None => PackageVersion::Missing,
                    Some(item) if is_inherited(item) => PackageVersion::Inherited,
                    Some(item) => PackageVersion::Own(string(item, "[package] version")?),
                };
                Some((name, version))
            }
        };
        let workspace = table(root, "workspace");
        let workspace_version = match workspace.and_then(|w| table(w, "package")).and_then(|p| p.get("version")) {
            Some(item) => Some(string(item, "[workspace.package] version")?),
            None => None,
        };

        let mut tables: Vec<(String, &dyn TableLike)> = Vec::new();
        if let Some(deps) = workspace.and_then(|w| table(w, "dependencies")) {
            tables.push(("[workspace.dependencies]".into(), deps));
        }
        for kind in KINDS {
            if let Some(deps) = table(root, kind) {
                tables.push((format!("[{kind}]"), deps));
            }
        }
        for (cfg, target) in table(root, "target").into_iter().flat_map(|t| t.iter()) {
            for kind in KINDS {
                if let Some(deps) = target.as_table_like().and_then(|t| table(t, kind)) {
                    tables.push((format!("[target.'{cfg}'.{kind}]"), deps));
                }
            }
        }
        let mut requirements = Vec::new();
        for (name, deps) in tables {
            for (key, dep) in deps.iter() {
                let Some(dep) = dep.as_table_like() else { continue };
                let (Some(_), Some(version)) = (dep.get("path"), dep.get("version")) else { continue };
                let package = dep.get("package").and_then(Item::as_str).unwrap_or(key).to_string();
                let req = string(version, &format!("the version of `{key}` in {name}"))?;
                requirements.push(Requirement { table: name.clone(), package, req });
            }
        }
        Ok(Manifest { path, text, package, workspace_version, requirements })
    }

    /// The span of `[package] version` when the package has its own.
    pub fn own_version(&self) -> Option<&Span> {
        match &self.package {
            Some((_, PackageVersion::Own(span))) => Some(span),
            _ => None,
        }
    }

    pub fn inherits_version(&self) -> bool {
        matches!(self.package, Some((_, PackageVersion::Inherited)))
    }
}

fn table<'a>(parent: &'a dyn TableLike, key: &str) -> Option<&'a dyn TableLike> {
    parent.get(key).and_then(Item::as_table_like)
}

fn is_inherited(item: &Item) -> bool {
    item.as_table_like().and_then(|t| t.get("workspace")).and_then(Item::as_bool) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_site() {
        let text = r#"
[package]
name = "a"
version = "0.1.0" # own

[workspace.package]
version = '0.1.0'

[workspace.dependencies]
b = { path = "b", version = "0.1.0" }
registry = "1"

[dependencies]
c = { path = "../c", version = "=0.1.0" }
renamed = { package = "d", path = "../d", version = "^0.1" }
no-version = { path = "../e" }

[target.'cfg(unix)'.dependencies.f]
path = "../f"
version = "~0.1.0"

[build-dependencies]
g = { version = "0.1.0", path = "../g" }
"#;
        let m = Manifest::parse("Cargo.toml".into(), text.into()).unwrap();
        assert_eq!(m.own_version().unwrap().text, "0.1.0");
        assert_eq!(m.workspace_version.as_ref().unwrap().text, "0.1.0");
        let reqs: Vec<String> =
            m.requirements.iter().map(|r| format!("{} {} {}", r.table, r.package, r.req.text)).collect();
        assert_eq!(
            reqs,
            [
                "[workspace.dependencies] b 0.1.0",
                "[dependencies] c =0.1.0",
                "[dependencies] d ^0.1",
                "[build-dependencies] g 0.1.0",
                "[target.'cfg(unix)'.dependencies] f ~0.1.0",
            ]
        );
    }

    #[test]
    fn inherited_and_missing_versions() {
        let m = Manifest::parse("Cargo.toml".into(), "[package]\nname = \"a\"\nversion.workspace = true\n".into());
        assert!(m.unwrap().inherits_version());
        let m = Manifest::parse("Cargo.toml".into(), "[package]\nname = \"a\"\n".into()).unwrap();
        assert_eq!(m.package, Some(("a".into(), PackageVersion::Missing)));
    }
}
