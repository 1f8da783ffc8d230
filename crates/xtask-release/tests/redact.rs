//! No token shows, whatever a server answers: every command that talks HTTP is pointed at
//! a server that echoes the request's headers (with the token) in its 401/403/404/500
//! body, as JSON and as plain text, with and without `--format json`.

mod support;

use support::Run;
use support::echo::{Body, Echo};

/// Made up to be noticed; its middle part is checked too, so a token cut short shows.
const CANARY: &str = "canaryTOKEN0123456789abcdefXYZ";
const STATUSES: [u16; 4] = [401, 403, 404, 500];

#[track_caller]
fn assert_no_canary(run: &Run, case: &str) {
    for part in [CANARY, &CANARY[6..20]] {
        assert!(!run.stdout.contains(part) && !run.stderr.contains(part), "the token leaked ({case})\n{run}");
    }
}

/// The cases: every status, both bodies, both output formats.
fn cases() -> Vec<(u16, Body, bool)> {
    let bodies = [Body::Json, Body::Text];
    STATUSES.iter().flat_map(|&s| bodies.iter().flat_map(move |&b| [(s, b, false), (s, b, true)])).collect()
}

#[test]
fn github_release_never_shows_the_token_a_server_echoes() {
    let fixture = support::fixture("single-crate");
    fixture.git(&["tag", "v0.1.0"]);
    let assets = fixture.tmp.path().join("assets");
    std::fs::create_dir_all(&assets).unwrap();
    std::fs::write(assets.join("single-0.1.0-x86_64-unknown-linux-gnu.tar.gz"), "bytes").unwrap();
    for (status, body, json) in cases() {
        let case = format!("{status} {body:?} json={json}");
        let echo = Echo::start(status, body);
        let mut args = vec!["github-release", "--tag", "v0.1.0", "--assets", assets.to_str().unwrap(), "--execute"];
        if json {
            args.extend(["--format", "json"]);
        }
        let mut cmd = fixture.command(&args);
        cmd.env("GITHUB_API_URL", &echo.url).env("GITHUB_REPOSITORY", "acme/widget").env("GITHUB_TOKEN", CANARY);
        let run = support::run(cmd).fails(1);
        assert!(echo.authorized() > 0, "no request reached the server ({case})\n{run}");
        assert!(run.stderr.contains(&format!("GitHub answered {status}")), "{case}\n{run}");
        assert!(run.stderr.contains("***"), "the echoed header is not masked ({case})\n{run}");
        assert_no_canary(&run, &case);
    }
}

/// publish-ordered shows the registry's answer to an upload in its error, as the
/// registry wrote it.
#[test]
fn publish_ordered_never_shows_the_token_a_registry_echoes() {
    let fixture = support::fixture("single-crate");
    // One failure is final: the 500 case must not wait out retries.
    let manifest = fixture.read("Cargo.toml") + "\n[package.metadata.xtask-release.publish]\nretries = 0\n";
    fixture.write("Cargo.toml", &manifest);
    fixture.git(&["commit", "--quiet", "-am", "no retries"]);
    for (status, body, json) in cases() {
        let case = format!("{status} {body:?} json={json}");
        let echo = Echo::start(status, body);
        let mut args = vec!["publish-ordered", "--registry", "echo", "--execute"];
        if json {
            args.extend(["--format", "json"]);
        }
        let summary = fixture.tmp.path().join("summary.md");
        let mut cmd = fixture.command(&args);
        cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
            .env("CARGO_REGISTRIES_ECHO_INDEX", echo.index_url())
            .env("CARGO_REGISTRIES_ECHO_TOKEN", CANARY)
            .env("CARGO_NET_RETRY", "0")
            .env("GITHUB_STEP_SUMMARY", &summary);
        let run = support::run(cmd).fails(1);
        assert!(echo.authorized() > 0, "no upload reached the server ({case})\n{run}");
        assert!(run.stderr.contains(&format!("the registry answered {status}")), "{case}\n{run}");
        assert_no_canary(&run, &case);
        let summary = std::fs::read_to_string(&summary).unwrap_or_default();
        assert!(!summary.contains(CANARY), "the token is in the step summary ({case})\n{summary}");
    }
}

/// The commands that read the registry and GitHub after a release: every GitHub request
/// carries the token, and the answers are quoted in findings, plans and errors.
#[test]
fn verify_published_and_rollback_never_show_the_token_a_server_echoes() {
    let fixture = support::fixture("single-crate");
    fixture.git(&["tag", "-a", "-m", "Release v0.1.0", "v0.1.0"]);
    fixture.git(&["push", "--quiet", "origin", "v0.1.0"]);
    let commands: [&[&str]; 2] = [
        &["verify-published", "--registry", "echo"],
        &["rollback", "0.1.0", "--registry", "echo", "--execute", "--yes"],
    ];
    for args in commands {
        for (status, body, json) in cases() {
            let case = format!("{args:?} {status} {body:?} json={json}");
            let echo = Echo::start(status, body);
            let mut all = args.to_vec();
            if json {
                all.extend(["--format", "json"]);
            }
            let mut cmd = fixture.command(&all);
            cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
                .env("CARGO_REGISTRIES_ECHO_INDEX", echo.index_url())
                .env("CARGO_REGISTRIES_ECHO_TOKEN", CANARY)
                .env("GITHUB_API_URL", &echo.url)
                .env("GITHUB_REPOSITORY", "acme/widget")
                .env("GITHUB_TOKEN", CANARY);
            let run = support::run(cmd);
            assert_ne!(run.code, 0, "{case}\n{run}");
            assert!(echo.authorized() > 0, "no request reached the server ({case})\n{run}");
            assert_no_canary(&run, &case);
        }
    }
}

/// A token that lives only in `$CARGO_HOME/credentials.toml`, with a `"` and a `\` (which a
/// JSON answer escapes), is never shown by the commands that have cargo or us send it:
/// not on stderr, not in the JSON on stdout, not in the audit trail or the step summary.
#[test]
fn a_token_only_cargo_s_credentials_file_holds_never_shows() {
    const ODD: &str = r#"canaryTOKEN"0123\456789abcdefXYZ"#;
    let fixture = support::fixture("single-crate");
    fixture.git(&["tag", "-a", "-m", "Release v0.1.0", "v0.1.0"]);
    fixture.git(&["push", "--quiet", "origin", "v0.1.0"]);
    let manifest = fixture.read("Cargo.toml") + "\n[package.metadata.xtask-release.publish]\nretries = 0\n";
    fixture.write("Cargo.toml", &manifest);
    fixture.git(&["commit", "--quiet", "-am", "no retries"]);
    let home = fixture.tmp.path().join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    let credentials = format!("[registries.echo]\ntoken = {}\n", toml_string(ODD));
    std::fs::write(home.join("credentials.toml"), credentials).unwrap();
    let entry = serde_json::json!({
        "name": "single", "vers": "0.1.0", "deps": [], "cksum": "0".repeat(64), "features": {}, "yanked": false,
    });
    let commands: [(&[&str], Option<String>); 2] = [
        (&["rollback", "0.1.0", "--registry", "echo", "--no-github", "--execute", "--yes"], Some(entry.to_string())),
        (&["publish-ordered", "--registry", "echo", "--execute"], None),
    ];
    for (args, listed) in commands {
        for body in [Body::Json, Body::Text, Body::RawJson] {
            for json in [false, true] {
                let case = format!("{args:?} {body:?} json={json}");
                let echo = Echo::listing(403, body, listed.clone());
                let mut all = args.to_vec();
                if json {
                    all.extend(["--format", "json"]);
                }
                let summary = fixture.tmp.path().join("summary.md");
                let mut cmd = fixture.command(&all);
                cmd.env("CARGO_HOME", &home)
                    .env("CARGO_REGISTRIES_ECHO_INDEX", echo.index_url())
                    .env("CARGO_NET_RETRY", "0")
                    .env("GITHUB_STEP_SUMMARY", &summary);
                let run = support::run(cmd);
                assert_ne!(run.code, 0, "{case}\n{run}");
                assert!(echo.authorized() > 0, "no request reached the server ({case})\n{run}");
                let trail = fixture.tmp.path().join("target/xtask-release/audit.jsonl");
                let files = [&summary, &trail].map(|f| std::fs::read_to_string(f).unwrap_or_default());
                for part in ["canaryTOKEN", "456789abcdefXYZ"] {
                    assert!(
                        !run.stdout.contains(part) && !run.stderr.contains(part),
                        "the token leaked ({case})\n{run}"
                    );
                    for text in &files {
                        assert!(!text.contains(part), "the token is in a file ({case})\n{text}");
                    }
                }
            }
        }
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
