//! Files a user controls: a FIFO or a device where a file should be is refused at once,
//! never read (nor waited on); writes stay inside the workspace; a write that fails
//! mid-way names the files written and leaves no temporary file; a stale lock file and a
//! leftover git index lock are refused with what to do.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{Fixture, Run, assert_same_files, fixture, fixture_with, run_within};

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Not a snapshot (which would read the FIFO): git's view of the tree.
fn status(f: &Fixture) -> String {
    f.git(&["status", "--porcelain", "--untracked-files=all"])
}

#[test]
#[cfg(unix)]
fn a_fifo_or_a_device_where_a_file_should_be_is_refused_at_once_naming_it() {
    struct Case {
        name: &'static str,
        setup: fn(&Fixture),
        args: &'static [&'static str],
        says: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "Cargo.lock linked to /dev/zero",
            setup: |f| {
                std::fs::remove_file(f.path("Cargo.lock")).unwrap();
                std::os::unix::fs::symlink("/dev/zero", f.path("Cargo.lock")).unwrap();
            },
            args: &["bump", "minor", "--execute"],
            says: &["Cargo.lock", "a symlink to /dev/zero, a character device, not a regular file"],
        },
        Case {
            name: "a FIFO at Cargo.lock",
            setup: |f| mkfifo(&f.path("Cargo.lock")),
            args: &["bump", "minor", "--execute"],
            says: &["Cargo.lock", "a FIFO (named pipe), not a regular file"],
        },
        Case {
            name: "a FIFO at CHANGELOG.md",
            setup: |f| mkfifo(&f.path("CHANGELOG.md")),
            args: &["changelog", "--execute"],
            says: &["CHANGELOG.md", "a FIFO (named pipe), not a regular file"],
        },
        Case {
            name: "a FIFO at a .sha256",
            setup: |f| {
                f.write("dist/a.tar.gz", "asset\n");
                mkfifo(&f.path("dist/a.tar.gz.sha256"));
            },
            args: &["checksum", "dist/a.tar.gz", "--verify"],
            says: &["dist/a.tar.gz.sha256", "a FIFO (named pipe), not a regular file"],
        },
        Case {
            name: "a FIFO as the audit log",
            setup: |f| mkfifo(&f.path("audit.jsonl")),
            args: &["audit", "--log", "audit.jsonl"],
            says: &["audit.jsonl", "a FIFO (named pipe), not a regular file"],
        },
        Case {
            name: "a FIFO as the audit log, verified",
            setup: |f| mkfifo(&f.path("audit.jsonl")),
            args: &["audit", "--log", "audit.jsonl", "--verify"],
            says: &["audit.jsonl", "a FIFO (named pipe), not a regular file"],
        },
        Case {
            name: "/dev/zero as the audit log",
            setup: |_| {},
            args: &["audit", "--log", "/dev/zero", "--verify"],
            says: &["/dev/zero", "a character device, not a regular file"],
        },
    ];
    for case in cases {
        let fixture = fixture("single-crate");
        (case.setup)(&fixture);
        let before = status(&fixture);
        let run = run_within(fixture.command(case.args), Duration::from_secs(60));
        let name = case.name;
        assert_eq!(run.code, 1, "{name}: exit code\n{run}");
        for says in case.says {
            assert!(run.stderr.contains(says), "{name}: should say {says:?}\n{run}");
        }
        assert!(run.stderr.contains("put the file itself there"), "{name}\n{run}");
        assert_eq!(status(&fixture), before, "{name}: the tree changed");
    }
}

#[test]
fn a_file_over_the_cap_of_its_kind_is_refused_naming_the_cap() {
    let fixture = fixture("single-crate");
    fixture.write("dist/a.tar.gz", "asset\n");
    // A `.sha256` holds one line; this one is a megabyte of them.
    let line = format!("{}  a.tar.gz\n", "0".repeat(64));
    let text = line.repeat(1 << 20 >> 6);
    fixture.write("dist/a.tar.gz.sha256", &text);
    let run = run_within(fixture.command(&["checksum", "dist/a.tar.gz", "--verify"]), Duration::from_secs(60));
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains(&format!("dist/a.tar.gz.sha256 is {} bytes", text.len())), "{run}");
    assert!(run.stderr.contains("more than the 4 KiB a `.sha256` file may be"), "{run}");
}

/// `name` under the fixture's temporary directory, beside (not inside) the work tree.
fn outside(f: &Fixture, name: &str) -> std::path::PathBuf {
    f.tmp.path().join(name)
}

#[test]
#[cfg(unix)]
fn a_symlink_that_leads_out_of_the_workspace_is_never_written_through() {
    // A member manifest that is a link to a file outside the workspace.
    let fixture = fixture("explicit");
    std::fs::rename(fixture.path("crates/app/Cargo.toml"), outside(&fixture, "x.toml")).unwrap();
    std::os::unix::fs::symlink("../../../x.toml", fixture.path("crates/app/Cargo.toml")).unwrap();
    fixture.commit_all("the app's manifest lives elsewhere");
    let (files, kept) = (fixture.snapshot(), std::fs::read(outside(&fixture, "x.toml")).unwrap());
    for args in [&["bump", "minor"][..], &["bump", "minor", "--execute"]] {
        let run = fixture.run(args).fails(1);
        for says in [
            "crates/app/Cargo.toml is a symlink to ../../../x.toml",
            "outside the workspace",
            "nothing was written",
            "Replace the link with the file itself",
        ] {
            assert!(run.stderr.contains(says), "{args:?} should say {says:?}\n{run}");
        }
    }
    assert_eq!(std::fs::read(outside(&fixture, "x.toml")).unwrap(), kept, "the file outside changed");
    assert_same_files(&files, &fixture.snapshot());
}

#[test]
#[cfg(unix)]
fn a_changelog_that_leads_out_of_the_workspace_is_never_written_through() {
    // Relative, then absolute; `changelog` writes it, and `release`.
    let fixture = fixture("single-crate");
    let notes = outside(&fixture, "notes.md");
    std::fs::rename(fixture.path("CHANGELOG.md"), &notes).unwrap();
    std::os::unix::fs::symlink("../notes.md", fixture.path("CHANGELOG.md")).unwrap();
    fixture.commit_all("the changelog lives elsewhere");
    let (files, kept) = (fixture.snapshot(), std::fs::read(&notes).unwrap());
    let run = fixture.run(&["changelog", "--version", "0.2.0", "--execute"]).fails(1);
    assert!(run.stderr.contains("CHANGELOG.md is a symlink to ../notes.md"), "{run}");
    assert_same_files(&files, &fixture.snapshot());
    std::fs::remove_file(fixture.path("CHANGELOG.md")).unwrap();
    std::os::unix::fs::symlink(&notes, fixture.path("CHANGELOG.md")).unwrap();
    fixture.commit_all("the changelog lives elsewhere, by its absolute path");
    fixture.git(&["push", "--quiet", "origin", "main"]);
    let files_now = fixture.snapshot();
    for args in [
        &["changelog", "--version", "0.2.0", "--execute"][..],
        &["release", "minor", "--no-verify"],
        &["release", "minor", "--execute", "--yes", "--no-verify"],
    ] {
        let run = fixture.run(args).fails(1);
        let says = format!("CHANGELOG.md is a symlink to {}, outside the workspace", notes.display());
        assert!(run.stderr.contains(&says), "{args:?}\n{run}");
    }
    assert_eq!(std::fs::read(&notes).unwrap(), kept, "the file outside changed");
    assert_same_files(&files_now, &fixture.snapshot());
}

#[test]
#[cfg(unix)]
fn a_symlink_that_stays_inside_the_workspace_is_still_written_through() {
    let fixture = fixture("single-crate");
    std::fs::create_dir_all(fixture.path("docs")).unwrap();
    std::fs::rename(fixture.path("CHANGELOG.md"), fixture.path("docs/CHANGELOG.md")).unwrap();
    std::os::unix::fs::symlink("docs/CHANGELOG.md", fixture.path("CHANGELOG.md")).unwrap();
    fixture.commit_all("the changelog lives in docs/");
    fixture.run(&["changelog", "--version", "0.2.0", "--execute"]).ok();
    assert!(fixture.read("docs/CHANGELOG.md").contains("## [0.2.0]"));
    assert_eq!(status(&fixture), " M docs/CHANGELOG.md\n");
}

/// A workspace whose `b` holds only a requirement on `a` (its version is inherited), so
/// a bump writes `crates/b/Cargo.toml` first, then Cargo.lock, then the root manifest.
fn requirement_first(root: &Path) {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/a\", \"crates/b\"]\nresolver = \"2\"\n\n\
         [workspace.package]\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write("crates/a/Cargo.toml", "[package]\nname = \"a\"\nversion.workspace = true\nedition.workspace = true\n");
    write(
        "crates/b/Cargo.toml",
        "[package]\nname = \"b\"\nversion.workspace = true\nedition.workspace = true\n\n\
         [dependencies]\na = { path = \"../a\", version = \"0.1.0\" }\n",
    );
    write("crates/a/src/lib.rs", "");
    write("crates/b/src/lib.rs", "");
    write(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\n\n\
         [[package]]\nname = \"b\"\nversion = \"0.1.0\"\ndependencies = [\n \"a\",\n]\n",
    );
}

#[test]
fn a_failed_write_names_each_file_written_from_the_workspace_root() {
    let fixture = fixture_with(requirement_first);
    // A directory where Cargo.lock's temporary file goes: that write fails.
    std::fs::create_dir(fixture.path(".Cargo.lock.xtask-release.tmp")).unwrap();
    let run = fixture.run(&["bump", "minor", "--execute"]).fails(1);
    assert!(run.stderr.contains("the bump to 0.2.0 stopped: 1 of 3 files were written (crates/b/Cargo.toml)"), "{run}");
    assert_eq!(status(&fixture), " M crates/b/Cargo.toml\n", "only that file changed, no temporary file left");
    std::fs::remove_dir(fixture.path(".Cargo.lock.xtask-release.tmp")).unwrap();
    fixture.run(&["bump", "minor", "--execute"]).ok();
    fixture.assert_lock_consistent();
}

/// Runs the binary with `args` in `dir`, with the fixture's environment and files
/// limited to 8 blocks (4 KiB or 8 KiB, by the shell): a write past that fails as on a
/// full disk, with EFBIG.
#[cfg(unix)]
fn with_small_disk(f: &Fixture, dir: &Path, args: &str) -> Run {
    let line = format!("trap '' XFSZ; ulimit -f 8; exec '{}' {args}", support::BIN);
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &line]).current_dir(dir);
    f.env(&mut cmd);
    support::run(cmd)
}

#[test]
#[cfg(unix)]
fn a_bump_cut_short_by_a_full_disk_leaves_no_temporary_file() {
    // A manifest too big for the "disk": Cargo.lock (small, written first) goes in.
    let fixture = fixture("single-crate");
    let padding: String = (0..800).map(|n| format!("# padding {n:05}, so the manifest outgrows the limit\n")).collect();
    fixture.write("Cargo.toml", &(fixture.read("Cargo.toml") + &padding));
    fixture.commit_all("a long manifest");
    let run = with_small_disk(&fixture, &fixture.root, "bump minor --execute").fails(1);
    assert!(run.stderr.contains("1 of 2 files were written (Cargo.lock)"), "{run}");
    assert!(run.stderr.contains("cannot write"), "{run}");
    assert_eq!(status(&fixture), " M Cargo.lock\n", "no temporary file left");
}

#[test]
#[cfg(unix)]
fn checksums_cut_short_by_a_full_disk_leave_no_temporary_file() {
    // Outside any workspace (so no audit line is written): the sums file's write is cut
    // short after every `.sha256` was written.
    let fixture = fixture("single-crate");
    let dir = outside(&fixture, "assets");
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    for n in 0..200 {
        std::fs::write(dir.join(format!("dist/asset-with-a-long-name-{n:03}.tar.gz")), format!("{n}\n")).unwrap();
    }
    let run = with_small_disk(&fixture, &dir, "checksum dist --sums dist/SHA256SUMS --execute").fails(1);
    assert!(run.stderr.contains("cannot write") && run.stderr.contains("SHA256SUMS"), "{run}");
    let left: Vec<String> = std::fs::read_dir(dir.join("dist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".tar.gz"))
        .collect();
    assert!(left.is_empty(), "no temporary file left, no checksum file written: {left:?}");
}

#[test]
fn bump_refuses_a_stale_lock_file_with_check_versions_message() {
    let fixture = fixture("lockstep");
    let lock = fixture.read("Cargo.lock");
    let stale = "name = \"acme-core\"\nversion = \"0.0.5\"";
    fixture.write("Cargo.lock", &lock.replace("name = \"acme-core\"\nversion = \"0.1.0\"", stale));
    fixture.commit_all("a stale lock file");
    let check = fixture.run(&["check-version"]).fails(1);
    let line = check.stdout.lines().find(|l| l.starts_with("Cargo.lock: ")).expect("check-version names Cargo.lock");
    assert!(line.contains("`acme-core` is 0.0.5 here but 0.1.0 in its manifest"), "{check}");
    let files = fixture.snapshot();
    for args in [&["bump", "0.2.0", "--execute"][..], &["bump", "minor", "--execute"], &["bump", "0.2.0"]] {
        let run = fixture.run(args).fails(1);
        assert!(run.stderr.contains(line), "{args:?} should say {line:?}\n{run}");
        assert!(run.stderr.contains("a stale lock file, not an unfinished bump"), "{args:?}\n{run}");
        assert!(!run.stderr.contains("Bumping"), "{args:?}\n{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
}

#[test]
#[cfg(unix)]
fn an_index_lock_taken_after_the_preflight_is_named_with_the_command_that_clears_it() {
    // The test command runs after the git facts were gathered, and leaves git's index
    // lock behind as a killed git command would.
    let fixture = fixture("single-crate");
    fixture.configure_and_push(
        "\n[package.metadata.xtask-release]\ntest-command = [\"sh\", \"-c\", \"touch .git/index.lock\"]\n",
        "a test command that leaves the index locked",
    );
    let (files, head) = (fixture.snapshot(), fixture.head());
    let run = fixture.run(&["release", "minor", "--execute", "--yes", "--skip-fmt", "--skip-clippy"]).fails(1);
    let lock = fixture.path(".git/index.lock");
    for says in [
        format!("{} exists: a git command is running, or one was killed and left it", lock.display()),
        "nothing was changed".to_string(),
        format!("when no git command is running, remove it: `rm {}`", lock.display()),
    ] {
        assert!(run.stderr.contains(&says), "should say {says:?}\n{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(fixture.head(), head);
}
