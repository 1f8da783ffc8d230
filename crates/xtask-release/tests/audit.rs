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
