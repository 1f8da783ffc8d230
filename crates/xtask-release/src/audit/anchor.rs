//! The trail's head kept where the operator does not control it locally: the line
//! `audit-head: N sha256:HEX` that ends the release tag's annotation and the GitHub
//! release's notes, and the check of a trail against it. A trail rewritten together with
//! its `.head` file verifies on its own; it no longer matches what was published.

use anyhow::{Result, bail};
use cargo_metadata::camino::Utf8Path;
use xshell::{Shell, cmd};

use super::trail::{self, Entry};
use crate::ops::git;

/// What starts the line.
const KEY: &str = "audit-head:";

/// The trail's last entry when a tag or release was made: its number and its line's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: u64,
    /// The sha256 of the entry's line, hex.
    pub hash: String,
}

impl Anchor {
    /// The head of the log at `path` now; `None` when it has no entry (there is nothing to
    /// anchor) or cannot be read (recording the step will say why).
    pub fn of_log(path: &Utf8Path) -> Option<Anchor> {
        match trail::head(path) {
            Ok((seq, hash)) if seq > 0 => Some(Anchor { seq, hash }),
            _ => None,
        }
    }

    /// `audit-head: 17 sha256:<hex>`.
    pub fn line(&self) -> String {
        format!("{KEY} {} sha256:{}", self.seq, self.hash)
    }

    /// The last anchor line in `text` (a tag's annotation, a release's notes).
    pub fn find(text: &str) -> Option<Anchor> {
        text.lines().rev().find_map(|line| {
            let mut words = line.trim().strip_prefix(KEY)?.split_whitespace();
            let seq = words.next()?.parse().ok()?;
            let hash = words.next()?.strip_prefix("sha256:")?;
            let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
            (hex && words.next().is_none()).then(|| Anchor { seq, hash: hash.to_ascii_lowercase() })
        })
    }
}

/// `text` ending with `trailer` after a blank line, or `text` as it is without one.
pub fn append(text: &str, trailer: Option<&str>) -> String {
    match trailer {
        Some(line) => format!("{}\n\n{line}", text.trim_end()),
        None => text.to_string(),
    }
}

/// `text` without its anchor line and the blank line before it: a tag's annotation as it
/// was planned, so that a re-run recognises the tag an earlier run made.
pub fn strip(text: &str) -> &str {
    match text.trim_end().rsplit_once('\n') {
        Some((before, last)) if Anchor::find(last).is_some() => before.trim_end(),
        None if Anchor::find(text).is_some() => "",
        _ => text,
    }
}

/// Checks that entry `anchor.seq` of the trail's `lines` (verified, so numbered from 1 in
/// order) is the line `source` recorded. The error names the source and says what differs.
pub fn check(log: &Utf8Path, lines: &[(String, Entry)], anchor: &Anchor, source: &str) -> Result<String> {
    let (seq, recorded) = (anchor.seq, &anchor.hash);
    let what = format!("the audit log {log} does not match `{}` in {source}", anchor.line());
    match seq.checked_sub(1).and_then(|i| lines.get(i as usize)) {
        _ if seq == 0 => {}
        None => bail!(
            "{what}: the log ends at entry {}, so entries were removed from it; it can no longer be trusted as a record",
            lines.len()
        ),
        Some((line, _)) if trail::line_hash(line) != *recorded => bail!(
            "{what}: entry {seq} hashes to sha256:{} here. The log was rewritten up to that entry (or {source} was \
             made from another trail); it can no longer be trusted as a record",
            trail::line_hash(line)
        ),
        Some(_) => {}
    }
    Ok(format!("entry {seq} is what {source} recorded"))
}

/// How long a look at the remote may take: one that does not answer must not hang
/// `audit --verify`, which then compares with the local tag only.
pub const REMOTE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Checks the trail against the annotation of each tag it records making (a `tag` or
/// `release` line with the tag's object): the local tag's, and `remote`'s when it answers
/// within [`REMOTE_DEADLINE`]. Returns what matched, and each source not compared with why.
pub fn check_tags(
    sh: &Shell,
    remote: &str,
    log: &Utf8Path,
    lines: &[(String, Entry)],
) -> Result<(Vec<String>, Vec<String>)> {
    let mut tags: Vec<&str> = Vec::new();
    for (_, entry) in lines {
        if let (Some(tag), true) = (entry.produced.get("tag"), entry.produced.contains_key("tag_object"))
            && !tags.contains(&tag.as_str())
        {
            tags.push(tag);
        }
    }
    let (mut said, mut skipped) = (Vec::new(), Vec::new());
    let mut silent = false;
    for tag in tags {
        let local = git::tag_info(sh, tag).ok().flatten().filter(|t| t.annotated);
        if let Some(anchor) = local.as_ref().and_then(|t| Anchor::find(&t.message)) {
            said.push(check(log, lines, &anchor, &format!("the annotation of tag {tag}"))?);
        }
        if silent {
            continue; // The remote did not answer for an earlier tag: one wait is enough.
        }
        let refname = format!("refs/tags/{tag}");
        let listed = git::read_within(cmd!(sh, "git ls-remote --tags {remote} {refname}"), REMOTE_DEADLINE);
        let Some(listed) = listed else {
            silent = true;
            let secs = REMOTE_DEADLINE.as_secs();
            skipped.push(format!(
                "the tags on {remote} were not compared: `git ls-remote {remote}` failed or took more than {secs}s"
            ));
            continue;
        };
        let Some(object) = listed.split_whitespace().next().map(str::to_string) else { continue };
        if local.as_ref().is_some_and(|t| t.object == object) {
            continue; // The same tag object: the same annotation, compared above.
        }
        let have = |sh: &Shell| cmd!(sh, "git cat-file -e {object}").quiet().ignore_stderr().run().is_ok();
        if !have(sh) {
            let _ = git::read_within(
                cmd!(sh, "git fetch --quiet --no-tags --no-write-fetch-head {remote} {refname}"),
                REMOTE_DEADLINE,
            );
        }
        let Some(message) = git::tag_object_message(sh, &object) else {
            skipped.push(format!("tag {tag} on {remote} was not compared: its annotation could not be fetched"));
            continue;
        };
        if let Some(anchor) = Anchor::find(&message) {
            said.push(check(log, lines, &anchor, &format!("the annotation of tag {tag} on {remote}"))?);
        }
    }
    Ok((said, skipped))
}

/// Checks the trail at `log` against the release notes `body` of `release` (`owner/name
/// tag`), when the trail records making it (a `github-release` line) and the notes carry
/// an anchor; `None` when there is nothing to compare.
pub fn check_release(log: &Utf8Path, release: &str, body: &str) -> Option<Result<String>> {
    let anchor = Anchor::find(body)?;
    let lines = trail::read(log).ok()?;
    let made = |e: &Entry| e.step == "github-release" && e.produced.get("release").map(String::as_str) == Some(release);
    if !lines.iter().any(|(_, e)| made(e)) {
        return None;
    }
    Some(check(log, &lines, &anchor, &format!("the notes of the GitHub release {release}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_found_appended_and_stripped() {
        let anchor = Anchor { seq: 17, hash: "ab".repeat(32) };
        let line = anchor.line();
        assert_eq!(line, format!("audit-head: 17 sha256:{}", "ab".repeat(32)));
        let message = append("Release v0.2.0\n", Some(&line));
        assert_eq!(message, format!("Release v0.2.0\n\n{line}"));
        assert_eq!(Anchor::find(&message), Some(anchor.clone()));
        assert_eq!(strip(&message), "Release v0.2.0");
        assert_eq!(strip("Release v0.2.0"), "Release v0.2.0");
        assert_eq!(strip(&line), "");
        assert_eq!(append("notes", None), "notes");
        assert_eq!(Anchor::find("audit-head: 17 sha256:abc"), None);
        assert_eq!(Anchor::find(&format!("YANKED\n\n{message}\n")), Some(anchor));
    }
}
