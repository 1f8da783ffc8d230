//! Versions as spans of a file's text, and edits as splices of those spans, so every byte
//! around them (formatting, comments, quote style) stays as it was.

use std::ops::Range;

use semver::Version;

/// The text of a version or requirement in a file, without its quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub range: Range<usize>,
    pub text: String,
}

impl Span {
    pub fn new(source: &str, range: Range<usize>) -> Span {
        Span { text: source[range.clone()].to_string(), range }
    }

    pub fn version(&self) -> Option<Version> {
        Version::parse(&self.text).ok()
    }
}

/// The span inside the quotes of a TOML string value parsed from `source`, or `None`
/// when it is not a plain one-line string (escapes and multi-line strings are left to
/// the user).
pub fn toml_string(source: &str, value: &toml_edit::Value) -> Option<Span> {
    value.as_str()?;
    let range = value.span()?;
    let raw = source.get(range.clone())?;
    let quote = raw.chars().next()?;
    let plain = raw.len() >= 2
        && (quote == '"' || quote == '\'')
        && raw.ends_with(quote)
        && !raw.starts_with("\"\"\"")
        && !raw.starts_with("'''")
        && !(quote == '"' && raw.contains('\\'));
    plain.then(|| Span::new(source, range.start + 1..range.end - 1))
}

/// `source` with each range replaced by its text; the ranges must not overlap.
pub fn splice(source: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut edits: Vec<&(Range<usize>, String)> = edits.iter().collect();
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&source[at..range.start]);
        out.push_str(text);
        at = range.end;
    }
    out.push_str(&source[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_keep_their_quotes() {
        let source = "a = \"0.1.0\" # c\nb = '0.2.0'\nc = \"\\u0030.1.0\"\n";
        let doc = toml_edit::Document::parse(source).unwrap();
        let span = |key: &str| toml_string(source, doc.as_table()[key].as_value().unwrap());
        assert_eq!(span("a").unwrap().text, "0.1.0");
        assert_eq!(span("b").unwrap().text, "0.2.0");
        assert_eq!(span("c"), None);
        let a = span("a").unwrap();
        let b = span("b").unwrap();
        let out = splice(source, &[(b.range, "0.3.0".into()), (a.range, "0.3.0".into())]);
        assert_eq!(out, "a = \"0.3.0\" # c\nb = '0.3.0'\nc = \"\\u0030.1.0\"\n");
    }
}
