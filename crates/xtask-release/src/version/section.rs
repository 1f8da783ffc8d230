//! Finding a version's section in a changelog: the one reading of `## ` headings that
//! `check-version`, `changelog`, `release` and `github-release` share, so a heading that
//! one of them accepts is accepted by all.
//!
//! A heading names the first word in it that is a semver version, with or without
//! brackets, a link or a `v`: `## [1.2.3] - 2026-01-01`, `## 1.2.3`, `## [v1.2.3]`,
//! `## Version 1.2.3`, `## [1.2.3](https://…/compare/v1.2.2...v1.2.3)`. A pre-release
//! is its own version (`1.2.3-rc.1` is not `1.2.3`).

use semver::Version;

/// The version a `## ` heading names, if any.
pub fn heading_version(line: &str) -> Option<Version> {
    let heading = line.strip_prefix("## ")?;
    heading.split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | ',' | ':')).find_map(|word| {
        let word = word.strip_prefix(['v', 'V']).unwrap_or(word);
        // `1.2.3.` at the end of a sentence-like heading.
        Version::parse(word.strip_suffix('.').unwrap_or(word)).ok()
    })
}

/// The line index of the heading of `version`'s section.
pub fn find(changelog: &str, version: &Version) -> Option<usize> {
    changelog.lines().position(|line| heading_version(line).as_ref() == Some(version))
}

/// The body of `version`'s section (without its heading), trimmed, or `None` when there
/// is no such section.
pub fn body(changelog: &str, version: &Version) -> Option<String> {
    body_under(changelog, |line| heading_version(line).as_ref() == Some(version))
}

/// The text under the first `## ` heading that `is_heading` picks, up to the next one.
pub fn body_under(changelog: &str, is_heading: impl Fn(&str) -> bool) -> Option<String> {
    let lines: Vec<&str> = changelog.lines().collect();
    let start = lines.iter().position(|line| is_heading(line))? + 1;
    let end = lines[start..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |n| start + n);
    // Link reference definitions (`[0.1.0]: https://...`) close the file, not the section.
    let mut body = &lines[start..end];
    while let Some((last, rest)) = body.split_last() {
        if last.trim().is_empty() || is_link_definition(last) {
            body = rest;
        } else {
            break;
        }
    }
    Some(body.join("\n").trim().to_string())
}

/// `[0.1.0]: https://…`, a Markdown link reference definition.
pub fn is_link_definition(line: &str) -> bool {
    line.starts_with('[') && line.contains("]: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn heading_styles() {
        for heading in [
            "## [0.2.0] - 2026-01-01",
            "## [0.2.0]",
            "## 0.2.0",
            "## v0.2.0",
            "## [v0.2.0]",
            "## Version 0.2.0",
            "## Release 0.2.0 (2026-01-01)",
            "## [0.2.0](https://example.com/compare/v0.1.0...v0.2.0) (2026-01-01)",
        ] {
            assert_eq!(heading_version(heading), Some(v("0.2.0")), "{heading}");
        }
        assert_eq!(heading_version("## [0.2.0-rc.1]"), Some(v("0.2.0-rc.1")));
        assert_eq!(heading_version("## 10.2.0"), Some(v("10.2.0")));
        for other in ["### 0.2.0", "Released 0.2.0", "## [Unreleased]", "## 2026-01-01", "##0.2.0"] {
            assert_eq!(heading_version(other), None, "{other}");
        }
    }

    #[test]
    fn sections_match_exact_versions_only() {
        let text = "# Changelog\n\n## [1.0.0-rc.1] - x\n\nrc\n\n## v0.9.0\n\nold\n\n[0.9.0]: https://example.com\n";
        assert_eq!(body(text, &v("1.0.0")), None);
        assert_eq!(find(text, &v("1.0.0-rc.1")), Some(2));
        assert_eq!(body(text, &v("1.0.0-rc.1")).as_deref(), Some("rc"));
        assert_eq!(body(text, &v("0.9.0")).as_deref(), Some("old"));
    }
}
