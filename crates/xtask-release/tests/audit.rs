//! `audit`: the trail of executed steps printed as a table or JSON, and `--verify`
//! failing on an edited or removed line. (How a hand-written log reads back, filtered by
//! version, is a unit test in src/cli/audit.rs, where the log's writer is reachable.)

mod support;

#[test]
fn no_log_yet_says_so() {
    let fixture = support::fixture("single-crate");
    let run = fixture.run(&["audit"]).fails(1);
    assert!(run.stderr.contains("has any command run with --execute here?"), "{run}");
}

/// A log emptied, cut short or without its `.head` fails the check (exit 1) and says
/// which; CRLF line ends read as the same trail.
#[test]
fn verify_fails_on_a_log_emptied_cut_short_or_without_its_head() {
    let fixture = support::fixture("single-crate");
    fixture.run(&["bump", "minor", "--execute"]).ok();
    fixture.run(&["changelog", "--execute"]).ok();
    let log = fixture.tmp.path().join("target/xtask-release/audit.jsonl");
    let original = std::fs::read_to_string(&log).unwrap();
    let write = |text: &str| std::fs::write(&log, text).unwrap();
    let verify = |expected: &str| {
        let run = fixture.run(&["audit", "--verify"]).fails(1);
        assert!(run.stderr.contains(expected), "{expected}: {run}");
        assert!(!run.stderr.contains("intact"), "{run}");
    };
    write("");
    verify("holds no entries but");
    verify("audit.jsonl.head names entry 2: it was emptied");
    write(&format!("{}\n", original.lines().next().unwrap()));
    verify("ends at entry 1 but");
    verify("audit.jsonl.head names entry 2: entry 2 was removed from its end");
    write(&original.replace('\n', "\r\n"));
    let run = fixture.run(&["audit", "--verify"]).ok();
    assert!(run.stderr.contains("Verified 2 lines"), "{run}");
    std::fs::remove_file(log.with_extension("jsonl.head")).unwrap();
    verify("audit.jsonl.head is missing");
}

/// The entries of `audit --version VERSION` as JSON.
fn entries(fixture: &support::Fixture, version: Option<&str>) -> Vec<serde_json::Value> {
    let mut args = vec!["audit", "--format", "json"];
    args.extend(version.iter().flat_map(|v| ["--version", v]));
    let run = fixture.run(&args).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    report["entries"].as_array().unwrap().clone()
}

/// `release` records the version it made (0.2.0 from 0.1.0), so that `audit --version
/// 0.2.0` finds its line; `init --execute` is recorded with the files it wrote.
#[test]
fn release_records_the_version_it_made_and_init_is_recorded() {
    let fixture = support::fixture("single-crate");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    fixture.run(&["init", "--dependency-path", root.to_str().unwrap(), "--execute"]).ok();
    let init = entries(&fixture, None);
    assert_eq!(init.len(), 1, "{init:?}");
    assert_eq!((&init[0]["step"], &init[0]["outcome"]), (&"init".into(), &"ok".into()), "{init:?}");
    assert_eq!(init[0]["produced"]["xtask/Cargo.toml"], "create", "{init:?}");
    assert!(init[0]["plan_digest"].as_str().unwrap().starts_with("sha256:"), "{init:?}");
    fixture.commit_all("xtask-release init");
    fixture.git(&["push", "--quiet", "origin", "main"]);

    fixture.run(&["release", "minor", "--execute", "--yes", "--no-verify", "--no-push"]).ok();
    let released = entries(&fixture, Some("0.2.0"));
    let steps: Vec<&str> = released.iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["release"], "{released:?}");
    assert_eq!(released[0]["produced"]["tag"], "v0.2.0", "{released:?}");
    assert!(entries(&fixture, Some("0.1.0")).iter().all(|e| e["step"] != "release"));

    // The tag's annotation ends with the trail's head (the init line); a re-run keeps the
    // tag, its message compared without that line.
    let annotation = fixture.git(&["for-each-ref", "--format=%(contents)", "refs/tags/v0.2.0"]);
    let head = released[0]["produced"]["audit_head"].as_str().unwrap();
    assert!(head.starts_with("audit-head: 1 sha256:"), "{released:?}");
    assert_eq!(annotation.trim_end(), format!("Release v0.2.0\n\n{head}"));
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let run = fixture.run(&["tag", "--execute"]).ok();
    assert!(run.stdout.contains("keep tag v0.2.0: it exists at HEAD from an earlier run"), "{run}");

    // A remote that cannot be reached: compared with the local tag only, and said so.
    fixture.git(&["remote", "set-url", "origin", "/nonexistent/origin.git"]);
    let run = fixture.run(&["audit", "--verify"]).ok();
    assert!(run.stderr.contains("entry 1 is what the annotation of tag v0.2.0 recorded"), "{run}");
    assert!(run.stderr.contains("the tags on origin were not compared: `git ls-remote origin` failed"), "{run}");
}

/// The steps of a release as the audit trail records them, in order.
const RELEASE_STEPS: [&str; 5] = ["bump", "tag", "publish-ordered", "github-release", "verify-published"];

#[test]
fn a_whole_release_leaves_one_intact_line_per_step() {
    use support::release_flow::{CRATES, Released};
    let released = Released::new();
    released.run(&["bump", "0.2.0", "--execute"]).ok();
    let section = "## [Unreleased]\n\n## [0.2.0] - 2026-02-01\n\n### Fixes\n\n- Second.\n";
    released
        .fixture
        .write("CHANGELOG.md", &released.fixture.read("CHANGELOG.md").replace("## [Unreleased]\n", section));
    released.fixture.commit_all("release: v0.2.0");
    released.fixture.git(&["push", "--quiet", "origin", "main"]);
    released.tag();
    released.publish(&[]);
    released.github_release();
    let summary = released.fixture.tmp.path().join("step-summary.md");
    let mut verify = released.command(&["verify-published", "--registry", "local"]);
    verify.env("GITHUB_STEP_SUMMARY", &summary);
    support::run(verify).ok();

    let run = released.run(&["audit", "--verify", "--format", "json"]).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let entries = report["entries"].as_array().unwrap();
    let steps: Vec<&str> = entries.iter().map(|e| e["step"].as_str().unwrap()).collect();
    let executed: Vec<&str> = steps.iter().copied().filter(|s| RELEASE_STEPS.contains(s)).collect();
    assert_eq!(executed, RELEASE_STEPS, "one line per step, in order: {steps:?}");
    for entry in entries {
        assert_eq!(entry["outcome"], "ok", "{entry}");
        assert_eq!(entry["version"], "0.2.0", "{entry}");
        assert_eq!(entry["actor"], "Test Author", "{entry}");
        assert!(entry["command"].as_str().unwrap().contains(entry["step"].as_str().unwrap()), "{entry}");
    }
    let entry = |step: &str| entries.iter().find(|e| e["step"] == step).unwrap();
    assert!(entry("tag")["plan_digest"].as_str().unwrap().starts_with("sha256:"));
    let tag_object = released.fixture.git(&["rev-parse", "v0.2.0"]).trim().to_string();
    assert_eq!(entry("tag")["produced"]["tag_object"], tag_object.as_str());
    for name in CRATES {
        let cksum = entry("publish-ordered")["produced"][format!("{name} 0.2.0")].as_str().unwrap().to_string();
        assert_eq!(cksum.len(), 64, "{name}: {cksum}");
    }
    let assets = &entry("github-release")["produced"];
    for name in released.asset_names() {
        assert_eq!(assets[name.as_str()].as_str().map(str::len), Some(64), "{name} in {assets}");
    }
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.contains("| verify-published | ok |"), "{summary}");
    released.assert_no_canary_in_files();

    // An edited line, then a removed one, each fail the check.
    let log = released.fixture.tmp.path().join("target/xtask-release/audit.jsonl");
    let original = std::fs::read_to_string(&log).unwrap();
    let at = steps.iter().position(|s| *s == "tag").unwrap() + 1;
    std::fs::write(&log, original.replace(&tag_object, &"0".repeat(40))).unwrap();
    let run = released.run(&["audit", "--verify"]).fails(1);
    assert!(run.stderr.contains(&format!("line {at} was edited")), "{run}");
    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(at - 1);
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let run = released.run(&["audit", "--verify"]).fails(1);
    assert!(run.stderr.contains(&format!("line {at} does not follow")), "{run}");

    // The tag's annotation and the release notes end with the trail's head when each was
    // made; the trail verifies against both.
    std::fs::write(&log, &original).unwrap();
    let annotation = released.fixture.git(&["for-each-ref", "--format=%(contents)", "refs/tags/v0.2.0"]);
    let tag_head = format!("audit-head: {} sha256:{}", at - 1, sha256(original.lines().nth(at - 2).unwrap()));
    assert!(annotation.trim_end().ends_with(&format!("\n\n{tag_head}")), "{annotation}");
    assert_eq!(entry("tag")["produced"]["audit_head"], tag_head.as_str());
    let notes = released.mock.state().releases[0].body.clone();
    let release_head = entry("github-release")["produced"]["audit_head"].as_str().unwrap().to_string();
    assert!(notes.ends_with(&format!("\n\n{release_head}")), "{notes}");
    let run = released.run(&["audit", "--verify"]).ok();
    assert!(run.stderr.contains("is what the annotation of tag v0.2.0 recorded"), "{run}");
    let verify = ["verify-published", "--registry", "local", "--skip", "registry"];
    let run = released.run(&verify).ok();
    assert!(run.stdout.contains("is what the notes of the GitHub release"), "{run}");

    // The whole chain rewritten from its first line, `.head` too: the trail verifies on
    // its own, but not against the tag (local, then on origin alone) or the release notes.
    let rewritten = rewrite_chain(&original.replace("\"actor\":\"Test Author\"", "\"actor\":\"Someone Else\""));
    std::fs::write(&log, &rewritten).unwrap();
    let last = rewritten.lines().last().unwrap();
    let seq = serde_json::from_str::<serde_json::Value>(last).unwrap()["seq"].clone();
    std::fs::write(log.with_extension("jsonl.head"), format!("{seq} {}\n", sha256(last))).unwrap();
    let run = released.run(&["audit", "--verify"]).fails(1);
    assert!(run.stderr.contains(&format!("does not match `{tag_head}` in the annotation of tag v0.2.0")), "{run}");
    released.fixture.git(&["tag", "--delete", "v0.2.0"]);
    let run = released.run(&["audit", "--verify"]).fails(1);
    assert!(run.stderr.contains("in the annotation of tag v0.2.0 on origin: entry"), "{run}");
    assert!(run.stderr.contains("The log was rewritten up to that entry"), "{run}");
    let run = released.run(&verify).fails(1);
    assert!(
        run.stdout.contains(&format!("does not match `{release_head}` in the notes of the GitHub release")),
        "{run}"
    );
}

fn sha256(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `log` with every line's `prev` set to the hash of the line before it, as someone who
/// edits the trail and covers it up would write it.
fn rewrite_chain(log: &str) -> String {
    let mut prev = "0".repeat(64);
    let mut out = String::new();
    for line in log.lines() {
        let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
        entry["prev"] = prev.clone().into();
        let line = entry.to_string();
        prev = sha256(&line);
        out.push_str(&line);
        out.push('\n');
    }
    out
}
