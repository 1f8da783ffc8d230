//! Which GitHub repository to release to: `GITHUB_REPOSITORY` in Actions, else the one
//! the release remote's URL points at (https and ssh forms, any host for Enterprise).

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

/// `GITHUB_REPOSITORY` when set, else parsed from the URL of `remote`.
pub fn slug(sh: &Shell, remote: &str) -> Result<String> {
    let repository = std::env::var("GITHUB_REPOSITORY").unwrap_or_default();
    if !repository.trim().is_empty() {
        return match parse_slug(repository.trim()) {
            Some(slug) => Ok(slug),
            None => bail!("GITHUB_REPOSITORY is `{repository}`, not `owner/name`; fix or unset it"),
        };
    }
    let url = cmd!(sh, "git remote get-url {remote}").quiet().ignore_stderr().read().with_context(|| {
        format!("no remote `{remote}` to find the GitHub repository from; set GITHUB_REPOSITORY=owner/name")
    })?;
    match slug_from_url(url.trim()) {
        Some(slug) => Ok(slug),
        None => bail!(
            "cannot tell the GitHub repository from the URL of remote `{remote}` ({}); \
             set GITHUB_REPOSITORY=owner/name",
            without_userinfo(url.trim())
        ),
    }
}

/// `owner/name` from `https://host/owner/name(.git)`, `ssh://git@host(:port)/owner/name`
/// or scp-like `git@host:owner/name.git`.
pub fn slug_from_url(url: &str) -> Option<String> {
    let path = match url.split_once("://") {
        Some(("https" | "http" | "ssh" | "git", rest)) => rest.split_once('/')?.1,
        Some(_) => return None,
        // scp-like syntax has a colon before any slash; a local path has neither form.
        None => {
            let (host, path) = url.split_once(':')?;
            if host.contains('/') {
                return None;
            }
            path
        }
    };
    parse_slug(path.trim_end_matches('/').trim_end_matches(".git"))
}

/// The URL without `user:password@`, which may hold a token and is never printed.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((authority, path)) => {
                let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
                format!("{scheme}://{host}/{path}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// `owner/name` with both parts non-empty and nothing else.
fn parse_slug(path: &str) -> Option<String> {
    let (owner, name) = path.trim_start_matches('/').split_once('/')?;
    // GitHub's rules: an owner is letters, digits and inner hyphens; a repository also
    // has `_` and `.`, but is not `.` or `..` (which would climb the API's URL).
    let owner_ok = !owner.is_empty()
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-')
        && !owner.ends_with('-');
    let name_ok =
        !matches!(name, "" | "." | "..") && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (owner_ok && name_ok).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::slug_from_url;

    #[test]
    fn remote_url_forms() {
        for url in [
            "https://github.com/o-1/r.rs.git",
            "https://github.com/o-1/r.rs",
            "https://token@github.example.com/o-1/r.rs/",
            "ssh://git@github.com/o-1/r.rs.git",
            "ssh://git@github.com:22/o-1/r.rs",
            "git@github.com:o-1/r.rs.git",
        ] {
            assert_eq!(slug_from_url(url).as_deref(), Some("o-1/r.rs"), "{url}");
        }
        assert_eq!(super::without_userinfo("https://x:secret@h.example/o/r"), "https://h.example/o/r");
        for url in ["/tmp/origin.git", "file:///tmp/origin.git", "https://github.com/only-owner", "git@host:a/b/c"] {
            assert_eq!(slug_from_url(url), None, "{url}");
        }
    }
}
