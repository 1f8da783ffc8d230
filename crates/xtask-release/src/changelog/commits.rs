//! What the changelog is made from: the previous release tag, the commits since it (read
//! from git), and conventional-commit parsing of their messages (pure).

use anyhow::Result;
use semver::Version;
use xshell::{Shell, cmd};

use crate::config::Config;
use crate::ops::git;
use crate::template::{self, Part};

/// The release tag a changelog section starts after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PreviousTag {
    pub tag: String,
    pub version: Version,
}

/// The tag of the newest release before `version` among the tags reachable from HEAD, or
/// `None` when there is none (the first release takes all history).
pub fn previous_tag(sh: &Shell, config: &Config, version: &Version) -> Result<Option<PreviousTag>> {
    Ok(select_previous(merged_tags(sh, config)?.lines(), config, version))
}

/// Whether HEAD contains any release tag (one that names a version the way `config`
/// makes tags): before the first, nothing was released.
pub fn any_release_tag(sh: &Shell, config: &Config) -> Result<bool> {
    Ok(merged_tags(sh, config)?.lines().any(|tag| config.version_of(tag.trim()).is_some()))
}

/// The tags with the configured prefix that HEAD contains, one a line.
fn merged_tags(sh: &Shell, config: &Config) -> Result<String> {
    let pattern = format!("{}*", config.tag_prefix);
    git::read(sh, cmd!(sh, "git tag --list --merged HEAD {pattern}"), "cannot list the release tags")
}

/// The tag with the highest version below `version`; tags that do not name a version
/// the way `config` makes tags are someone else's and ignored.
pub fn select_previous<'a>(
    tags: impl IntoIterator<Item = &'a str>,
    config: &Config,
    version: &Version,
) -> Option<PreviousTag> {
    tags.into_iter()
        .filter_map(|tag| {
            let tag = tag.trim();
            let parsed = config.version_of(tag)?;
            Some(PreviousTag { tag: tag.to_string(), version: parsed })
        })
        .filter(|t| t.version < *version)
        .max_by(|a, b| a.version.cmp(&b.version))
}

/// The full messages of the commits after `since` up to HEAD, oldest first, merge commits
/// left out (the commits they bring in are kept).
pub fn messages_since(sh: &Shell, since: Option<&str>) -> Result<Vec<String>> {
    let range = match since {
        Some(tag) => format!("{tag}..HEAD"),
        None => "HEAD".to_string(),
    };
    // Unit and record separators cannot occur in a commit message typed by a person.
    let log = cmd!(sh, "git log --no-merges --topo-order --reverse --format=%B%x1e {range}");
    let log = git::read(sh, log, &format!("cannot read the commits of {range}"))?;
    Ok(log.split('\x1e').map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect())
}

/// One commit message, read as a conventional commit when it is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Conventional(Conventional),
    /// Not a conventional commit: kept, by its subject line, so nothing is dropped.
    Other(String),
}

/// `type(scope)!: description` with its `BREAKING CHANGE:` footer, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// The subject line as written, for types the changelog has no group for.
    pub subject: String,
    /// Lower-cased: `Feat` and `feat` are the same type.
    pub kind: String,
    pub scope: Option<String>,
    pub description: String,
    /// Marked by `!` or by a breaking-change footer.
    pub breaking: bool,
    /// The text of a `BREAKING CHANGE:` or `BREAKING-CHANGE:` footer, lines joined.
    pub breaking_note: Option<String>,
}

impl Message {
    pub fn parse(message: &str) -> Message {
        let subject = message.lines().next().unwrap_or("").trim();
        match parse_header(subject) {
            Some(mut commit) => {
                commit.breaking_note = breaking_footer(message);
                commit.breaking |= commit.breaking_note.is_some();
                Message::Conventional(commit)
            }
            None => Message::Other(subject.to_string()),
        }
    }
}

/// The header grammar of the Conventional Commits spec: a type of letters, an optional
/// non-empty scope in parentheses, an optional `!`, then `: ` and a description.
fn parse_header(subject: &str) -> Option<Conventional> {
    let (head, description) = subject.split_once(": ")?;
    let description = description.trim();
    let (head, breaking) = match head.strip_suffix('!') {
        Some(head) => (head, true),
        None => (head, false),
    };
    let (kind, scope) = match head.split_once('(') {
        Some((kind, rest)) => {
            let scope = rest.strip_suffix(')')?.trim();
            if scope.is_empty() || scope.contains(['(', ')']) {
                return None;
            }
            (kind, Some(scope.to_string()))
        }
        None => (head, None),
    };
    let kind_ok = !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    if !kind_ok || description.is_empty() {
        return None;
    }
    Some(Conventional {
        subject: subject.to_string(),
        kind: kind.to_ascii_lowercase(),
        scope,
        description: description.to_string(),
        breaking,
        breaking_note: None,
    })
}

/// The breaking-change footer's text: from its token to the next blank line or footer.
fn breaking_footer(message: &str) -> Option<String> {
    let mut lines = message.lines().skip(1);
    let first = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("BREAKING CHANGE:").or_else(|| line.strip_prefix("BREAKING-CHANGE:")))?;
    let mut note = first.trim().to_string();
    for line in lines.take_while(|l| !l.trim().is_empty() && !is_footer_start(l)) {
        note.push(' ');
        note.push_str(line.trim());
    }
    Some(note)
}

/// `Token: value` or `Token #value` as git trailers write them: a token without spaces.
fn is_footer_start(line: &str) -> bool {
    let token = line.split_once(": ").or_else(|| line.split_once(" #")).map(|(token, _)| token);
    token.is_some_and(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// Whether `subject` is what the `commit-message` template renders for some version, so
/// release commits (`release: v1.2.3`) stay out of the notes they release.
pub fn matches_template(template: &str, subject: &str) -> bool {
    let Ok(parts) = template::parse(template, template::MESSAGE) else { return false };
    // The literal text around the placeholders: ["release: ", ""] for `release: {tag}`.
    let mut literals = vec![""];
    for part in parts {
        match part {
            Part::Literal(text) => {
                if let Some(last) = literals.last_mut() {
                    *last = text;
                }
            }
            Part::Placeholder(_) => literals.push(""),
        }
    }
    let Some((first, rest)) = literals.split_first() else { return false };
    let Some(mut remaining) = subject.trim().strip_prefix(first) else { return false };
    if rest.is_empty() {
        return remaining.is_empty();
    }
    for (i, literal) in rest.iter().enumerate() {
        let last = i == rest.len() - 1;
        // A placeholder stands for at least one character; the last literal must end the subject.
        let found = if last {
            remaining.len() > literal.len() && remaining.ends_with(literal)
        } else {
            remaining
                .get(1..)
                .and_then(|r| r.find(literal))
                .map(|at| remaining = &remaining[at + 1 + literal.len()..])
                .is_some()
        };
        if !found {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conventional(message: &str) -> Conventional {
        match Message::parse(message) {
            Message::Conventional(c) => c,
            Message::Other(s) => panic!("not conventional: {s}"),
        }
    }

    #[test]
    fn headers() {
        let c = conventional("feat(parser): handle x");
        assert_eq!(
            (c.kind.as_str(), c.scope.as_deref(), c.description.as_str(), c.breaking),
            ("feat", Some("parser"), "handle x", false)
        );
        let c = conventional("Fix!: drop y");
        assert_eq!((c.kind.as_str(), c.scope, c.breaking), ("fix", None, true));
        assert!(conventional("refactor(a)!: z").breaking);
        for other in ["Update README", "feat:no space", "feat(): empty scope", "fe at: x", "feat: ", "Merge branch 'x'"]
        {
            assert_eq!(Message::parse(other), Message::Other(other.trim().to_string()), "{other}");
        }
    }

    #[test]
    fn breaking_footers() {
        let c =
            conventional("feat: new config\n\nLonger body.\n\nBREAKING CHANGE: old keys are\nrejected now\nRefs: #12");
        assert!(c.breaking);
        assert_eq!(c.breaking_note.as_deref(), Some("old keys are rejected now"));
        let c = conventional("fix: x\n\nBREAKING-CHANGE: y");
        assert_eq!(c.breaking_note.as_deref(), Some("y"));
        assert!(!conventional("fix: x\n\nbreaking change: not a footer").breaking);
    }

    #[test]
    fn previous_tag_is_the_highest_below() {
        let v = |s: &str| Version::parse(s).unwrap();
        let tags = ["v0.1.0", "v0.2.0-rc.1", "v0.3.0", "other-1.0.0", "vnope", "v0.2.0"];
        let config = Config::default();
        let prev = select_previous(tags, &config, &v("0.3.0")).unwrap();
        assert_eq!(prev.tag, "v0.2.0");
        assert_eq!(select_previous(tags, &config, &v("0.2.0")).unwrap().tag, "v0.2.0-rc.1");
        assert_eq!(select_previous(tags, &config, &v("0.1.0")), None);
    }

    #[test]
    fn release_commit_templates() {
        assert!(matches_template("release: {tag}", "release: v1.2.3"));
        assert!(!matches_template("release: {tag}", "release: "));
        assert!(!matches_template("release: {tag}", "feat: release: v1"));
        assert!(matches_template("chore: release {version} ({tag})", "chore: release 1.0.0 (v1.0.0)"));
        assert!(!matches_template("chore: release {version} ({tag})", "chore: release 1.0.0"));
        assert!(matches_template("Release", "Release"));
    }
}
