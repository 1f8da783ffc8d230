//! Extra files that carry the version: pyproject.toml (`project.version`, unless the
//! version is `dynamic`), package.json (the top-level `version`), or any file with a
//! search pattern in which `{version}` stands for the version.

use cargo_metadata::camino::Utf8Path;
use serde::{Deserialize, Serialize};

use super::text::{Span, toml_string};

/// An entry of `extra-files`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ExtraFile {
    /// A path whose kind follows from its name (`pyproject.toml`, `package.json`).
    Path(String),
    /// A path with a pattern in which `{version}` stands for the version, e.g.
    /// `__version__ = "{version}"`.
    Pattern { path: String, search: String },
}

/// A string, or a table whose keys are checked like every other table of the config
/// (serde's `untagged` would ignore a misspelt `serach` and then match no variant).
impl<'de> Deserialize<'de> for ExtraFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ExtraFile, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Pattern {
            path: String,
            search: String,
        }
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ExtraFile;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a path like \"package.json\", or a table { path = \"...\", search = \"...{version}...\" }")
            }
            fn visit_str<E: serde::de::Error>(self, path: &str) -> Result<ExtraFile, E> {
                Ok(ExtraFile::Path(path.into()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ExtraFile, A::Error> {
                let Pattern { path, search } =
                    Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(ExtraFile::Pattern { path, search })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// An extra file read, with the spans where its version is written.
#[derive(Debug, Clone)]
pub struct Extra {
    pub text: String,
    /// Empty for a pyproject.toml whose version is dynamic.
    pub spans: Vec<Span>,
}

impl ExtraFile {
    pub fn path(&self) -> &str {
        match self {
            ExtraFile::Path(path) | ExtraFile::Pattern { path, .. } => path,
        }
    }

    /// Reads the file under `root` and finds its version. An error says what is wrong
    /// and how to fix it, in the config's `table`; the caller names the file.
    pub fn load(&self, root: &Utf8Path, table: &str) -> Result<Extra, String> {
        let path = root.join(self.path());
        let text = crate::ops::fs::read(&path).map_err(|e| {
            format!("cannot be read ({}); fix its path in extra-files of [{table}], or create it", e.root_cause())
        })?;
        let spans = self.spans(&text)?;
        if let Some(bad) = spans.iter().find(|s| s.version().is_none()) {
            return Err(format!(
                "`{}` where the version should be is not a semver version; write X.Y.Z there",
                bad.text
            ));
        }
        Ok(Extra { text, spans })
    }

    fn spans(&self, text: &str) -> Result<Vec<Span>, String> {
        match self {
            ExtraFile::Pattern { search, .. } => pattern_spans(text, search),
            ExtraFile::Path(path) if path.ends_with("pyproject.toml") => pyproject_spans(text),
            ExtraFile::Path(path) if path.ends_with("package.json") => package_json_span(text).map(|s| vec![s]),
            ExtraFile::Path(path) => Err(format!(
                "cannot tell where the version is in this file; write the entry as \
                 {{ path = \"{path}\", search = \"...{{version}}...\" }}"
            )),
        }
    }
}

fn pyproject_spans(text: &str) -> Result<Vec<Span>, String> {
    let doc = toml_edit::Document::parse(text).map_err(|e| format!("not valid TOML; fix it: {e}"))?;
    let project = doc.as_table().get("project").and_then(|p| p.as_table_like());
    let dynamic = project.and_then(|p| p.get("dynamic")).and_then(|d| d.as_array());
    if dynamic.is_some_and(|d| d.iter().any(|v| v.as_str() == Some("version"))) {
        return Ok(Vec::new());
    }
    match project.and_then(|p| p.get("version")).and_then(|v| v.as_value()) {
        Some(value) => toml_string(text, value)
            .map(|span| vec![span])
            .ok_or_else(|| "[project] version is not a plain one-line string; write it as \"X.Y.Z\"".to_string()),
        None => Err("has no [project] version; add one, or list \"version\" in project.dynamic".into()),
    }
}

/// The span of the top-level `"version"` string, found by scanning the text so that
/// the rest of the file keeps its formatting.
fn package_json_span(text: &str) -> Result<Span, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON; fix it: {e}"))?;
    if !json.get("version").is_some_and(|v| v.is_string()) {
        return Err("has no top-level \"version\" string; add one".into());
    }
    let bytes = text.as_bytes();
    let after_blanks = |mut i: usize| {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        i
    };
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let end = string_end(bytes, i);
                let colon = after_blanks(end + 1);
                // A string directly in the root object and followed by `:` is a root key.
                if depth == 1 && &text[i + 1..end] == "version" && bytes.get(colon) == Some(&b':') {
                    let value = after_blanks(colon + 1);
                    let value_end = string_end(bytes, value);
                    let span = Span::new(text, value + 1..value_end);
                    if span.text.contains('\\') {
                        return Err("the version string has escapes; write it as plain \"X.Y.Z\"".into());
                    }
                    return Ok(span);
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    Err("has no top-level \"version\" string; add one".into())
}

/// The index of the quote that closes the JSON string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i.min(bytes.len())
}

/// Every place where `search` matches with a version in place of `{version}`.
fn pattern_spans(text: &str, search: &str) -> Result<Vec<Span>, String> {
    let Some((prefix, suffix)) = search.split_once("{version}") else {
        return Err(format!("the search pattern `{search}` has no `{{version}}`; put it where the version goes"));
    };
    let is_version_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+');
    let mut spans = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let start = at + prefix.len();
        let rest = &text[start..];
        let mut len = rest.find(|c| !is_version_char(c)).unwrap_or(rest.len());
        if suffix.is_empty() {
            // A sentence may end right after the version: `see v1.2.3.`
            len = rest[..len].trim_end_matches(['.', '-', '+']).len();
        }
        if len > 0 && rest[len..].starts_with(suffix) {
            let span = Span::new(text, start..start + len);
            if span.version().is_some() {
                spans.push(span);
            }
        }
    }
    if spans.is_empty() {
        return Err(format!("nothing matches the search pattern `{search}`; fix the pattern or the file"));
    }
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(entry: ExtraFile, text: &str) -> Result<Vec<String>, String> {
        entry.spans(text).map(|spans| spans.into_iter().map(|s| s.text).collect())
    }

    #[test]
    fn pyproject_static_and_dynamic() {
        let path = || ExtraFile::Path("py/pyproject.toml".into());
        let text = "[project]\nname = \"x\"\nversion = \"0.1.0\"\n";
        assert_eq!(texts(path(), text).unwrap(), ["0.1.0"]);
        assert!(texts(path(), "[project]\ndynamic = [\"version\"]\n").unwrap().is_empty());
        assert!(texts(path(), "[project]\nname = \"x\"\n").unwrap_err().contains("dynamic"));
    }

    #[test]
    fn package_json_top_level_only() {
        let text = r#"{
  "name": "x",
  "engines": { "version": "9.9.9" },
  "files": ["version"],
  "description": "\"version\": \"1.0.0\"",
  "version" : "0.1.0"
}
"#;
        let spans = ExtraFile::Path("package.json".into()).spans(text).unwrap();
        assert_eq!(spans[0].text, "0.1.0");
        assert_eq!(&text[spans[0].range.clone()], "0.1.0");
    }

    #[test]
    fn search_patterns() {
        let entry = || ExtraFile::Pattern { path: "x.py".into(), search: "__version__ = \"{version}\"".into() };
        let text = "__version__ = \"0.1.0\"\n__version__ = \"not\"\n";
        assert_eq!(texts(entry(), text).unwrap(), ["0.1.0"]);
        assert!(texts(entry(), "nothing\n").unwrap_err().contains("nothing matches"));
        let bare = ExtraFile::Pattern { path: "x".into(), search: "v{version}".into() };
        assert_eq!(texts(bare, "see v1.2.3-rc.1.").unwrap(), ["1.2.3-rc.1"]);
    }
}
