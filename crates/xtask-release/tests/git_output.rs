//! Git's own words reach the user only through the redactor, inside our error: a push
//! URL that carries a credential and fails, and hooks that print a URL with a password
//! or a registered token, never get the secret shown, with or without `--format json`.

mod support;

use support::{Fixture, Run, fixture};

/// In the push URL only: nobody registered it, the redactor must find it in the URL.
const URL_CANARY: &str = "urlCANARY7f3e9d1c";
/// The value of `GITHUB_TOKEN`, registered with the redactor when the CLI starts.
const TOKEN_CANARY: &str = "ghs_tokenCANARY4b8a2e";

#[track_caller]
fn assert_no_canary(run: &Run) {
    for canary in [URL_CANARY, TOKEN_CANARY] {
        assert!(!run.stdout.contains(canary) && !run.stderr.contains(canary), "{canary} leaked\n{run}");
    }
}

/// A loopback port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Fetches still come from the bare origin; pushes go to a URL with a password that
/// nothing answers.
fn push_to_closed_port_with_a_password(fixture: &Fixture) {
    let url = format!("http://release-bot:{URL_CANARY}@127.0.0.1:{}/acme/widget.git", closed_port());
    fixture.git(&["config", "remote.origin.pushurl", &url]);
}

#[cfg(unix)]
fn pre_push_hook(fixture: &Fixture, exit: u8) {
    use std::os::unix::fs::PermissionsExt;
    let hook = fixture.path(".git/hooks/pre-push");
    let script = format!(
        "#!/bin/sh\necho \"pre-push: mirroring to https://x-access-token:{URL_CANARY}@mirror.invalid/acme.git\"\n\
         echo \"pre-push: token $GITHUB_TOKEN\"\necho 'pre-push: the hook has spoken' >&2\nexit {exit}\n"
    );
    std::fs::write(&hook, script).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn run_with_token(fixture: &Fixture, args: &[&str]) -> Run {
    let mut cmd = fixture.command(args);
    cmd.env("GITHUB_TOKEN", TOKEN_CANARY);
    support::run(cmd)
}

fn with_format(args: &[&'static str], json: bool) -> Vec<&'static str> {
    let mut args = args.to_vec();
    if json {
        args.extend(["--format", "json"]);
    }
    args
}

#[test]
fn a_failed_tag_push_shows_gits_reason_but_not_the_password_in_the_url() {
    for json in [false, true] {
        let fixture = fixture("single-crate");
        push_to_closed_port_with_a_password(&fixture);
        let run = run_with_token(&fixture, &with_format(&["tag", "--execute", "--push"], json)).fails(1);
        assert!(run.stderr.contains("cannot push tag v0.1.0 to remote `origin`"), "json={json}\n{run}");
        assert!(run.stderr.contains("`git push --quiet origin refs/tags/v0.1.0` failed (exit code 128)"), "{run}");
        assert!(run.stderr.contains("Failed to connect to 127.0.0.1"), "git's reason is not shown\n{run}");
        assert!(run.stderr.contains("then run again"), "{run}");
        assert!(!run.stderr.contains("see git's message above"), "{run}");
        assert_no_canary(&run);
        assert!(!fixture.origin_refs().contains("refs/tags/"), "{}", fixture.origin_refs());
    }
}

#[test]
fn a_failed_release_push_shows_gits_reason_but_not_the_password_in_the_url() {
    for json in [false, true] {
        let fixture = fixture("single-crate");
        push_to_closed_port_with_a_password(&fixture);
        let args = with_format(&["release", "minor", "--execute", "--yes", "--no-verify"], json);
        let run = run_with_token(&fixture, &args).fails(1);
        assert!(run.stderr.contains("release stopped at step 7 (push)"), "json={json}\n{run}");
        assert!(run.stderr.contains("cannot push branch main and tag v0.2.0 to remote `origin`"), "{run}");
        assert!(run.stderr.contains("Failed to connect to 127.0.0.1"), "git's reason is not shown\n{run}");
        assert_no_canary(&run);
        if json {
            let _: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
        }
    }
}

/// A hook's words are git's output too: shown, redacted, when the push goes ahead, and
/// quoted, redacted, in the error when the hook refuses it.
#[test]
#[cfg(unix)]
fn what_a_pre_push_hook_prints_is_redacted() {
    for json in [false, true] {
        let fixture = fixture("single-crate");
        pre_push_hook(&fixture, 0);
        let run = run_with_token(&fixture, &with_format(&["tag", "--execute", "--push"], json)).ok();
        assert!(run.stderr.contains("pre-push: the hook has spoken"), "the hook's words are lost\n{run}");
        assert!(run.stderr.contains("pre-push: token ***"), "{run}");
        assert!(run.stderr.contains("https://x-access-token:***@mirror.invalid/acme.git"), "{run}");
        assert_no_canary(&run);
        assert!(fixture.origin_refs().contains("refs/tags/v0.1.0"), "{}", fixture.origin_refs());

        let fixture = support::fixture("single-crate");
        pre_push_hook(&fixture, 1);
        let args = with_format(&["release", "minor", "--execute", "--yes", "--no-verify"], json);
        let run = run_with_token(&fixture, &args).fails(1);
        assert!(run.stderr.contains("release stopped at step 7 (push)"), "{run}");
        assert!(run.stderr.contains("pre-push: the hook has spoken"), "git's reason is not shown\n{run}");
        assert!(run.stderr.contains("pre-push: token ***"), "{run}");
        assert_no_canary(&run);
    }
}

/// A pre-commit hook that refuses: its words are in the error, redacted, and the
/// commit's fix names the hooks.
#[test]
#[cfg(unix)]
fn what_a_refusing_pre_commit_hook_prints_is_in_the_error_redacted() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = fixture("single-crate");
    let hook = fixture.path(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho \"pre-commit: refused for $GITHUB_TOKEN\"\nexit 1\n").unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = run_with_token(&fixture, &["release", "minor", "--execute", "--yes", "--no-verify"]).fails(1);
    assert!(run.stderr.contains("release stopped at step 5 (commit)"), "{run}");
    assert!(run.stderr.contains("cannot commit `release: v0.2.0`"), "{run}");
    assert!(run.stderr.contains("pre-commit: refused for ***"), "{run}");
    assert!(run.stderr.contains("a pre-commit or commit-msg hook may refuse it"), "{run}");
    assert_no_canary(&run);
}

/// The remote itself (fetch URL) has the password and answers nothing: preflight's
/// remote checks fail with git's reason on one line, in the text plan and in the JSON.
#[test]
fn an_unreachable_remote_with_a_password_is_named_by_git_in_preflight() {
    for json in [false, true] {
        let fixture = fixture("single-crate");
        let url = format!("https://ci:{URL_CANARY}@127.0.0.1:{}/acme/widget.git", closed_port());
        fixture.git(&["remote", "set-url", "origin", &url]);
        let run = run_with_token(&fixture, &with_format(&["tag", "--execute", "--push"], json)).fails(1);
        let detail = "cannot reach remote origin: `git fetch --quiet --no-tags origin` failed: fatal: unable to access";
        assert!(run.stdout.contains(detail), "json={json}\n{run}");
        assert!(run.stderr.contains("preflight failed"), "{run}");
        assert_no_canary(&run);
        assert_eq!(fixture.tags(), "", "a tag was made after preflight failed");
    }
}
