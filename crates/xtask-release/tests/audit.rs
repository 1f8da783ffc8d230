//! `audit`: the trail of executed steps printed as a table or JSON, and `--verify`
//! failing on an edited or removed line.

mod support;

use cargo_metadata::camino::Utf8PathBuf;
use xtask_release::audit::{Run, Trail};

/// Writes a three-step log for 0.2.0 and one step for 0.3.0 where the fixture's log goes by
/// default: its cargo target directory (`CARGO_TARGET_DIR` in the tests).
fn write_log(fixture: &support::Fixture) -> Utf8PathBuf {
    let path = Utf8PathBuf::from_path_buf(fixture.tmp.path().join("target/xtask-release/audit.jsonl")).unwrap();
    let run = |version: &str| Run {
        actor: "Test Author".into(),
        host: "ci".into(),
        command: "xtask-release tag --execute".into(),
        version: Some(version.into()),
        ..Run::default()
    };
    let trail = Trail::new(path.clone(), run("0.2.0"));
    trail.step("bump", |_| Ok(())).unwrap();
    trail
        .step("tag v0.2.0", |p| {
            p.add("tag v0.2.0", "0123abcd");
            Ok(())
        })
        .unwrap();
    let _ = trail.step("push", |_| -> anyhow::Result<()> { anyhow::bail!("remote refused") });
    Trail::new(path.clone(), run("0.3.0")).step("bump", |_| Ok(())).unwrap();
    path
}

#[test]
fn prints_filters_and_verifies_the_trail() {
    let fixture = support::fixture("single-crate");
    let path = write_log(&fixture);

    let run = fixture.run(&["audit", "--verify"]).ok();
    assert!(run.stderr.contains("Verified 4 lines"), "{run}");
    let rows: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(rows.len(), 5, "{run}");
    assert!(rows[2].contains("tag v0.2.0") && rows[2].contains("tag v0.2.0=0123abcd"), "{run}");
    assert!(rows[3].contains("failed: remote refused"), "{run}");

    let run = fixture.run(&["audit", "--version", "0.2.0", "--format", "json"]).ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["format_version"], 1);
    let steps: Vec<&str> = json["entries"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["bump", "tag v0.2.0", "push"]);
    assert_eq!(json["entries"][2]["outcome"], "failed");

    // An edited line: the next line no longer carries its hash.
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, original.replace("0123abcd", "fedcba98")).unwrap();
    let run = fixture.run(&["audit", "--verify"]).fails(1);
    assert!(run.stderr.contains("line 2 was edited"), "{run}");

    // A removed line, read through --log as a downloaded artifact would be.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.remove(2);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let run = fixture.run(&["audit", "--verify", "--log", path.as_str()]).fails(1);
    assert!(run.stderr.contains("line 3 does not follow"), "{run}");
}

#[test]
fn no_log_yet_says_so() {
    let fixture = support::fixture("single-crate");
    let run = fixture.run(&["audit"]).fails(1);
    assert!(run.stderr.contains("has any command run with --execute here?"), "{run}");
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
}
