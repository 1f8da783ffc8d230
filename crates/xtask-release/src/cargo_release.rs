//! cargo-release's table (`[workspace.metadata.release]`): never read as our config, but
//! translated, key by key, into ours: for the note a workspace that has only theirs gets,
//! and for the config `init` writes.

use serde_json::Value;

/// What becomes of one key of cargo-release's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Translation {
    /// Honoured as our `key` with this TOML value (already rendered, e.g. `"v"`).
    As { key: String, value: String },
    /// Honoured by what we always do; nothing to write.
    Always(&'static str),
    /// No counterpart, with why or what to do instead.
    Not(String),
}

/// One key of their table and what becomes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub translation: Translation,
}

/// Translates every key of cargo-release's table (as cargo metadata reports it), in
/// alphabetical order. `tag-prefix` and `tag-name` become one `tag-prefix` of ours.
pub fn translate(table: &Value) -> Vec<Key> {
    let Some(table) = table.as_object() else { return Vec::new() };
    let mut keys = Vec::new();
    for (name, value) in table {
        let translation = match name.as_str() {
            "tag-name" | "tag-prefix" if name == "tag-prefix" && table.contains_key("tag-name") => continue,
            "tag-name" | "tag-prefix" => tag_prefix(table),
            "tag-message" => template("tag-message", value),
            "pre-release-commit-message" => template("commit-message", value),
            "allow-branch" => match value.as_array().map(|a| a.as_slice()) {
                Some([Value::String(branch)]) if !branch.contains(['*', '?', '[', '!']) => {
                    Translation::As { key: "branch".into(), value: toml_string(branch) }
                }
                _ => Translation::Not("we release from one branch; set `branch` to it".into()),
            },
            "push-remote" => match value.as_str() {
                Some(remote) => Translation::As { key: "remote".into(), value: toml_string(remote) },
                None => Translation::Not("not a string".into()),
            },
            "shared-version" if value.as_bool() == Some(true) || value.is_string() => {
                Translation::Always("every publishable crate is released at one version")
            }
            "consolidate-commits" if value.as_bool() != Some(false) => {
                Translation::Always("one release commit for the whole workspace")
            }
            "dependent-version" => Translation::Always("requirements on workspace crates are set to the new version"),
            "publish" | "verify" | "push" | "tag" => Translation::Always(
                "`release` tags and pushes; publishing is `publish-ordered` in the release workflow",
            ),
            "sign-tag" | "sign-commit" => {
                Translation::Not("git's own `tag.gpgSign`/`commit.gpgSign` config applies to our commit and tag".into())
            }
            "pre-release-replacements" => {
                Translation::Not("list each file under `extra-files` (with a `search` pattern using {version})".into())
            }
            "pre-release-hook" => Translation::Not("put the command in `test-command` or a workflow step".into()),
            _ => Translation::Not("no counterpart".into()),
        };
        keys.push(Key { name: name.clone(), translation });
    }
    keys
}

/// The note for a workspace that has cargo-release's table and not ours.
pub fn note(their_table: &str, our_table: &str, keys: &[Key]) -> String {
    let mut honoured = Vec::new();
    let mut not = Vec::new();
    for key in keys {
        match &key.translation {
            Translation::As { key: ours, value } => honoured.push(format!("`{}` as `{ours} = {value}`", key.name)),
            Translation::Always(_) => honoured.push(format!("`{}` as it is", key.name)),
            Translation::Not(_) => not.push(format!("`{}`", key.name)),
        }
    }
    let mut text = format!("[{their_table}] is cargo-release's table; xtask-release reads only [{our_table}].");
    if !honoured.is_empty() {
        text.push_str(&format!(" Of its keys it would honour {}", honoured.join(", ")));
        text.push('.');
    }
    if !not.is_empty() {
        text.push_str(&format!(" {} {} no counterpart.", not.join(", "), if not.len() == 1 { "has" } else { "have" }));
    }
    text.push_str(" `init` writes our table with them translated.");
    text
}

/// cargo-release's tag is `tag-name` (default `{{prefix}}v{{version}}`) with `{{prefix}}`
/// from `tag-prefix`; ours is a prefix followed by the version.
fn tag_prefix(table: &serde_json::Map<String, Value>) -> Translation {
    let prefix = table.get("tag-prefix").and_then(Value::as_str).unwrap_or("");
    let name = table.get("tag-name").and_then(Value::as_str).unwrap_or("{{prefix}}v{{version}}");
    let name = name.replace("{{prefix}}", prefix);
    match name.strip_suffix("{{version}}") {
        Some(ours) if !ours.contains("{{") => Translation::As { key: "tag-prefix".into(), value: toml_string(ours) },
        _ => Translation::Not(format!("`{name}` is not a fixed prefix followed by the version")),
    }
}

/// `{{version}}` and `{{tag_name}}` have counterparts; `{{crate_name}}`, `{{date}}` and
/// the others do not, in a release of the whole workspace at once.
fn template(ours: &str, value: &Value) -> Translation {
    let Some(text) = value.as_str() else { return Translation::Not("not a string".into()) };
    let text = text.replace("{{version}}", "{version}").replace("{{tag_name}}", "{tag}");
    if let Some(at) = text.find("{{") {
        let end = text[at..].find("}}").map_or(text.len(), |e| at + e + 2);
        return Translation::Not(format!(
            "`{}` has no counterpart in a release of the whole workspace",
            &text[at..end]
        ));
    }
    Translation::As { key: ours.into(), value: toml_string(&text) }
}

fn toml_string(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(toml: &str) -> Vec<(String, Translation)> {
        let table: toml_edit::DocumentMut = toml.parse().unwrap();
        let json = serde_json::to_value(toml_to_json(table.as_table())).unwrap();
        translate(&json).into_iter().map(|k| (k.name, k.translation)).collect()
    }

    fn toml_to_json(table: &toml_edit::Table) -> serde_json::Map<String, Value> {
        table
            .iter()
            .map(|(k, v)| {
                let v = match v.as_value().unwrap() {
                    toml_edit::Value::String(s) => Value::String(s.value().clone()),
                    toml_edit::Value::Boolean(b) => Value::Bool(*b.value()),
                    toml_edit::Value::Array(a) => {
                        Value::Array(a.iter().map(|v| Value::String(v.as_str().unwrap().into())).collect())
                    }
                    other => panic!("{other}"),
                };
                (k.to_string(), v)
            })
            .collect()
    }

    fn as_(key: &str, value: &str) -> Translation {
        Translation::As { key: key.into(), value: value.into() }
    }

    #[test]
    fn tag_names() {
        assert_eq!(keys("tag-name = \"v{{version}}\"")[0].1, as_("tag-prefix", "\"v\""));
        assert_eq!(keys("tag-name = \"{{version}}\"")[0].1, as_("tag-prefix", "\"\""));
        let both = keys("tag-prefix = \"app-\"\ntag-name = \"{{prefix}}v{{version}}\"");
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].1, as_("tag-prefix", "\"app-v\""));
        assert_eq!(keys("tag-prefix = \"\"")[0].1, as_("tag-prefix", "\"v\""));
        assert!(matches!(keys("tag-name = \"{{crate_name}}-v{{version}}\"")[0].1, Translation::Not(_)));
    }

    #[test]
    fn templates_branches_and_the_rest() {
        let keys = keys(
            "pre-release-commit-message = \"chore: release {{version}}\"\n\
             tag-message = \"{{crate_name}} {{version}}\"\n\
             allow-branch = [\"trunk\"]\n\
             shared-version = true\n\
             sign-tag = true\n",
        );
        let get = |name: &str| keys.iter().find(|k| k.0 == name).unwrap().1.clone();
        assert_eq!(get("pre-release-commit-message"), as_("commit-message", "\"chore: release {version}\""));
        assert!(matches!(get("tag-message"), Translation::Not(why) if why.contains("{{crate_name}}")));
        assert_eq!(get("allow-branch"), as_("branch", "\"trunk\""));
        assert!(matches!(get("shared-version"), Translation::Always(_)));
        assert!(matches!(get("sign-tag"), Translation::Not(_)));
        let keys: Vec<Key> = keys
            .iter()
            .map(|(name, translation)| Key { name: name.clone(), translation: translation.clone() })
            .collect();
        let note = note("workspace.metadata.release", "workspace.metadata.xtask-release", &keys);
        assert!(
            note.contains("`pre-release-commit-message` as `commit-message = \"chore: release {version}\"`"),
            "{note}"
        );
        assert!(note.contains("`sign-tag`, `tag-message` have no counterpart."), "{note}");
    }
}
