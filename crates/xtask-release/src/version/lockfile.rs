//! Where Cargo.lock holds the versions of workspace members: their `[[package]]` entries
//! (the ones without a `source`) and the `"name version"` references to them. Edited as
//! text, so bumping never needs cargo, the network or a resolution.

use anyhow::{Context as _, Result};
use cargo_metadata::camino::Utf8PathBuf;

use super::text::{Span, toml_string};

#[derive(Debug, Clone)]
pub struct Lockfile {
    pub path: Utf8PathBuf,
    pub text: String,
    /// Packages without a `source`: the workspace members and other path packages.
    pub packages: Vec<Locked>,
    /// `"name version"` entries of `dependencies` lists (a bare `"name"` has no version
    /// to edit, and one with a source names a registry package).
    pub references: Vec<Locked>,
}

#[derive(Debug, Clone)]
pub struct Locked {
    pub name: String,
    pub version: Span,
}

impl Lockfile {
    /// Reads `path`, or `None` when the workspace has no lock file.
    pub fn read(path: Utf8PathBuf) -> Result<Option<Lockfile>> {
        match crate::ops::fs::read_optional(&path, crate::ops::fs::Cap::TEXT)? {
            Some(text) => Lockfile::parse(path, text).map(Some),
            None => Ok(None),
        }
    }

    pub fn parse(path: Utf8PathBuf, text: String) -> Result<Lockfile> {
        let doc = toml_edit::Document::parse(text.as_str()).with_context(|| {
            format!("{path} is not valid TOML; restore it from git or delete it and run `cargo generate-lockfile`")
        })?;
        let (mut packages, mut references) = (Vec::new(), Vec::new());
        for package in doc.as_table().get("package").and_then(|p| p.as_array_of_tables()).into_iter().flatten() {
            let version = package.get("version").and_then(|v| v.as_value()).and_then(|v| toml_string(&text, v));
            if let (None, Some(name), Some(version)) = (package.get("source"), package.get("name"), version) {
                packages.push(Locked { name: name.as_str().unwrap_or_default().to_string(), version });
            }
            let deps = package.get("dependencies").and_then(|d| d.as_array());
            for dep in deps.into_iter().flatten().filter_map(|d| toml_string(&text, d)) {
                let mut parts = dep.text.split(' ');
                if let (Some(name), Some(version), None) = (parts.next(), parts.next(), parts.next()) {
                    let start = dep.range.start + name.len() + 1;
                    let version = Span { range: start..dep.range.end, text: version.to_string() };
                    references.push(Locked { name: name.to_string(), version });
                }
            }
        }
        Ok(Lockfile { path, text, packages, references })
    }

    pub fn package(&self, name: &str) -> Option<&Locked> {
        self.packages.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_references() {
        let text = r#"version = 4

[[package]]
name = "a"
version = "0.1.0"
dependencies = [
 "b 0.1.0",
 "c",
 "d 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "b"
version = "0.1.0"

[[package]]
name = "d"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        let lock = Lockfile::parse("Cargo.lock".into(), text.into()).unwrap();
        let names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(lock.references.len(), 1);
        assert_eq!(lock.references[0].name, "b");
        assert_eq!(&text[lock.references[0].version.range.clone()], "0.1.0");
    }
}
