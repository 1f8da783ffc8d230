//! Whether a name can be a git tag: `git check-ref-format`'s rules for `refs/tags/<name>`,
//! in Rust so that a config is checked when it is loaded, without a repository, plus no
//! leading `-` (git would take the name for an option). A tag git refuses must be found
//! before the release commit, not at `git tag` after it.

/// `Ok` for a valid tag name, else what is wrong with it.
pub fn check_tag(name: &str) -> Result<(), String> {
    let why = if name.is_empty() {
        "it is empty"
    } else if name.starts_with('-') {
        "it starts with `-`, which git would take for an option"
    } else if name.contains("..") {
        "it contains `..`"
    } else if name.contains("@{") {
        "it contains `@{`"
    } else if name.chars().any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c)) {
        "it contains a space, a control character or one of ~ ^ : ? * [ \\"
    } else if name.ends_with('/') || name.starts_with('/') || name.contains("//") {
        "it has an empty path component (a leading, trailing or double `/`)"
    } else if name.ends_with('.') {
        "it ends with `.`"
    } else if name.split('/').any(|part| part.starts_with('.') || part.ends_with(".lock")) {
        "a `/`-separated part of it starts with `.` or ends with `.lock`"
    } else {
        return Ok(());
    };
    Err(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_check_ref_format_rules() {
        let valid = ["v1.2.3", "1.2.3", "release/1.2.3", "v1.0.0-rc.1+build.5", "foo@bar", "a.b/c-1"];
        for name in valid {
            assert_eq!(check_tag(name), Ok(()), "{name}");
        }
        #[rustfmt::skip]
        let invalid = [
            ("", "empty"), ("-v1", "`-`"), ("--force 1.0.0", "`-`"), ("v..1.2.3", "`..`"),
            ("v@{1}", "`@{`"), ("v 1", "space"), ("v~1", "~"), ("v^1", "~"), ("v:1", "~"), ("v?1", "~"),
            ("v*1", "~"), ("v[1", "~"), ("v\\1", "~"), ("v\t1", "control"), ("v/", "empty path"),
            ("/v1", "empty path"), ("a//b", "empty path"), ("v1.", "ends with `.`"), ("a/.b", "starts with `.`"),
            (".v1", "starts with `.`"), ("v1.lock", "`.lock`"), ("x.lock/v1", "`.lock`"),
        ];
        for (name, why) in invalid {
            let err = check_tag(name).expect_err(name);
            assert!(err.contains(why), "{name:?}: {err}");
        }
    }

    /// The rules agree with git itself.
    #[test]
    fn agrees_with_git() {
        let names = ["v1.2.3", "v..1", "-x", "a/.b", "v1.lock", "a//b", "v@{1}", "x y", "v1.0.0+b", "@", "a.", "ok/x"];
        for name in names {
            let git = std::process::Command::new("git")
                .args(["check-ref-format", &format!("refs/tags/{name}")])
                .output()
                .expect("git runs");
            // git accepts `-x` as a ref; we refuse it on purpose (it reads as an option).
            let ours = check_tag(name).is_ok() || name.starts_with('-');
            assert_eq!(ours, git.status.success(), "{name:?}");
        }
    }
}
