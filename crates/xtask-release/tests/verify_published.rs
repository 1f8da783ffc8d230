//! `verify-published` on a release made by our own commands (tag, publish-ordered to the
//! real local registry, checksum, github-release to the loopback GitHub server): it
//! passes, and then fails naming the problem for each way a release can be wrong.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use support::Run;
use support::registry;
use support::release_flow::{CRATES, Released};

fn verify(released: &Released, args: &[&str]) -> Run {
    released.run(&[&["verify-published", "--registry", "local"], args].concat())
}

#[track_caller]
fn assert_fails_naming(run: Run, subject: &str, problem: &str) {
    let run = run.fails(1);
    let line = run.stdout.lines().find(|l| l.starts_with("FAILED") && l.contains(subject));
    assert!(line.is_some_and(|l| l.contains(problem)), "expected `{subject}: ...{problem}...`\n{run}");
    assert!(run.stderr.contains(problem), "the error repeats the problem\n{run}");
}

/// A health endpoint on loopback answering 200 with whatever body the test sets.
fn health_server(body: Arc<Mutex<String>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = body.lock().unwrap().clone();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn registry_problems_are_each_named() {
    let released = Released::new();
    released.tag();
    // STEP 1: a crate that never made it to the registry.
    released.publish(&["acme-proxy"]);
    let run = verify(&released, &["--skip", "release"]);
    assert_fails_naming(run, "acme-proxy 0.1.0", "is not in the index of `local`");

    // STEP 2: all there, same content as the tag's package, downloads answer.
    released.publish(&[]);
    let run = verify(&released, &["--skip", "release", "--format", "json"]).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["problems"], serde_json::json!([]), "{run}");
    assert_eq!(report["problem_count"], 0, "{run}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), CRATES.len(), "{run}");
    for finding in findings {
        let detail = finding["detail"].as_str().unwrap();
        assert!(detail.contains("same content as the package of v0.1.0"), "{run}");
        assert!(detail.contains("download answers"), "{run}");
    }

    // STEP 3: a yanked crate.
    let yank = "/api/v1/crates/acme-storage/0.1.0/yank";
    assert_eq!(registry::call(released.registry.port, "DELETE", yank).map(|r| r.0), Some(200));
    assert_fails_naming(verify(&released, &["--skip", "release"]), "acme-storage 0.1.0", "is yanked on `local`");
    let unyank = "/api/v1/crates/acme-storage/0.1.0/unyank";
    assert_eq!(registry::call(released.registry.port, "PUT", unyank).map(|r| r.0), Some(200));

    // STEP 4: the tag now names other content than what was published.
    let published = released.fixture.head();
    released.fixture.write("crates/core/src/lib.rs", "pub fn changed_after_publishing() {}\n");
    released.fixture.commit_all("change core");
    released.fixture.git(&["tag", "--force", "-a", "v0.1.0", "-m", "moved"]);
    assert_fails_naming(
        verify(&released, &["--skip", "release"]),
        "acme-core 0.1.0",
        "has other content than the package of v0.1.0",
    );

    // Without the tag in the clone, the index entry alone is checked, and it says so.
    released.fixture.git(&["tag", "--delete", "v0.1.0"]);
    let run = verify(&released, &["--skip", "release"]).ok();
    assert!(run.stdout.contains("content not compared with v0.1.0 (index entry alone)"), "{run}");
    assert!(run.stderr.contains("tag v0.1.0 is not in this clone"), "{run}");
    released.fixture.git(&["tag", "-a", "v0.1.0", "-m", "back", &published]);
    released.assert_no_canary_in_files();
}

/// A change made to the release on the server, given the name of one binary asset.
type Breakage = fn(&mut support::github::Release, &str);

#[test]
fn release_page_and_health_problems_are_each_named() {
    let released = Released::new();
    released.tag();
    released.github_release();
    let release_only = ["--skip", "registry"];
    let run = verify(&released, &release_only).ok();
    let names = released.asset_names();
    assert!(names.contains(&"SHA256SUMS".to_string()) && names.len() >= 3, "{names:?}");
    let binary = names.iter().find(|n| !n.ends_with(".sha256") && *n != "SHA256SUMS").unwrap().clone();
    assert!(run.stdout.contains(&format!("ok      release   {binary}: downloaded")), "{run}");

    // Each problem made on the server, checked, and put back.
    let problems: [(&str, &str, Breakage); 5] = [
        ("release v0.1.0", "is a draft", |r, _| r.draft = true),
        ("release v0.1.0", "is marked as a pre-release, but 0.1.0 is not one", |r, _| r.prerelease = true),
        ("release v0.1.0", "has no release notes", |r, _| r.body = "  \n".into()),
        ("{binary}", "is missing from the release", |r, name| r.assets.retain(|a| a.name != name)),
        ("{binary}", "differ from {binary}.sha256", |r, name| {
            r.assets.iter_mut().find(|a| a.name == name).unwrap().content = b"other bytes".to_vec()
        }),
    ];
    for (subject, problem, break_it) in problems {
        let saved = released.mock.state().releases[0].clone();
        break_it(&mut released.mock.state().releases[0], &binary);
        let (subject, problem) = (subject.replace("{binary}", &binary), problem.replace("{binary}", &binary));
        assert_fails_naming(verify(&released, &release_only), &subject, &problem);
        released.mock.state().releases[0] = saved;
    }
    // An extra asset.
    let saved = released.mock.state().releases[0].clone();
    let mut extra = saved.assets[0].clone();
    extra.name = "notes.txt".into();
    extra.id = 9_999;
    released.mock.state().releases[0].assets.push(extra);
    assert_fails_naming(verify(&released, &release_only), "notes.txt", "was not promised");
    released.mock.state().releases[0] = saved;

    // --assets keeps what was downloaded, byte for byte.
    let kept = released.fixture.tmp.path().join("kept");
    verify(&released, &[&release_only[..], &["--assets", kept.to_str().unwrap()]].concat()).ok();
    assert_eq!(std::fs::read(kept.join(&binary)).unwrap(), std::fs::read(released.dist.join(&binary)).unwrap());

    // A health endpoint that still reports the old version, then the new one.
    let body = Arc::new(Mutex::new(r#"{"status":"ok","version":"0.0.9"}"#.to_string()));
    let url = health_server(body.clone());
    let health = ["--skip", "registry", "--skip", "release", "--health", &url, "--health-timeout", "1"];
    let run = verify(&released, &health);
    assert_fails_naming(run, &url, "did not report version 0.1.0");
    *body.lock().unwrap() = r#"{"status":"ok","version":"0.1.0"}"#.to_string();
    let run = verify(&released, &health).ok();
    assert!(run.stdout.contains("answers 200 with version 0.1.0"), "{run}");
    let run = verify(&released, &[&health[..], &["--expect-version", "0.2.0"]].concat());
    assert_fails_naming(run, &url, "last answer: HTTP 200: {\"status\":\"ok\",\"version\":\"0.1.0\"}");
    released.assert_no_canary_in_files();
}

/// With every check left out nothing was verified, and that is no success: it says so and
/// what would give it something to check.
#[test]
fn every_check_left_out_is_not_a_success() {
    let fixture = support::fixture("single-crate");
    let before = fixture.snapshot();
    let run = fixture.run(&["verify-published", "--skip", "registry", "--skip", "release"]).fails(1);
    assert!(
        run.stderr.contains(
            "nothing was checked for 0.1.0: left out the registry (--skip registry), the GitHub release \
             (--skip release), a deployed service (no --health URL); drop a --skip, or pass --health URL"
        ),
        "{run}"
    );
    assert!(!run.stderr.contains("Verified"), "{run}");
    let run = fixture.run(&["verify-published", "--skip", "registry", "--skip", "release", "--skip", "health"]);
    assert!(run.fails(1).stderr.contains("nothing was checked for 0.1.0"));
    support::assert_same_files(&before, &fixture.snapshot());
}

/// A check that cannot run (origin is not on GitHub, no registry configured) is not a
/// broken release: it is reported as not checked, with what to configure, and never with
/// advice to re-publish or roll back.
#[test]
fn a_check_that_cannot_run_asks_for_configuration_not_a_rollback() {
    let fixture = support::fixture("single-crate");
    let before = fixture.snapshot();
    let mut cmd = fixture.command(&["verify-published", "--skip", "registry"]);
    cmd.env("GITHUB_TOKEN", "ghs_not_used");
    let run = support::run(cmd).fails(1);
    assert!(
        run.stdout.contains(
            "skipped release   release v0.1.0: cannot tell the GitHub repository from the URL of \
                             remote `origin`"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains("1 check could not run, which says nothing about the release 0.1.0:")
            && run.stderr.contains("set GITHUB_REPOSITORY=owner/name")
            && run.stderr.contains("or leave the check out with --skip release"),
        "{run}"
    );
    for advice in ["fix the release", "roll it back", "rollback 0.1.0", "FAILED", "wrong"] {
        assert!(!run.stdout.contains(advice) && !run.stderr.contains(advice), "{advice}\n{run}");
    }

    let run = fixture.run(&["verify-published", "--registry", "nowhere", "--skip", "release", "--format", "json"]);
    let run = run.fails(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["problem_count"], 0, "{run}");
    assert_eq!(report["unchecked"][0]["subject"], "registry", "{run}");
    assert!(report["unchecked"][0]["message"].as_str().unwrap().contains("registry `nowhere` is not configured"));
    assert!(!run.stderr.contains("roll it back") && run.stderr.contains("--skip registry"), "{run}");
    support::assert_same_files(&before, &fixture.snapshot());
}

/// An index URL where no registry answers (404 on `config.json`) is said to be that, not
/// a registry whose config lacks a key, nor crates missing from it.
#[test]
fn a_wrong_index_url_says_no_registry_answers_there() {
    let fixture = support::fixture("single-crate");
    let registry = registry::Registry::start(fixture.tmp.path());
    let wrong = format!("{}/not-an-index", registry.index_url().trim_end_matches('/'));
    let mut cmd =
        fixture.command(&["verify-published", "--registry", "local", "--index-url", &wrong, "--skip", "release"]);
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home"))
        .env("CARGO_REGISTRIES_LOCAL_INDEX", registry.index_url());
    let run = support::run(cmd).fails(1);
    let wrong = wrong.trim_start_matches("sparse+");
    let answer = format!("no registry answers at {wrong}: {wrong}/config.json answered HTTP 404");
    assert!(run.stdout.contains(&answer), "{run}");
    for wrong in ["`dl` key", "is not in the index"] {
        assert!(!run.stdout.contains(wrong) && !run.stderr.contains(wrong), "{wrong}\n{run}");
    }
}
