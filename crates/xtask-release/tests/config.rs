//! Our config tables: `[workspace.metadata.xtask-release]` for a workspace,
//! `[package.metadata.xtask-release]` for a root package that is not a workspace (and
//! whose nested standalone crates must keep building), never both; cargo-release's
//! `[workspace.metadata.release]` is never read as ours, and alone it gets a note.

mod support;

use support::{assert_same_files, fixture};

#[test]
fn a_root_package_is_configured_without_becoming_a_workspace() {
    let fixture = fixture("single-nested");
    // `bins` from [package.metadata.xtask-release.dist]: the helper binary does not ship.
    let run = fixture.run(&["build-matrix"]).ok();
    assert!(run.stdout.contains("\"ripple-2.3.0-linux-amd64\""), "{run}");
    assert!(!run.stdout.contains("ripple-schema"), "{run}");
    let run = fixture.run(&["check-version", "--tag", "v2.3.0"]).ok();
    assert!(!run.stderr.contains("note:"), "{run}");
    // The nested crates are still standalone: cargo finds no workspace above them.
    for nested in ["tools/codegen/Cargo.toml", "fuzz/Cargo.toml"] {
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.args(["metadata", "--no-deps", "--offline", "--format-version", "1", "--manifest-path", nested]);
        cmd.current_dir(&fixture.root);
        fixture.env(&mut cmd);
        support::run(cmd).ok();
    }
}

#[test]
fn both_of_our_tables_is_an_error_naming_both() {
    let fixture = fixture("single-nested");
    let manifest = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!("{manifest}\n[workspace]\n\n[workspace.metadata.xtask-release]\ntag-prefix = \"\"\n"),
    );
    let before = fixture.snapshot();
    let run = fixture.run(&["check-version"]).fails(1);
    assert!(
        run.stderr
            .contains("has both [workspace.metadata.xtask-release] and [package.metadata.xtask-release]; keep one"),
        "{run}"
    );
    assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn a_workspace_with_cargo_release_table_and_ours_uses_ours_and_ignores_theirs() {
    let fixture = fixture("both-tables");
    let run = fixture.run(&["check-version", "--tag", "v1.4.2"]).ok();
    assert!(!run.stderr.contains("note:"), "{run}");
}

#[test]
fn cargo_release_table_alone_gets_a_note_of_what_we_would_honour() {
    let fixture = fixture("both-tables");
    let manifest = fixture.read("Cargo.toml");
    let theirs = &manifest[..manifest.find("# Ours").unwrap()];
    fixture.write("Cargo.toml", theirs);
    let run = fixture.run(&["check-version", "--tag", "v1.4.2"]).ok();
    assert!(
        run.stderr.contains(
            "note: [workspace.metadata.release] is cargo-release's table; xtask-release reads only \
             [workspace.metadata.xtask-release]. Of its keys it would honour `allow-branch` as `branch = \"main\"`, \
             `pre-release-commit-message` as `commit-message = \"chore: release {version}\"`, \
             `shared-version` as it is, `tag-name` as `tag-prefix = \"v\"`. `sign-tag` has no counterpart. \
             `init` writes our table with them translated."
        ),
        "{run}"
    );
}

#[test]
fn an_unknown_key_is_named_in_the_error_itself() {
    let fixture = fixture("both-tables");
    fixture.write("Cargo.toml", &fixture.read("Cargo.toml").replace("extra-files = []", "extra-file = []"));
    let run = fixture.run(&["check-version"]).fails(1);
    assert!(
        run.stderr.contains("error: invalid [workspace.metadata.xtask-release] in ")
            && run.stderr.contains("unknown field `extra-file`"),
        "{run}"
    );
    assert!(!run.stderr.contains("named above"), "{run}");
}

/// Errors deep inside a command name the table the config came from: a root package's
/// is `[package.metadata.xtask-release]`, not the workspace table.
#[test]
fn errors_name_the_table_the_config_came_from() {
    let shapes =
        [("lockstep", "workspace.metadata.xtask-release"), ("single-nested", "package.metadata.xtask-release")];
    for (name, table) in shapes {
        let fixture = fixture(name);
        let before = fixture.snapshot();
        let run = fixture.run(&["dist", "--target", "sparc64-unknown-linux-gnu"]).fails(1);
        assert!(run.stderr.contains(&format!("add it to [{table}.dist] targets")), "{name}: {run}");
        assert_same_files(&before, &fixture.snapshot());

        fixture.git(&["switch", "--quiet", "-c", "topic"]);
        let run = fixture.run(&["tag"]).fails(1);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains(&format!("(or set `branch` in [{table}])")), "{name}: {run}");
    }
}
