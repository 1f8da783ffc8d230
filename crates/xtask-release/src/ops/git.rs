//! Reading git state and making commits, tags and pushes, always through xshell.

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

/// Checks that git runs and that the current directory is in a work tree, with an error
/// that says which is wrong: git's own exit code alone says neither.
pub fn repository(sh: &Shell) -> Result<()> {
    let dir = sh.current_dir();
    let out = match cmd!(sh, "git rev-parse --is-inside-work-tree").quiet().ignore_status().ignore_stderr().output() {
        Ok(out) => out,
        Err(err) => bail!("cannot run git ({err}); install git, or put it on PATH, and run again"),
    };
    if !out.status.success() || String::from_utf8_lossy(&out.stdout).trim() != "true" {
        bail!(
            "{} is not in a git work tree; run this from the repository's checkout (or create one with \
             `git init` and a first commit)",
            dir.display()
        );
    }
    Ok(())
}

/// Why a git command that should not fail did: git missing, no repository, or no commit.
pub fn why(sh: &Shell) -> String {
    if let Err(err) = repository(sh) {
        return err.to_string();
    }
    match cmd!(sh, "git rev-parse --verify --quiet HEAD").quiet().ignore_status().output() {
        Ok(out) if !out.status.success() => "the repository has no commit yet; commit first".into(),
        _ => "see git's message above".into(),
    }
}

/// The checked-out branch, or `None` on a detached HEAD.
pub fn current_branch(sh: &Shell) -> Result<Option<String>> {
    let out = cmd!(sh, "git symbolic-ref --quiet --short HEAD").quiet().ignore_status().output()?;
    Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// Whether `tag` exists in the local repository.
pub fn tag_exists(sh: &Shell, tag: &str) -> Result<bool> {
    let refname = format!("refs/tags/{tag}");
    let out = cmd!(sh, "git rev-parse --verify --quiet {refname}").quiet().ignore_status().output()?;
    Ok(out.status.success())
}

/// Whether a remote of that name is configured.
pub fn has_remote(sh: &Shell, remote: &str) -> Result<bool> {
    let remotes = cmd!(sh, "git remote").quiet().read().with_context(|| format!("git remote failed: {}", why(sh)))?;
    Ok(remotes.lines().any(|r| r.trim() == remote))
}

/// The commit HEAD points at.
pub fn head(sh: &Shell) -> Result<String> {
    cmd!(sh, "git rev-parse --verify HEAD")
        .quiet()
        .read()
        .with_context(|| format!("git rev-parse HEAD failed: {}", why(sh)))
}

/// The first line of HEAD's commit message.
pub fn head_subject(sh: &Shell) -> Result<String> {
    cmd!(sh, "git log -1 --format=%s HEAD").quiet().read().with_context(|| format!("git log failed: {}", why(sh)))
}

/// Tracked files with changes and untracked files, as `git status --porcelain` lists them.
pub fn changed_files(sh: &Shell) -> Result<Vec<String>> {
    let status =
        cmd!(sh, "git status --porcelain").quiet().read().with_context(|| format!("git status failed: {}", why(sh)))?;
    Ok(status.lines().map(str::to_string).collect())
}

/// Git's index lock file, when it exists: left by a git command that is running or
/// was killed.
pub fn index_lock(sh: &Shell) -> Result<Option<String>> {
    let path = cmd!(sh, "git rev-parse --git-path index.lock").quiet().read().context("git rev-parse failed")?;
    let path = sh.current_dir().join(path);
    Ok(path.exists().then(|| path.display().to_string()))
}

/// The commit `tag` points at, or `None` when there is no such local tag.
pub fn tag_commit(sh: &Shell, tag: &str) -> Result<Option<String>> {
    let peeled = format!("refs/tags/{tag}^{{commit}}");
    let out = cmd!(sh, "git rev-parse --verify --quiet {peeled}").quiet().ignore_status().output()?;
    Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// Whether the remote-tracking ref `refs/remotes/<tracking>` exists.
pub fn has_tracking(sh: &Shell, tracking: &str) -> Result<bool> {
    let refname = format!("refs/remotes/{tracking}");
    Ok(cmd!(sh, "git rev-parse --verify --quiet {refname}").quiet().ignore_status().output()?.status.success())
}

/// Whether `commit` is an ancestor of (or is) `refs/remotes/<tracking>`.
pub fn contained_in(sh: &Shell, commit: &str, tracking: &str) -> Result<bool> {
    let refname = format!("refs/remotes/{tracking}");
    let out = cmd!(sh, "git merge-base --is-ancestor {commit} {refname}").quiet().ignore_status().output()?;
    match out.status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => anyhow::bail!(
            "git merge-base failed on {commit} and {refname}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

/// The upstream of `branch` as `remote/branch`, or `None` when it has none.
pub fn upstream(sh: &Shell, branch: &str) -> Result<Option<String>> {
    let spec = format!("{branch}@{{upstream}}");
    let out = cmd!(sh, "git rev-parse --abbrev-ref --symbolic-full-name {spec}").quiet().ignore_status().output()?;
    Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// Updates the remote-tracking branches of `remote`. Tags are not fetched, so that a tag
/// that exists only on the remote stays distinguishable from a local one.
pub fn fetch(sh: &Shell, remote: &str) -> Result<()> {
    cmd!(sh, "git fetch --quiet --no-tags {remote}")
        .quiet()
        .run()
        .with_context(|| format!("cannot fetch from remote `{remote}`; check the network and `git remote -v`"))
}

/// How far HEAD is ahead of and behind `upstream` (e.g. `origin/main`), or `None` when
/// that ref does not exist.
pub fn ahead_behind(sh: &Shell, upstream: &str) -> Result<Option<(u32, u32)>> {
    let refname = format!("refs/remotes/{upstream}");
    if !cmd!(sh, "git rev-parse --verify --quiet {refname}").quiet().ignore_status().output()?.status.success() {
        return Ok(None);
    }
    let range = format!("HEAD...{refname}");
    let counts = cmd!(sh, "git rev-list --left-right --count {range}").quiet().read()?;
    let mut counts = counts.split_whitespace().map(str::parse::<u32>);
    match (counts.next(), counts.next()) {
        (Some(Ok(ahead)), Some(Ok(behind))) => Ok(Some((ahead, behind))),
        _ => anyhow::bail!("cannot read how far HEAD is from {upstream}: unexpected `git rev-list` output"),
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
    let read =
        |what: &str, out: xshell::Result<String>| out.with_context(|| format!("cannot read {what} of tag {tag}"));
    let object = read("the object", cmd!(sh, "git rev-parse {refname}").quiet().read())?;
    let commit = read("the commit", cmd!(sh, "git rev-parse {peeled}").quiet().read())?;
    let kind = read("the type", cmd!(sh, "git cat-file -t {refname}").quiet().read())?;
    let message = read("the message", cmd!(sh, "git for-each-ref --format=%(contents) {refname}").quiet().read())?;
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
    let out = cmd!(sh, "git ls-remote --tags {remote} {refname}")
        .quiet()
        .read()
        .with_context(|| format!("cannot list the tags of remote `{remote}`; check the network and `git remote -v`"))?;
    Ok(out.lines().find_map(|line| line.split_whitespace().next()).map(str::to_string))
}

/// Commits `paths` (added first, so new files are included) with `message`.
pub fn commit(sh: &Shell, paths: &[&str], message: &str) -> Result<()> {
    cmd!(sh, "git add -- {paths...}").quiet().run().context("git add failed on the release edits")?;
    cmd!(sh, "git commit --quiet -m {message} -- {paths...}").quiet().run().with_context(|| {
        format!(
            "git commit `{message}` failed; see git's message above (a pre-commit or commit-msg hook may refuse it)"
        )
    })
}

/// Undoes `git add` of `paths`, for rolling back a commit that failed.
pub fn unstage(sh: &Shell, paths: &[&str]) -> Result<()> {
    cmd!(sh, "git reset --quiet -- {paths...}").quiet().run().context("git reset failed")
}

/// Creates the annotated tag `tag` at HEAD.
pub fn create_tag(sh: &Shell, tag: &str, message: &str) -> Result<()> {
    cmd!(sh, "git tag -a {tag} -m {message}")
        .quiet()
        .run()
        .with_context(|| format!("cannot create tag {tag}; see git's message above"))
}

/// Pushes the tag `tag`, and nothing else, to `remote`.
pub fn push_tag(sh: &Shell, remote: &str, tag: &str) -> Result<()> {
    let refspec = format!("refs/tags/{tag}");
    cmd!(sh, "git push --quiet {remote} {refspec}")
        .quiet()
        .run()
        .with_context(|| format!("cannot push tag {tag} to remote `{remote}`; see git's message above"))
}

/// Pushes `branch` and the tag `tag` to `remote` in one atomic push: the remote gets
/// both or neither, so a release is never half-published.
pub fn push_atomic(sh: &Shell, remote: &str, branch: &str, tag: &str) -> Result<()> {
    let branch_ref = format!("refs/heads/{branch}");
    let tag_ref = format!("refs/tags/{tag}");
    cmd!(sh, "git push --quiet --atomic {remote} {branch_ref} {tag_ref}").quiet().run().with_context(|| {
        format!("cannot push branch {branch} and tag {tag} to remote `{remote}`; see git's message above")
    })
}

/// Creates the annotated tag `tag` at `commit`, for putting back a tag a rollback deleted.
pub fn create_tag_at(sh: &Shell, tag: &str, commit: &str, message: &str) -> Result<()> {
    cmd!(sh, "git tag -a {tag} {commit} -m {message}")
        .quiet()
        .run()
        .with_context(|| format!("cannot create tag {tag} at {commit}; is the commit in this clone? (git fetch)"))
}

/// Deletes the local tag `tag`.
pub fn delete_tag(sh: &Shell, tag: &str) -> Result<()> {
    cmd!(sh, "git tag --delete {tag}")
        .quiet()
        .ignore_stdout()
        .run()
        .with_context(|| format!("cannot delete the local tag {tag}; see git's message above"))
}

/// Deletes the tag `tag` on `remote`, and nothing else.
pub fn delete_remote_tag(sh: &Shell, remote: &str, tag: &str) -> Result<()> {
    let refspec = format!(":refs/tags/{tag}");
    cmd!(sh, "git push --quiet {remote} {refspec}")
        .quiet()
        .run()
        .with_context(|| format!("cannot delete tag {tag} on remote `{remote}`; see git's message above"))
}
