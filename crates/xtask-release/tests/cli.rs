//! The CLI's shape: clap's own consistency checks, and the exit-code contract.

mod support;

use clap::CommandFactory;

#[test]
fn verify_cli() {
    xtask_release::Cli::command().debug_assert();
}

#[test]
fn usage_error_exits_2_and_help_exits_0() {
    let fixture = support::fixture("single-crate");
    let run = fixture.run(&["bump", "not-a-version"]).fails(2);
    assert!(run.stderr.contains("not-a-version"), "{run}");
    fixture.run(&["--help"]).ok();
    fixture.run(&["no-such-command"]).fails(2);
}
