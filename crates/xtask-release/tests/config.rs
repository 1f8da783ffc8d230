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
        run.stderr.contains("error: invalid config in ")
            && run.stderr.contains("[workspace.metadata.xtask-release] extra-file: unknown field `extra-file`"),
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

/// `bump patch --execute` on the lockstep fixture with `lines` added to its table fails
/// with exit code 1 and a message holding each of `said`, before any file is written.
#[track_caller]
fn refused_before_any_write(lines: &str, said: &[&str]) -> support::Fixture {
    let table = "[workspace.metadata.xtask-release]\n";
    // A sub-table goes before our table, so that it does not take our table's keys.
    let to = if lines.starts_with('[') { format!("{lines}\n\n{table}") } else { format!("{table}{lines}\n") };
    refused_with(table, &to, said)
}

/// Like [`refused_before_any_write`], with `from` replaced by `to` in the root manifest.
#[track_caller]
fn refused_with(from: &str, to: &str, said: &[&str]) -> support::Fixture {
    let fixture = fixture("lockstep");
    let manifest = fixture.read("Cargo.toml");
    assert!(manifest.contains(from));
    fixture.write("Cargo.toml", &manifest.replace(from, to));
    let before = fixture.snapshot();
    let run = fixture.run(&["bump", "patch", "--execute"]).fails(1);
    for words in said {
        assert!(run.stderr.contains(words), "{words}\n{run}");
    }
    assert_same_files(&before, &fixture.snapshot());
    fixture
}

/// A typo in `require-approval` would silently turn the gate off: it is an error that
/// lists the commands that have one.
#[test]
fn an_unknown_command_in_require_approval_is_refused_listing_the_valid_ones() {
    refused_before_any_write(
        "require-approval = [\"release\", \"relase\"]",
        &[
            "require-approval in [workspace.metadata.xtask-release] of ",
            "lists `relase`, which is not a command with an approval gate; the commands are `bump`, `changelog`, \
             `checksum`, `dist`, `github-release`, `publish-ordered`, `release`, `rollback`, `tag`",
        ],
    );
    // Every name listed is accepted.
    let fixture = fixture("lockstep");
    let all = "require-approval = [\"bump\", \"changelog\", \"checksum\", \"dist\", \"github-release\", \
               \"publish-ordered\", \"release\", \"rollback\", \"tag\"]";
    let table = "[workspace.metadata.xtask-release]\n";
    fixture.write("Cargo.toml", &fixture.read("Cargo.toml").replace(table, &format!("{table}{all}\n")));
    fixture.run(&["bump", "patch"]).ok();
}

/// `audit-log` that names no file, a directory, or a place outside the workspace is
/// refused when the config is loaded, not after the bumped files were written.
#[test]
fn an_audit_log_that_is_not_a_file_inside_the_workspace_is_refused_before_any_write() {
    refused_before_any_write(
        "audit-log = \"\"",
        &["audit-log = \"\" in [workspace.metadata.xtask-release] of ", "names no file"],
    );
    let escaped = refused_before_any_write(
        "audit-log = \"../a.jsonl\"",
        &["audit-log = \"../a.jsonl\"", "is not inside the workspace"],
    );
    assert!(!escaped.tmp.path().join("a.jsonl").exists());
    let outside = tempfile::tempdir().unwrap();
    let absolute = outside.path().join("a.jsonl");
    let line = format!("audit-log = {:?}", absolute.to_str().unwrap());
    refused_before_any_write(&line, &[&line, "is not inside the workspace"]);
    assert!(!absolute.exists());

    let fixture = fixture("lockstep");
    let table = "[workspace.metadata.xtask-release]\n";
    let manifest = fixture.read("Cargo.toml");
    // A directory.
    fixture.write("logs/keep", "");
    fixture.write("Cargo.toml", &manifest.replace(table, &format!("{table}audit-log = \"logs\"\n")));
    let before = fixture.snapshot();
    let run = fixture.run(&["bump", "patch", "--execute"]).fails(1);
    assert!(run.stderr.contains("audit-log = \"logs\" in [workspace.metadata.xtask-release] of "), "{run}");
    assert!(run.stderr.contains("is a directory") && run.stderr.contains("like \"logs/audit.jsonl\""), "{run}");
    assert_same_files(&before, &fixture.snapshot());
    // Out of the workspace through a symlink (under `target/`, which the snapshot skips,
    // as it cannot read a link to a directory).
    #[cfg(unix)]
    {
        std::fs::create_dir_all(fixture.path("target")).unwrap();
        std::os::unix::fs::symlink(outside.path(), fixture.path("target/out")).unwrap();
        fixture.write("Cargo.toml", &manifest.replace(table, &format!("{table}audit-log = \"target/out/a.jsonl\"\n")));
        let before = fixture.snapshot();
        let run = fixture.run(&["bump", "patch", "--execute"]).fails(1);
        let link = fixture.path("target/out");
        assert!(
            run.stderr.contains(&format!("leads out of the workspace through the symlink {}", link.display())),
            "{run}"
        );
        assert_same_files(&before, &fixture.snapshot());
        assert!(!absolute.exists());
    }
}

/// A value of the wrong type names its table and key and says what was expected,
/// not serde's bare "invalid type".
#[test]
fn a_wrong_type_names_the_table_and_the_key() {
    refused_before_any_write(
        "[workspace.metadata.xtask-release.publish]\njobs = \"1\"",
        &[
            "[workspace.metadata.xtask-release.publish] jobs: expected a non-negative integer, found a string \"1\"; fix that key",
        ],
    );
    refused_before_any_write(
        "tag-prefix = 1",
        &["[workspace.metadata.xtask-release] tag-prefix: expected a string, found an integer `1`; fix that key"],
    );
}

/// Unknown keys inside nested tables and array entries are refused like top-level ones:
/// a misspelt `search` in an `extra-files` entry, a key of `[...publish]` or of a target.
#[test]
fn unknown_keys_in_nested_tables_are_refused() {
    refused_with(
        "extra-files = [\"crates/python/pyproject.toml\"]",
        "extra-files = [\"crates/python/pyproject.toml\", { path = \"VERSION\", serach = \"{version}\" }]",
        &[
            "[workspace.metadata.xtask-release] extra-files[1].serach: unknown field `serach`, expected `path` or `search`",
        ],
    );
    for (lines, said) in [
        (
            "[workspace.metadata.xtask-release.publish]\nretry = 3",
            "[workspace.metadata.xtask-release.publish] retry: unknown field `retry`",
        ),
        (
            "[workspace.metadata.xtask-release.dist]\ntargets = [{ triple = \"x86_64-unknown-linux-gnu\", crss = true }]",
            "[workspace.metadata.xtask-release.dist] targets[0].crss: unknown field `crss`",
        ),
    ] {
        refused_before_any_write(lines, &[said]);
    }
}
