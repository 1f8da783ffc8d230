//! The one renderer of the config's templates (`tag-message`, `commit-message`,
//! `github.name`, `dist.asset-name`): `{name}` placeholders, each one of a fixed list.
//! The config checks every template when it is loaded, so an unknown placeholder fails
//! every command, not only the one that would render it.

use anyhow::{Result, bail};

/// The placeholders of the message templates (`tag-message`, `commit-message`,
/// `github.name`).
pub const MESSAGE: &[&str] = &["version", "tag"];
/// The placeholders of `dist.asset-name`.
pub const ASSET_NAME: &[&str] = &["bin", "package", "version", "platform", "target", "exe"];

/// A piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

/// The template's pieces in order, or what is wrong with it: an unclosed `{` or a
/// placeholder not in `allowed`.
pub fn parse<'a>(template: &'a str, allowed: &[&str]) -> Result<Vec<Part<'a>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Literal(&rest[..open]));
        }
        let Some(len) = rest[open..].find('}') else {
            return Err(format!("has an unclosed `{{`; its placeholders are {}", shown(allowed)));
        };
        let key = &rest[open + 1..open + len];
        if !allowed.contains(&key) {
            return Err(format!("has an unknown placeholder `{{{key}}}`; use {}", shown(allowed)));
        }
        parts.push(Part::Placeholder(key));
        rest = &rest[open + len + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    Ok(parts)
}

/// Checks the template of config key `key` (in `table`); the error names the key, the
/// template and the placeholders it may use.
pub fn check(table: &str, key: &str, template: &str, allowed: &[&str]) -> Result<()> {
    if let Err(why) = parse(template, allowed) {
        bail!("`{key}` in [{table}] is \"{template}\", which {why}");
    }
    Ok(())
}

/// Fills each placeholder with its value from `vars`, whose keys are the allowed ones.
/// The config's templates were checked when it was loaded; one that was not (a config
/// made in code) is refused here the same way.
pub fn render(template: &str, vars: &[(&str, &str)]) -> Result<String> {
    let allowed: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
    let parts = match parse(template, &allowed) {
        Ok(parts) => parts,
        Err(why) => bail!("the template \"{template}\" {why}; fix it in the config"),
    };
    let mut out = String::with_capacity(template.len());
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(text),
            Part::Placeholder(name) => out.push_str(vars.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v)),
        }
    }
    Ok(out)
}

/// `{version} or {tag}`.
fn shown(allowed: &[&str]) -> String {
    let names: Vec<String> = allowed.iter().map(|k| format!("{{{k}}}")).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_in_order() {
        assert_eq!(
            parse("release: {tag} ({version})", MESSAGE),
            Ok(vec![
                Part::Literal("release: "),
                Part::Placeholder("tag"),
                Part::Literal(" ("),
                Part::Placeholder("version"),
                Part::Literal(")"),
            ])
        );
        assert_eq!(parse("", MESSAGE), Ok(vec![]));
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused() {
        assert_eq!(
            parse("Release {name}", MESSAGE),
            Err("has an unknown placeholder `{name}`; use {version} or {tag}".into())
        );
        assert!(parse("Release {tag", MESSAGE).unwrap_err().contains("unclosed `{`"));
        assert!(
            parse("{arch}", ASSET_NAME)
                .unwrap_err()
                .contains("{bin}, {package}, {version}, {platform}, {target} or {exe}")
        );
        let err = check("workspace.metadata.xtask-release", "tag-message", "Release {x}", MESSAGE).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`tag-message` in [workspace.metadata.xtask-release] is \"Release {x}\", which has an unknown \
             placeholder `{x}`; use {version} or {tag}"
        );
    }

    #[test]
    fn renders_every_placeholder() {
        let vars = [("version", "1.2.3"), ("tag", "v1.2.3")];
        assert_eq!(render("release {tag} of {version}, {tag}", &vars).unwrap(), "release v1.2.3 of 1.2.3, v1.2.3");
        assert_eq!(render("plain", &vars).unwrap(), "plain");
        assert!(render("{oops}", &vars).unwrap_err().to_string().contains("\"{oops}\" has an unknown placeholder"));
    }
}
