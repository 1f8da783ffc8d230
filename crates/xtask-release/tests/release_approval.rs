//! `release --execute` with `require-approval = ["release"]`: the approval gate is
//! passed before anything is asked, so a missing or stale approval is refused without a
//! question, and only an approved plan gets the confirmation.

mod support;

use support::{Fixture, assert_same_files};

/// The single-crate fixture with `release` gated, committed and pushed.
fn gated_fixture() -> Fixture {
    let fixture = support::fixture("single-crate");
    fixture
        .configure_and_push("\n[package.metadata.xtask-release]\nrequire-approval = [\"release\"]\n", "gate releases");
    fixture
}

#[test]
fn without_approval_execute_is_refused_before_any_check_or_question() {
    let fixture = gated_fixture();
    let (files, head) = (fixture.snapshot(), fixture.head());
    let run = fixture.run(&["release", "minor", "--execute", "--no-verify"]).fails(1);
    assert!(run.stderr.contains("`release` needs an approved plan"), "{run}");
    assert!(run.stderr.contains("--execute --approve"), "{run}");
    assert!(!run.stderr.contains("not a terminal"), "the confirmation came before the gate\n{run}");
    assert!(!run.stdout.contains("preflight"), "the plan was computed before the gate\n{run}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));
}

/// On a terminal (Linux only, see `Fixture::run_on_terminal`): `y` is typed, but a release without an
/// approval, or with a stale one, is refused without the question being asked; the
/// approved plan is asked about and released.
#[test]
#[cfg(target_os = "linux")]
fn on_a_terminal_the_gate_comes_before_the_question() {
    let fixture = gated_fixture();
    let answer_yes =
        |extra: &str| fixture.run_on_terminal(&format!("release minor --execute --no-verify{extra}"), "y\n");
    let (files, head) = (fixture.snapshot(), fixture.head());

    let (code, output) = answer_yes("");
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("`release` needs an approved plan"), "{output}");
    assert!(!output.contains("[y/N]"), "asked before the gate refused\n{output}");

    let stale = format!("sha256:{}", "0".repeat(64));
    let (code, output) = answer_yes(&format!(" --approve {stale}"));
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("the plan changed since it was approved"), "{output}");
    assert!(!output.contains("[y/N]"), "asked before the gate refused\n{output}");
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!((fixture.head(), fixture.tags()), (head, String::new()));

    let dry = fixture.run(&["release", "minor", "--no-verify"]).ok();
    let digest = dry.stderr.lines().find_map(|l| l.strip_prefix("plan: ")).expect("a plan: line").to_string();
    let (code, output) = answer_yes(&format!(" --approve {digest}"));
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("Release v0.2.0: commit, tag and push? [y/N]"), "{output}");
    assert!(fixture.origin_refs().contains("refs/tags/v0.2.0"), "{}", fixture.origin_refs());
}
