//! Reading git state and making commits, tags and pushes, always through xshell.
//!
//! Git's own output never reaches the terminal as git wrote it: every command runs with
//! its stdout and stderr captured, and what git (or a hook it runs) said is passed
//! through [`redact`] before it is shown, in our error when the command fails and as
//! it came when a command that changes something succeeds. A remote URL with
//! credentials in it, or a hook that prints a token, must not get a secret printed.

use std::process::Output;

use crate::report::Reporter;
use anyhow::{Result, anyhow, bail};
use xshell::{Cmd, Shell, cmd};

use crate::ops::redact::redact;

/// What a failed git command's error ends with.
enum Fix<'a> {
    /// The action to take, as given.
    Say(&'a str),
    /// Find out: git missing, no repository, no commit, or else what git says.
    Diagnose,
}

/// Runs `cmd` to the end with its output captured. Fails only when git cannot be started.
fn output(cmd: Cmd<'_>) -> Result<Output> {
    cmd.quiet()
        .ignore_status()
        .output()
        .map_err(|err| anyhow!("cannot run git ({err}); install git, or put it on PATH, and run again"))
}

/// What git (and any hook it ran) printed, stderr then stdout, redacted.
fn words(out: &Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    redact(text.trim_end())
}

/// `cmd`'s stdout without its trailing newline when it succeeds; else an error that says
/// what we were `doing`, names the command, quotes git and ends with what to do.
fn checked(sh: &Shell, cmd: Cmd<'_>, doing: &str, fix: Fix<'_>) -> Result<String> {
    let shown = cmd.to_string();
    let out = output(cmd)?;
    if out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        return Ok(stdout.strip_suffix('\n').unwrap_or(&stdout).to_string());
    }
    let fix = match fix {
        Fix::Say(fix) => fix.to_string(),
        Fix::Diagnose => diagnose(sh),
    };
    Err(failure(doing, &shown, &out, &fix))
}

/// Like [`checked`], for a command that changes something: what git or its hooks print
/// when it succeeds is shown too, redacted (a hook's warnings are the user's to read).
/// Such commands run with `--quiet`, so what they print is the hooks'.
fn changing(cmd: Cmd<'_>, doing: &str, fix: &str, reporter: &dyn Reporter) -> Result<()> {
    let shown = cmd.to_string();
    let out = output(cmd)?;
    if !out.status.success() {
        return Err(failure(doing, &shown, &out, fix));
    }
    let said = words(&out);
    if said.is_empty() {
        // Nothing to show.
    } else if reporter.passes_tool_output() {
        eprintln!("{said}");
    } else {
        reporter.tool_output("git hooks", &said);
    }
    Ok(())
}

/// The error for a git command that failed: what we were doing, the command, its exit
/// code, git's words (redacted) and the fix last.
fn failure(doing: &str, shown: &str, out: &Output, fix: &str) -> anyhow::Error {
    let said = words(out);
    // Git explains a held index lock in general terms: say which file, and the command.
    let fix = match locked_index(&said) {
        Some(lock) => format!("{}; {}, then run again", index_lock_held(lock), index_lock_fix(lock)),
        None => fix.to_string(),
    };
    anyhow::Error::new(Failure {
        doing: doing.to_string(),
        command: redact(shown),
        code: super::exit_description(out.status),
        said,
        fix,
    })
}

/// The index lock git names when it failed because the file exists:
/// `fatal: Unable to create '/repo/.git/index.lock': File exists.`
fn locked_index(said: &str) -> Option<&str> {
    let (_, rest) = said.split_once("Unable to create '")?;
    let (path, _) = rest.split_once("': File exists")?;
    path.ends_with("index.lock").then_some(path)
}

/// What a leftover index lock at `lock` is, for the preflight check and for a git
/// command that failed on it.
pub fn index_lock_held(lock: &str) -> String {
    format!("{lock} exists: a git command is running, or one was killed and left it")
}

/// How to clear the index lock at `lock`.
pub fn index_lock_fix(lock: &str) -> String {
    format!("when no git command is running, remove it: `rm {lock}`")
}

/// A git command that failed, with git's words already redacted.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What we were doing, e.g. "cannot push tag v1.0.0 to remote `origin`".
    pub doing: String,
    /// The command line, e.g. `git push --quiet origin refs/tags/v1.0.0`.
    pub command: String,
    pub code: String,
    /// What git and its hooks printed, redacted; may be empty.
    pub said: String,
    /// What to do.
    pub fix: String,
}

impl Failure {
    /// The command and git's words on one line, for a check's detail.
    pub fn brief(&self) -> String {
        let said: Vec<&str> = self.said.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        match said.is_empty() {
            true => format!("`{}` failed ({})", self.command, self.code),
            false => format!("`{}` failed: {}", self.command, said.join(" ")),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Failure { doing, command, code, said, fix } = self;
        if said.is_empty() {
            return write!(f, "{doing}: `{command}` failed ({code}) and printed nothing; {fix}");
        }
        write!(f, "{doing}: `{command}` failed ({code}):")?;
        for line in said.lines() {
            write!(f, "\n  {line}")?;
        }
        write!(f, "\n{fix}")
    }
}

impl std::error::Error for Failure {}

/// Why a git command that should not fail did, as the thing to do: install git, run in a
/// repository, make a first commit, or else act on what git says.
fn diagnose(sh: &Shell) -> String {
    match why_not(sh) {
        Some(why) => why,
        None => ACT.into(),
    }
}

/// Git missing, no work tree or no commit, with what to do; `None` when it is none of these.
fn why_not(sh: &Shell) -> Option<String> {
    if let Err(err) = repository(sh) {
        return Some(err.to_string());
    }
    match output(cmd!(sh, "git rev-parse --verify --quiet HEAD")) {
        Ok(out) if !out.status.success() => Some("the repository has no commit yet; commit first".into()),
        _ => None,
    }
}

/// Reads what the git command `cmd` prints, for a fact git should be able to give; the
/// error quotes git (redacted), says what we were `doing` and what to do.
pub fn read(sh: &Shell, cmd: Cmd<'_>, doing: &str) -> Result<String> {
    checked(sh, cmd, doing, Fix::Diagnose)
}

/// Checks that git runs and that the current directory is in a work tree, with an error
/// that says which is wrong: git's own exit code alone says neither.
pub fn repository(sh: &Shell) -> Result<()> {
    let dir = sh.current_dir();
    let out = output(cmd!(sh, "git rev-parse --is-inside-work-tree"))?;
    if !out.status.success() || String::from_utf8_lossy(&out.stdout).trim() != "true" {
        bail!(
            "{} is not in a git work tree; run this from the repository's checkout (or create one with \
             `git init` and a first commit)",
            dir.display()
        );
    }
    Ok(())
}

/// Whether `cmd` succeeds: for questions git answers with its exit code.
fn succeeds(cmd: Cmd<'_>) -> Result<bool> {
    Ok(output(cmd)?.status.success())
}

/// `cmd`'s first line of output when it succeeds, `None` when it fails.
fn answer(cmd: Cmd<'_>) -> Result<Option<String>> {
    let out = output(cmd)?;
    Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// The checked-out branch, or `None` on a detached HEAD.
pub fn current_branch(sh: &Shell) -> Result<Option<String>> {
    answer(cmd!(sh, "git symbolic-ref --quiet --short HEAD"))
}

/// Whether `tag` exists in the local repository.
pub fn tag_exists(sh: &Shell, tag: &str) -> Result<bool> {
    let refname = format!("refs/tags/{tag}");
    succeeds(cmd!(sh, "git rev-parse --verify --quiet {refname}"))
}

/// Whether a remote of that name is configured.
pub fn has_remote(sh: &Shell, remote: &str) -> Result<bool> {
    let remotes = read(sh, cmd!(sh, "git remote"), "cannot list the remotes")?;
    Ok(remotes.lines().any(|r| r.trim() == remote))
}

/// The commit HEAD points at.
pub fn head(sh: &Shell) -> Result<String> {
    read(sh, cmd!(sh, "git rev-parse --verify HEAD"), "cannot read the commit HEAD points at")
}

/// The first line of HEAD's commit message.
pub fn head_subject(sh: &Shell) -> Result<String> {
    read(sh, cmd!(sh, "git log -1 --format=%s HEAD"), "cannot read HEAD's commit message")
}

/// Tracked files with changes and untracked files, as `git status --porcelain` lists them.
pub fn changed_files(sh: &Shell) -> Result<Vec<String>> {
    let status = read(sh, cmd!(sh, "git status --porcelain"), "cannot read the working tree's state")?;
    Ok(status.lines().map(str::to_string).collect())
}

/// Git's index lock file, when it exists: left by a git command that is running or
/// was killed.
pub fn index_lock(sh: &Shell) -> Result<Option<String>> {
    let path = read(sh, cmd!(sh, "git rev-parse --git-path index.lock"), "cannot find git's index lock file")?;
    let path = sh.current_dir().join(path);
    Ok(path.exists().then(|| path.display().to_string()))
}

/// The commit `tag` points at, or `None` when there is no such local tag.
pub fn tag_commit(sh: &Shell, tag: &str) -> Result<Option<String>> {
    let peeled = format!("refs/tags/{tag}^{{commit}}");
    answer(cmd!(sh, "git rev-parse --verify --quiet {peeled}"))
}

/// Whether the remote-tracking ref `refs/remotes/<tracking>` exists.
pub fn has_tracking(sh: &Shell, tracking: &str) -> Result<bool> {
    let refname = format!("refs/remotes/{tracking}");
    succeeds(cmd!(sh, "git rev-parse --verify --quiet {refname}"))
}

/// Whether `commit` is an ancestor of (or is) `refs/remotes/<tracking>`.
pub fn contained_in(sh: &Shell, commit: &str, tracking: &str) -> Result<bool> {
    let refname = format!("refs/remotes/{tracking}");
    let cmd = cmd!(sh, "git merge-base --is-ancestor {commit} {refname}");
    let shown = cmd.to_string();
    let out = output(cmd)?;
    match out.status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(failure(
            &format!("cannot tell whether {refname} contains {commit}"),
            &shown,
            &out,
            "fetch the remote (`git fetch`) and run again",
        )),
    }
}

/// The upstream of `branch` as `remote/branch`, or `None` when it has none.
pub fn upstream(sh: &Shell, branch: &str) -> Result<Option<String>> {
    let spec = format!("{branch}@{{upstream}}");
    answer(cmd!(sh, "git rev-parse --abbrev-ref --symbolic-full-name {spec}"))
}

/// What to do when git's message says what is wrong.
const ACT: &str = "act on git's message above, then run again";

/// What to do when talking to a remote failed.
const REMOTE_FIX: &str = "check the network, the remote's URL and your access to it (`git remote -v`), then run again";

/// Updates the remote-tracking branches of `remote`. Tags are not fetched, so that a tag
/// that exists only on the remote stays distinguishable from a local one.
pub fn fetch(sh: &Shell, remote: &str) -> Result<()> {
    let doing = format!("cannot fetch from remote `{remote}`");
    checked(sh, cmd!(sh, "git fetch --quiet --no-tags {remote}"), &doing, Fix::Say(REMOTE_FIX)).map(drop)
}

/// How far HEAD is ahead of and behind `upstream` (e.g. `origin/main`), or `None` when
/// that ref does not exist.
pub fn ahead_behind(sh: &Shell, upstream: &str) -> Result<Option<(u32, u32)>> {
    let refname = format!("refs/remotes/{upstream}");
    if !succeeds(cmd!(sh, "git rev-parse --verify --quiet {refname}"))? {
        return Ok(None);
    }
    let range = format!("HEAD...{refname}");
    let doing = format!("cannot count the commits between HEAD and {upstream}");
    let counts = read(sh, cmd!(sh, "git rev-list --left-right --count {range}"), &doing)?;
    let mut counts = counts.split_whitespace().map(str::parse::<u32>);
    match (counts.next(), counts.next()) {
        (Some(Ok(ahead)), Some(Ok(behind))) => Ok(Some((ahead, behind))),
        _ => bail!("cannot read how far HEAD is from {upstream}: unexpected `git rev-list` output"),
    }
}

/// A local tag: the object it names, the commit it points at, and its message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TagInfo {
    /// The tag object for an annotated tag, the commit for a lightweight one.
    pub object: String,
    pub commit: String,
    pub annotated: bool,
    /// The annotation, without trailing newlines; empty for a lightweight tag.
    pub message: String,
}

/// The local tag `tag`, or `None` when it does not exist.
pub fn tag_info(sh: &Shell, tag: &str) -> Result<Option<TagInfo>> {
    if !tag_exists(sh, tag)? {
        return Ok(None);
    }
    let refname = format!("refs/tags/{tag}");
    let peeled = format!("{refname}^{{commit}}");
    let doing = |what: &str| format!("cannot read {what} of tag {tag}");
    let object = read(sh, cmd!(sh, "git rev-parse {refname}"), &doing("the object"))?;
    let commit = read(sh, cmd!(sh, "git rev-parse {peeled}"), &doing("the commit"))?;
    let kind = read(sh, cmd!(sh, "git cat-file -t {refname}"), &doing("the type"))?;
    let message = read(sh, cmd!(sh, "git for-each-ref --format=%(contents) {refname}"), &doing("the message"))?;
    let annotated = kind == "tag";
    Ok(Some(TagInfo {
        object,
        commit,
        annotated,
        message: if annotated { message.trim_end().into() } else { String::new() },
    }))
}

/// The object `tag` names on `remote`, or `None` when the remote has no such tag.
pub fn remote_tag(sh: &Shell, remote: &str, tag: &str) -> Result<Option<String>> {
    let refname = format!("refs/tags/{tag}");
    let doing = format!("cannot list the tags of remote `{remote}`");
    let out = checked(sh, cmd!(sh, "git ls-remote --tags {remote} {refname}"), &doing, Fix::Say(REMOTE_FIX))?;
    Ok(out.lines().find_map(|line| line.split_whitespace().next()).map(str::to_string))
}

/// Runs `cmd`, a git command that talks to a remote, for at most `deadline`: its stdout
/// when it succeeded in time, `None` when it failed or was stopped (a remote that does
/// not answer, or asks for credentials, which nobody is there to type).
pub fn read_within(cmd: Cmd<'_>, deadline: std::time::Duration) -> Option<String> {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut command: std::process::Command = cmd.env("GIT_TERMINAL_PROMPT", "0").into();
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = command.spawn().ok()?;
    let mut stdout = child.stdout.take()?;
    // Read on the side, so a full pipe never stalls git; what a tag lookup prints is small.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stdout).take(1 << 20).read_to_string(&mut text);
        text
    });
    let end = std::time::Instant::now() + deadline;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return reader.join().ok(),
            Ok(Some(_)) => return None,
            Ok(None) if std::time::Instant::now() < end => std::thread::sleep(std::time::Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// The annotation of the tag object `object`, when this repository has it.
pub fn tag_object_message(sh: &Shell, object: &str) -> Option<String> {
    let text = cmd!(sh, "git cat-file tag {object}").quiet().ignore_stderr().read().ok()?;
    // The headers (object, type, tag, tagger) end at the first blank line.
    text.split_once("\n\n").map(|(_, message)| message.trim_end().to_string())
}

/// Commits `paths` (added first, so new files are included) with `message`.
pub fn commit(sh: &Shell, paths: &[&str], message: &str, reporter: &dyn Reporter) -> Result<()> {
    changing(cmd!(sh, "git add -- {paths...}"), "cannot stage the release edits", ACT, reporter)?;
    changing(
        cmd!(sh, "git commit --quiet -m {message} -- {paths...}"),
        &format!("cannot commit `{message}`"),
        "a pre-commit or commit-msg hook may refuse it: act on the message above, then run again",
        reporter,
    )
}

/// Undoes `git add` of `paths`, for rolling back a commit that failed.
pub fn unstage(sh: &Shell, paths: &[&str], reporter: &dyn Reporter) -> Result<()> {
    changing(
        cmd!(sh, "git reset --quiet -- {paths...}"),
        "cannot unstage the release edits",
        "unstage them with `git reset`",
        reporter,
    )
}

/// Creates the annotated tag `tag` at HEAD.
pub fn create_tag(sh: &Shell, tag: &str, message: &str, reporter: &dyn Reporter) -> Result<()> {
    changing(cmd!(sh, "git tag -a {tag} -m {message}"), &format!("cannot create tag {tag}"), ACT, reporter)
}

/// What to do when a push failed.
const PUSH_FIX: &str = "check the network, the remote's URL, your access to it (`git remote -v`) and what its hooks \
                        say, then run again";

/// Pushes the tag `tag`, and nothing else, to `remote`.
pub fn push_tag(sh: &Shell, remote: &str, tag: &str, reporter: &dyn Reporter) -> Result<()> {
    let refspec = format!("refs/tags/{tag}");
    changing(
        cmd!(sh, "git push --quiet {remote} {refspec}"),
        &format!("cannot push tag {tag} to remote `{remote}`"),
        PUSH_FIX,
        reporter,
    )
}

/// Pushes `branch` and the tag `tag` to `remote` in one atomic push: the remote gets
/// both or neither, so a release is never half-published.
pub fn push_atomic(sh: &Shell, remote: &str, branch: &str, tag: &str, reporter: &dyn Reporter) -> Result<()> {
    let branch_ref = format!("refs/heads/{branch}");
    let tag_ref = format!("refs/tags/{tag}");
    changing(
        cmd!(sh, "git push --quiet --atomic {remote} {branch_ref} {tag_ref}"),
        &format!("cannot push branch {branch} and tag {tag} to remote `{remote}`"),
        PUSH_FIX,
        reporter,
    )
}

/// Creates the annotated tag `tag` at `commit`, for putting back a tag a rollback deleted.
pub fn create_tag_at(sh: &Shell, tag: &str, commit: &str, message: &str, reporter: &dyn Reporter) -> Result<()> {
    changing(
        cmd!(sh, "git tag -a {tag} {commit} -m {message}"),
        &format!("cannot create tag {tag} at {commit}"),
        "fetch the commit if this clone lacks it (`git fetch`), then run again",
        reporter,
    )
}

/// Deletes the local tag `tag`.
pub fn delete_tag(sh: &Shell, tag: &str) -> Result<()> {
    // Its "Deleted tag" line is not news: the caller reports the deletion.
    let doing = format!("cannot delete the local tag {tag}");
    checked(sh, cmd!(sh, "git tag --delete {tag}"), &doing, Fix::Say(ACT)).map(drop)
}

/// Deletes the tag `tag` on `remote`, and nothing else.
pub fn delete_remote_tag(sh: &Shell, remote: &str, tag: &str, reporter: &dyn Reporter) -> Result<()> {
    let refspec = format!(":refs/tags/{tag}");
    changing(
        cmd!(sh, "git push --quiet {remote} {refspec}"),
        &format!("cannot delete tag {tag} on remote `{remote}`"),
        PUSH_FIX,
        reporter,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_fails_on_a_left_index_lock_says_what_it_is_and_how_to_clear_it() {
        let dir = tempfile::tempdir().unwrap();
        let sh = Shell::new().unwrap();
        sh.change_dir(dir.path());
        cmd!(sh, "git init --quiet").run().unwrap();
        std::fs::write(dir.path().join("file"), "text").unwrap();
        let lock = dir.path().join(".git/index.lock");
        std::fs::write(&lock, "").unwrap();
        let err = commit(&sh, &["file"], "message", &crate::report::Silent).unwrap_err().to_string();
        let lock = lock.display();
        assert!(err.contains(&format!("{lock} exists: a git command is running, or one was killed")), "{err}");
        assert!(err.ends_with(&format!("remove it: `rm {lock}`, then run again")), "{err}");
    }

    #[test]
    fn only_gits_index_lock_message_names_a_lock() {
        let said = "fatal: Unable to create '/w/.git/index.lock': File exists.\n\nAnother git process...";
        assert_eq!(locked_index(said), Some("/w/.git/index.lock"));
        assert_eq!(locked_index("fatal: Unable to create '/w/.git/refs/tags/v1.lock': File exists."), None);
        assert_eq!(locked_index("error: pathspec 'x' did not match"), None);
    }
}
