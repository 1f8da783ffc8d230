//! The checksum file format of `sha256sum`: `<hex>  <name>` a line, written and read.

use anyhow::{Result, bail};

use crate::ops::sha::Digest;

/// One line as `sha256sum` writes it. A name holding a backslash, newline or carriage
/// return is escaped and the line marked with a leading backslash, as coreutils does, so
/// `sha256sum -c` finds the file.
pub fn line(digest: &Digest, name: &str) -> String {
    if name.contains(['\\', '\n', '\r']) {
        let escaped = name.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r");
        format!("\\{digest}  {escaped}\n")
    } else {
        format!("{digest}  {name}\n")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub digest: Digest,
    /// As written in the file: relative to the checksum file's directory.
    pub name: String,
}

/// Reads a checksum file's text; `source` names it in errors. Accepts both the text
/// (`  `) and binary (` *`) markers and escaped names, like `sha256sum -c`.
pub fn parse(text: &str, source: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        let (escaped, rest) = match raw.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let parsed = rest.split_at_checked(64).and_then(|(hex, tail)| {
            let name = tail.strip_prefix("  ").or_else(|| tail.strip_prefix(" *"))?;
            Some((Digest::parse_hex(hex)?, name))
        });
        let Some((digest, name)) = parsed.filter(|(_, name)| !name.is_empty()) else {
            bail!(
                "{source}:{}: not a SHA-256 checksum line (`<64 hex digits>  <file name>`); \
                 regenerate the file with `xtask-release checksum`",
                n + 1
            );
        };
        let name = if escaped { unescape(name) } else { name.to_string() };
        entries.push(Entry { digest, name });
    }
    Ok(entries)
}

fn unescape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_plain_and_escaped_names() {
        let d = Digest([7; 32]);
        let text = [line(&d, "tool-1.0.0-linux-amd64"), line(&d, "a\\b"), line(&d, "c\nd")].concat();
        assert!(text.starts_with(&format!("{d}  tool-1.0.0-linux-amd64\n\\{d}  a\\\\b\n")), "{text}");
        let names: Vec<String> = parse(&text, "SUMS").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["tool-1.0.0-linux-amd64", "a\\b", "c\nd"]);
    }

    #[test]
    fn binary_marker_and_crlf_are_accepted() {
        let d = Digest([1; 32]);
        let entries = parse(&format!("{d} *file.zip\r\n\n"), "x").unwrap();
        assert_eq!(entries, [Entry { digest: d, name: "file.zip".into() }]);
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = parse("deadbeef  file\n", "dist/file.sha256").unwrap_err().to_string();
        assert!(err.starts_with("dist/file.sha256:1: not a SHA-256"), "{err}");
    }
}
