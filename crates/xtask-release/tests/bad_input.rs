//! Inputs a user can get wrong, each refused with a message that names the problem and
//! the fix, exit code 1 (2 for usage), and the repository exactly as it was: every file,
//! every ref (local and origin) and the index.

mod support;

use support::{Fixture, assert_same_files, fixture};

/// The whole state a refused command must leave alone.
#[derive(Debug, PartialEq, Eq)]
struct Refs {
    local: String,
    origin: String,
    index: String,
}

fn refs(f: &Fixture) -> Refs {
    Refs {
        local: f.git(&["for-each-ref", "--format=%(objectname) %(refname)"]) + &f.git(&["rev-parse", "HEAD"]),
        origin: f.origin_refs(),
        index: f.git(&["ls-files", "--stage"]),
    }
}

/// Replaces `from` with `to` in `file` and commits it.
fn edit(f: &Fixture, file: &str, from: &str, to: &str) {
    let text = f.read(file);
    assert!(text.contains(from), "{file} has no {from:?}");
    f.write(file, &text.replace(from, to));
    f.commit_all(&format!("edit {file}"));
}

/// Sets the single-crate fixture's version (manifest and lock) and commits it.
fn at_version(f: &Fixture, version: &str) {
    for file in ["Cargo.toml", "Cargo.lock"] {
        f.write(file, &f.read(file).replace("version = \"0.1.0\"", &format!("version = \"{version}\"")));
    }
    f.commit_all(&format!("at {version}"));
}

/// Tags HEAD `v0.1.0` (annotated) and pushes the tag, as a finished release of 0.1.0.
fn released(f: &Fixture) {
    f.git(&["tag", "-a", "-m", "Release 0.1.0", "v0.1.0"]);
    f.git(&["push", "--quiet", "origin", "v0.1.0"]);
}

struct Case {
    name: &'static str,
    fixture: &'static str,
    /// Breaks the fixture before the run.
    setup: fn(&Fixture),
    args: &'static [&'static str],
    code: i32,
    /// Each must appear in stdout or stderr: the problem and the fix.
    says: &'static [&'static str],
}

fn none(_: &Fixture) {}

fn check(cases: &[Case]) {
    for case in cases {
        let fixture = fixture(case.fixture);
        (case.setup)(&fixture);
        let (files, before) = (fixture.snapshot(), refs(&fixture));
        let run = fixture.run(case.args);
        let name = case.name;
        assert_eq!(run.code, case.code, "{name}: exit code\n{run}");
        let said = format!("{}{}", run.stdout, run.stderr);
        for says in case.says {
            assert!(said.contains(says), "{name}: should say {says:?}\n{run}");
        }
        assert!(!said.contains("panicked"), "{name}\n{run}");
        assert_same_files(&files, &fixture.snapshot());
        assert_eq!(refs(&fixture), before, "{name}: refs or index changed");
    }
}

const SEMVER_RULE: &str = "only in build metadata, which SemVer (item 10) gives no precedence";

#[test]
fn build_metadata_never_makes_a_version_newer() {
    check(&[
        Case {
            name: "bump to the same version with build metadata",
            fixture: "single-crate",
            setup: none,
            args: &["bump", "0.1.0+build", "--execute"],
            code: 1,
            says: &["0.1.0+build differs from 0.1.0", SEMVER_RULE, "give a higher version (e.g. 0.1.1)"],
        },
        Case {
            name: "release of a tagged version with build metadata",
            fixture: "single-crate",
            setup: released,
            args: &["release", "0.1.0+build.1", "--execute", "--yes", "--no-verify"],
            code: 1,
            says: &["0.1.0+build.1 differs from 0.1.0", SEMVER_RULE, "give a higher version"],
        },
        Case {
            name: "other build metadata on a version that has some",
            fixture: "single-crate",
            setup: |f| at_version(f, "0.1.0+a"),
            args: &["bump", "0.1.0+b", "--execute"],
            code: 1,
            says: &["0.1.0+b differs from 0.1.0+a", SEMVER_RULE],
        },
    ]);
}

#[test]
fn version_numbers_at_their_limit_are_refused_not_overflowed() {
    check(&[
        Case {
            name: "major at the limit",
            fixture: "single-crate",
            setup: |f| at_version(f, "18446744073709551615.0.0"),
            args: &["bump", "major", "--execute"],
            code: 1,
            says: &["the major number 18446744073709551615 is the largest", "give the new version itself"],
        },
        Case {
            name: "patch at the limit",
            fixture: "single-crate",
            setup: |f| at_version(f, "0.0.18446744073709551615"),
            args: &["bump", "patch", "--execute"],
            code: 1,
            says: &["no next patch", "give the new version itself"],
        },
        Case {
            name: "rc of a plain version whose patch is at the limit",
            fixture: "single-crate",
            setup: |f| at_version(f, "0.0.18446744073709551615"),
            args: &["bump", "rc", "--execute"],
            code: 1,
            says: &["no next patch"],
        },
        Case {
            name: "rc number at the limit",
            fixture: "single-crate",
            setup: |f| at_version(f, "1.0.0-rc.18446744073709551615"),
            args: &["bump", "rc", "--execute"],
            code: 1,
            says: &["the rc number 18446744073709551615 is the largest", "give the new version itself"],
        },
        Case {
            name: "release with a level at the limit",
            fixture: "single-crate",
            setup: |f| at_version(f, "18446744073709551615.0.0"),
            args: &["release", "major", "--execute", "--yes", "--no-verify"],
            code: 1,
            says: &["no next major"],
        },
    ]);
}

#[test]
fn a_cargo_lock_out_of_step_is_named_as_what_is_wrong() {
    check(&[
        Case {
            name: "a stale, lower lock entry is not an unfinished bump",
            fixture: "single-crate",
            setup: |f| edit(f, "Cargo.toml", "version = \"0.1.0\"", "version = \"0.2.0\""),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &[
                "Cargo.lock: `single` is 0.1.0 here but 0.2.0 in its manifest",
                "run `cargo update --workspace` and commit Cargo.lock, then bump again",
                "a stale lock file, not an unfinished bump",
            ],
        },
        Case {
            name: "a lock entry above every manifest",
            fixture: "single-crate",
            setup: |f| edit(f, "Cargo.lock", "version = \"0.1.0\"", "version = \"0.9.0\""),
            args: &["bump", "0.5.0", "--execute"],
            code: 1,
            says: &["Cargo.lock (`single` entry): 0.9.0", "the lock file is out of step", "cargo update --workspace"],
        },
    ]);
}

/// Appends `[package.metadata.xtask-release]` with `lines` to the single-crate fixture.
fn config(f: &Fixture, lines: &str) {
    let manifest = f.read("Cargo.toml") + "\n[package.metadata.xtask-release]\n" + lines + "\n";
    f.write("Cargo.toml", &manifest);
    f.commit_all("config");
}

#[test]
fn tag_names_git_refuses_are_refused_before_any_commit() {
    check(&[
        Case {
            name: "a prefix with `..`, at config load",
            fixture: "single-crate",
            setup: |f| config(f, "tag-prefix = \"v..\""),
            args: &["release", "minor", "--execute", "--yes", "--no-verify"],
            code: 1,
            says: &["tag-prefix = \"v..\" in [package.metadata.xtask-release]", "contains `..`", "set a prefix"],
        },
        Case {
            name: "a prefix git would read as an option",
            fixture: "single-crate",
            setup: |f| config(f, "tag-prefix = \"--force \""),
            args: &["tag", "--execute", "--push"],
            code: 1,
            says: &["tag-prefix = \"--force \"", "starts with `-`, which git would take for an option"],
        },
        Case {
            name: "even for a command that makes no tag, the config is checked when loaded",
            fixture: "single-crate",
            setup: |f| config(f, "tag-prefix = \"v~\""),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["tag-prefix = \"v~\"", "which git refuses"],
        },
        Case {
            name: "a version whose build metadata makes an invalid tag",
            fixture: "single-crate",
            setup: none,
            args: &["release", "0.2.0+x.lock", "--execute", "--yes", "--no-verify"],
            code: 1,
            says: &["`v0.2.0+x.lock` cannot be a git tag", "ends with `.lock`", "change tag-prefix"],
        },
        Case {
            name: "an empty commit message",
            fixture: "single-crate",
            setup: |f| config(f, "commit-message = \" \""),
            args: &["release", "minor", "--execute", "--yes", "--no-verify"],
            code: 1,
            says: &["commit-message in [package.metadata.xtask-release]", "is empty", "set one"],
        },
    ]);
}

/// A directory with only cargo on it: git is missing. (A symlink to cargo: Unix only,
/// as Windows makes symlinks only with a privilege most accounts lack.)
#[cfg(unix)]
fn path_without_git(f: &Fixture) -> std::path::PathBuf {
    let bin = f.tmp.path().join("bin-without-git");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = std::env::var_os("CARGO").map(std::path::PathBuf::from).unwrap_or_else(|| "cargo".into());
    let cargo = if cargo.is_absolute() { cargo } else { which("cargo") };
    let link = bin.join("cargo");
    if !link.exists() {
        std::os::unix::fs::symlink(cargo, link).unwrap();
    }
    bin
}

#[cfg(unix)]
fn which(name: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.exists()).unwrap()
}

#[test]
#[cfg(unix)]
fn git_missing_or_no_repository_is_said_so() {
    let fixture = fixture("single-crate");
    let (files, before) = (fixture.snapshot(), refs(&fixture));
    for args in [&["release", "minor"][..], &["tag"], &["changelog", "--version", "0.2.0"]] {
        let mut cmd = fixture.command(args);
        cmd.env("PATH", path_without_git(&fixture));
        let run = support::run(cmd).fails(1);
        assert!(run.stderr.contains("cannot run git"), "{args:?}\n{run}");
        assert!(run.stderr.contains("install git, or put it on PATH"), "{args:?}\n{run}");
        assert!(!run.stderr.contains("does the repository have a commit"), "{args:?}\n{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(refs(&fixture), before);

    // The same work tree without its repository.
    std::fs::rename(fixture.path(".git"), fixture.tmp.path().join("moved.git")).unwrap();
    let files = fixture.snapshot();
    for args in [&["release", "minor"][..], &["tag"]] {
        let run = fixture.run(args).fails(1);
        assert!(run.stderr.contains("is not in a git work tree"), "{args:?}\n{run}");
        assert!(run.stderr.contains("run this from the repository's checkout"), "{args:?}\n{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
}

#[test]
#[cfg(unix)]
fn symlinked_files_are_written_through_and_stay_links() {
    let fixture = fixture("single-crate");
    std::fs::create_dir_all(fixture.path("real")).unwrap();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::rename(fixture.path(file), fixture.path(&format!("real/{file}"))).unwrap();
        std::os::unix::fs::symlink(format!("real/{file}"), fixture.path(file)).unwrap();
    }
    fixture.commit_all("manifest and lock file behind symlinks");
    fixture.run(&["bump", "minor", "--execute"]).ok();
    for file in ["Cargo.toml", "Cargo.lock"] {
        let meta = std::fs::symlink_metadata(fixture.path(file)).unwrap();
        assert!(meta.file_type().is_symlink(), "{file} was replaced by a regular file");
        assert!(fixture.read(&format!("real/{file}")).contains("version = \"0.2.0\""), "{file}");
    }
    let status = fixture.git(&["status", "--porcelain"]);
    assert_eq!(status, " M real/Cargo.lock\n M real/Cargo.toml\n", "only the targets changed");
}

#[test]
fn a_failed_write_says_what_was_written_and_the_same_command_finishes_it() {
    let fixture = fixture("single-crate");
    // A directory where the manifest's temporary file goes: that write fails, after
    // Cargo.lock (written first) succeeded.
    std::fs::create_dir(fixture.path(".Cargo.toml.xtask-release.tmp")).unwrap();
    let failed = fixture.run(&["bump", "minor", "--execute"]).fails(1);
    for says in [
        "the bump to 0.2.0 stopped: 1 of 2 files were written (Cargo.lock)",
        "run the same command again, which finishes the bump",
        "cannot write",
    ] {
        assert!(failed.stderr.contains(says), "should say {says:?}\n{failed}");
    }
    std::fs::remove_dir(fixture.path(".Cargo.toml.xtask-release.tmp")).unwrap();
    let finished = fixture.run(&["bump", "minor", "--execute"]).ok();
    assert!(finished.stderr.contains("Bumping single from 0.1.0 to 0.2.0"), "{finished}");
    assert!(fixture.read("Cargo.toml").contains("version = \"0.2.0\""));
    assert!(fixture.read("Cargo.lock").contains("version = \"0.2.0\""));
    assert_eq!(fixture.git(&["status", "--porcelain"]), " M Cargo.lock\n M Cargo.toml\n", "no temporary file left");
}

#[test]
fn temporary_files_of_a_killed_run_are_removed_by_the_next_bump_and_named_by_tag() {
    let fixture = fixture("single-crate");
    fixture.write(".Cargo.toml.xtask-release.tmp", "[package]\nname = \"sin");
    let files = fixture.snapshot();
    let tag = fixture.run(&["tag"]).fails(1);
    assert!(tag.stdout.contains(".Cargo.toml.xtask-release.tmp"), "{tag}");
    assert!(tag.stdout.contains("left by an interrupted run: delete them"), "{tag}");
    let dry = fixture.run(&["bump", "minor"]).ok();
    assert!(dry.stderr.contains(".Cargo.toml.xtask-release.tmp was left by an interrupted run"), "{dry}");
    assert_same_files(&files, &fixture.snapshot());

    let run = fixture.run(&["bump", "minor", "--execute"]).ok();
    assert!(run.stderr.contains("removing it"), "{run}");
    assert!(!fixture.path(".Cargo.toml.xtask-release.tmp").exists());
    assert_eq!(fixture.git(&["status", "--porcelain"]), " M Cargo.lock\n M Cargo.toml\n");
}

#[test]
fn paths_and_names_that_leave_their_place_are_refused() {
    check(&[
        Case {
            name: "a changelog outside the workspace",
            fixture: "single-crate",
            setup: |f| config(f, "changelog = \"../../x\""),
            args: &["release", "minor", "--execute", "--yes", "--no-verify"],
            code: 1,
            says: &["changelog = \"../../x\"", "is not inside the workspace", "relative to the workspace root"],
        },
        Case {
            name: "an extra file outside the workspace",
            fixture: "single-crate",
            setup: |f| config(f, "extra-files = [\"docs/../../outside.txt\"]"),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["extra-files = \"docs/../../outside.txt\"", "is not inside the workspace", "without `..`"],
        },
        Case {
            name: "an absolute extra file",
            fixture: "single-crate",
            setup: |f| config(f, "extra-files = [\"/etc/hostname\"]"),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["extra-files = \"/etc/hostname\"", "is not inside the workspace"],
        },
        Case {
            name: "a package both published and excluded",
            fixture: "single-crate",
            setup: none,
            args: &["publish-ordered", "-p", "single", "--exclude", "single"],
            code: 2,
            says: &["`single` is given both to -p and to --exclude", "give it to one of them"],
        },
    ]);
}

#[test]
fn a_github_repository_that_is_not_owner_slash_name_is_refused_before_any_request() {
    let fixture = fixture("single-crate");
    let (files, before) = (fixture.snapshot(), refs(&fixture));
    for repository in ["../..", "acme/..", "-acme/widget", "acme/widget/extra", "acme/."] {
        let mut cmd = fixture.command(&["github-release", "--tag", "v0.1.0", "--execute"]);
        // Nothing listens there: a request would fail with another message.
        cmd.env("GITHUB_REPOSITORY", repository)
            .env("GITHUB_TOKEN", "canary-token-for-repository")
            .env("GITHUB_API_URL", "http://127.0.0.1:9");
        let run = support::run(cmd).fails(1);
        assert!(run.stderr.contains(&format!("GITHUB_REPOSITORY is `{repository}`, not `owner/name`")), "{run}");
        assert!(run.stderr.contains("fix or unset it"), "{run}");
    }
    assert_same_files(&files, &fixture.snapshot());
    assert_eq!(refs(&fixture), before);
}
