//! Where a section goes in a Keep a Changelog file (pure text edits): a new release
//! section under the header, `[Unreleased]` renamed into a release with its compare
//! links moved on, and commit entries written under an empty `[Unreleased]`.

use crate::version::section::{body_under, is_link_definition};

/// The header of a changelog created from nothing.
const NEW_FILE_HEADER: &str = "# Changelog\n\n\
All notable changes to this project are documented in this file.\n\n\
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n\
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).\n\n\
## [Unreleased]\n";

/// `## [Unreleased]` or `## Unreleased`, in any case, with anything after it.
pub(crate) fn is_unreleased(line: &str) -> bool {
    line.strip_prefix("## ").is_some_and(|h| {
        let h = h.trim().to_ascii_lowercase();
        h.starts_with("[unreleased]") || h == "unreleased"
    })
}

/// Notes written under `## [Unreleased]`, `None` when there are none.
pub(crate) fn unreleased_notes(changelog: &str) -> Option<String> {
    body_under(changelog, is_unreleased).filter(|body| !body.is_empty())
}

/// `before` with `section` inserted after the intro and any `## [Unreleased]` section:
/// before the first release heading, or at the end when there is none. An empty text
/// becomes a new changelog with the standard header.
pub(crate) fn insert_section(before: &str, section: &str) -> String {
    let before = if before.trim().is_empty() { NEW_FILE_HEADER } else { before };
    let lines: Vec<&str> = before.lines().collect();
    let tail_start = links_start(&lines);
    let at = lines.iter().position(|line| line.starts_with("## ") && !is_unreleased(line)).unwrap_or(tail_start);
    splice(&lines[..at], section, &lines[at..])
}

/// `head`, `middle` and `tail` as one text, a blank line between each and a newline at
/// the end; `tail` left out when it is empty.
fn splice(head: &[&str], middle: &str, tail: &[&str]) -> String {
    let head = head.join("\n");
    let tail = tail.join("\n");
    let tail = tail.trim();
    let mut out = format!("{}\n\n{}", head.trim_end(), middle.trim());
    if !tail.is_empty() {
        out.push_str("\n\n");
        out.push_str(tail);
    }
    out.push('\n');
    out
}

/// Where the link definitions (and blank lines) that close the file begin: they stay last.
fn links_start(lines: &[&str]) -> usize {
    let mut at = lines.len();
    while at > 0 && (lines[at - 1].trim().is_empty() || is_link_definition(lines[at - 1])) {
        at -= 1;
    }
    at
}

/// The lines of the `[Unreleased]` section: its heading's index and the end of its body.
fn unreleased_span(lines: &[&str]) -> Option<(usize, usize)> {
    let heading = lines.iter().position(|line| is_unreleased(line))?;
    let end = lines[heading + 1..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |n| heading + 1 + n);
    Some((heading, end.min(links_start(lines).max(heading + 1))))
}

/// What renaming `[Unreleased]` needs besides the text: the release heading's words and
/// the tags its compare link runs between.
pub(crate) struct Release<'a> {
    pub version: &'a str,
    pub date: &'a str,
    /// The release's tag, where the new compare link ends.
    pub tag: &'a str,
}

/// `before` with its `[Unreleased]` section turned into `release`'s section, an empty
/// `## [Unreleased]` opened above it, and a compare link at the bottom moved on: the
/// `[unreleased]: …/compare/PREV...HEAD` definition becomes `…/compare/TAG...HEAD`, and
/// `[X.Y.Z]: …/compare/PREV...TAG` is added below it. `None` without such a section.
pub(crate) fn rename_unreleased(before: &str, release: &Release) -> Option<String> {
    let lines: Vec<&str> = before.lines().collect();
    let heading = lines.iter().position(|line| is_unreleased(line))?;
    let bracketed = lines[heading].contains('[');
    let (version, date) = (release.version, release.date);
    let renamed = if bracketed { format!("## [{version}] - {date}") } else { format!("## {version} - {date}") };
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 3);
    for (i, line) in lines.iter().enumerate() {
        if i == heading {
            out.push(if bracketed { "## [Unreleased]".into() } else { "## Unreleased".into() });
            out.push(String::new());
            out.push(renamed.clone());
            continue;
        }
        match moved_compare_link(line, release) {
            Some((unreleased, released)) => {
                out.push(unreleased);
                out.push(released);
            }
            None => out.push((*line).to_string()),
        }
    }
    Some(out.join("\n") + "\n")
}

/// The `[unreleased]: BASE/compare/PREV...HEAD` definition moved on to the release: the
/// new `[unreleased]` line and the release's own. `None` for every other line.
fn moved_compare_link(line: &str, release: &Release) -> Option<(String, String)> {
    let (label, url) = line.split_once("]: ")?;
    let label = label.strip_prefix('[')?;
    if !label.eq_ignore_ascii_case("unreleased") {
        return None;
    }
    let url = url.trim();
    let (base, range) = url.rsplit_once("/compare/")?;
    let previous = range.strip_suffix("...HEAD")?;
    let tag = release.tag;
    Some((
        format!("[{label}]: {base}/compare/{tag}...HEAD"),
        format!("[{}]: {base}/compare/{previous}...{tag}", release.version),
    ))
}

/// `before` with `entries` as the body of an empty `[Unreleased]` section (one is made
/// under the header when there is none). `None` when `[Unreleased]` has notes already:
/// what was written by hand is never replaced.
pub(crate) fn fill_unreleased(before: &str, entries: &str) -> Option<String> {
    if unreleased_notes(before).is_some() {
        return None;
    }
    let with_heading;
    let text = if before.trim().is_empty() {
        NEW_FILE_HEADER
    } else if before.lines().any(is_unreleased) {
        before
    } else {
        with_heading = insert_section(before, "## [Unreleased]\n");
        &with_heading
    };
    let lines: Vec<&str> = text.lines().collect();
    let (heading, end) = unreleased_span(&lines)?;
    Some(splice(&lines[..=heading], entries, &lines[end..]))
}

#[cfg(test)]
mod tests {
    use semver::Version;

    use super::*;
    use crate::version::section;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn inserted_after_unreleased_and_before_older_releases() {
        let before = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n- First.\n";
        let after = insert_section(before, "## [0.2.0] - 2026-02-01\n\n- Second.\n");
        assert_eq!(
            after,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.2.0] - 2026-02-01\n\n- Second.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"
        );
        assert_eq!(section::body(&after, &v("0.2.0")).as_deref(), Some("- Second."));
        assert_eq!(section::body(&after, &v("0.1.0")).as_deref(), Some("- First."));
    }

    #[test]
    fn new_file_and_file_without_releases() {
        let created = insert_section("", "## [0.1.0] - 2026-01-01\n\nNo changes.\n");
        assert!(created.starts_with("# Changelog\n\n"), "{created}");
        assert!(created.ends_with("## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\nNo changes.\n"), "{created}");
        let links = "# Changelog\n\n[0.1.0]: https://example.com/v0.1.0\n";
        assert_eq!(
            insert_section(links, "## [0.1.0]\n"),
            "# Changelog\n\n## [0.1.0]\n\n[0.1.0]: https://example.com/v0.1.0\n"
        );
    }

    #[test]
    fn unreleased_notes_are_noticed() {
        assert_eq!(unreleased_notes("# C\n\n## [Unreleased]\n\n## [0.1.0]\n\n- x\n"), None);
        assert_eq!(unreleased_notes("# C\n\n## Unreleased\n\n- by hand\n\n## [0.1.0]\n").as_deref(), Some("- by hand"));
    }

    const KEPT: &str = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- by hand\n\n\
        ## [0.1.0] - 2026-01-01\n\n- First.\n\n\
        [unreleased]: https://github.com/o/r/compare/v0.1.0...HEAD\n\
        [0.1.0]: https://github.com/o/r/releases/tag/v0.1.0\n";

    #[test]
    fn unreleased_becomes_the_release_and_its_links_move_on() {
        let release = Release { version: "0.2.0", date: "2026-02-01", tag: "v0.2.0" };
        assert_eq!(
            rename_unreleased(KEPT, &release).unwrap(),
            "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-02-01\n\n### Added\n\n- by hand\n\n\
             ## [0.1.0] - 2026-01-01\n\n- First.\n\n\
             [unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD\n\
             [0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0\n\
             [0.1.0]: https://github.com/o/r/releases/tag/v0.1.0\n"
        );
        // Without brackets or links the heading keeps its style and nothing else changes.
        let plain = "# C\n\n## Unreleased\n\n- x\n";
        assert_eq!(
            rename_unreleased(plain, &release).unwrap(),
            "# C\n\n## Unreleased\n\n## 0.2.0 - 2026-02-01\n\n- x\n"
        );
        assert_eq!(rename_unreleased("# C\n\n## [0.1.0]\n", &release), None);
    }

    #[test]
    fn entries_fill_an_empty_unreleased_only() {
        assert_eq!(fill_unreleased(KEPT, "- new"), None);
        let empty = "# C\n\n## [Unreleased]\n\n## [0.1.0]\n\n- x\n\n[0.1.0]: https://e/x\n";
        assert_eq!(
            fill_unreleased(empty, "### Fixes\n\n- y\n").unwrap(),
            "# C\n\n## [Unreleased]\n\n### Fixes\n\n- y\n\n## [0.1.0]\n\n- x\n\n[0.1.0]: https://e/x\n"
        );
        let no_heading = "# C\n\nIntro.\n\n## [0.1.0]\n\n- x\n";
        assert_eq!(
            fill_unreleased(no_heading, "- y").unwrap(),
            "# C\n\nIntro.\n\n## [Unreleased]\n\n- y\n\n## [0.1.0]\n\n- x\n"
        );
        let created = fill_unreleased("", "- y").unwrap();
        assert!(created.starts_with("# Changelog\n") && created.ends_with("## [Unreleased]\n\n- y\n"), "{created}");
    }
}
