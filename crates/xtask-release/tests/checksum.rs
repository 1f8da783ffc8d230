//! `checksum`: what it writes is accepted by the real `sha256sum -c`, and `--verify`
//! names every file that is tampered with, missing or not covered.

mod support;

use support::{Fixture, assert_same_files, fixture};

/// Runs the real `sha256sum` in `dir` with `args`: GNU coreutils', which every Linux
/// has (macOS and Windows do not ship it), so the tests that use it are Linux-only.
#[cfg(target_os = "linux")]
fn sha256sum(dir: &std::path::Path, args: &[&str]) -> support::Run {
    let mut cmd = std::process::Command::new("sha256sum");
    cmd.args(args).current_dir(dir);
    support::run(cmd)
}

fn assets(fixture: &Fixture) {
    fixture.write("dist/tool-1.0.0-linux-amd64", "a binary\n");
    fixture.write("dist/tool-1.0.0-windows-amd64.exe", "another binary\n");
    fixture.write("dist/empty", "");
    fixture.write("dist/nested/notes.txt", "nested\n");
}

#[test]
#[cfg(target_os = "linux")]
fn sha256sum_accepts_every_checksum_file_and_the_sums_file() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    // The sums file lives outside the directory, so its names need a path part.
    let run = fixture.run(&["checksum", "dist", "--sums", "SHA256SUMS", "--execute"]).ok();
    assert!(
        run.stdout.contains("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  dist/empty"),
        "{run}"
    );

    for (dir, file) in [
        ("dist", "tool-1.0.0-linux-amd64"),
        ("dist", "tool-1.0.0-windows-amd64.exe"),
        ("dist", "empty"),
        ("dist/nested", "notes.txt"),
    ] {
        let sidecar = fixture.read(&format!("{dir}/{file}.sha256"));
        assert!(sidecar.ends_with(&format!("  {file}\n")), "bare file name in {sidecar}");
        let check = sha256sum(&fixture.path(dir), &["-c", "--strict", &format!("{file}.sha256")]);
        assert_eq!(check.code, 0, "{check}");
        assert!(check.stdout.contains(&format!("{file}: OK")), "{check}");
    }
    let sums = fixture.read("SHA256SUMS");
    assert_eq!(sums.lines().count(), 4, "{sums}");
    assert!(sums.contains("  dist/nested/notes.txt\n"), "{sums}");
    let check = sha256sum(&fixture.root, &["-c", "--strict", "SHA256SUMS"]);
    assert_eq!(check.code, 0, "{check}");
    assert_eq!(check.stdout.matches(": OK").count(), 4, "{check}");

    // Re-running, now with the sums file inside the directory it covers, leaves the
    // sums file and the `.sha256` files out of the hashing.
    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).ok();
    let inner = fixture.read("dist/SHA256SUMS");
    assert!(!inner.contains("sha256") && !inner.contains("SUMS") && inner.contains("  nested/notes.txt\n"), "{inner}");
    let check = sha256sum(&fixture.path("dist"), &["-c", "--strict", "SHA256SUMS"]);
    assert_eq!(check.code, 0, "{check}");
    fixture.run(&["checksum", "--verify", "dist"]).ok();
    fixture.run(&["checksum", "--verify", "--sums", "dist/SHA256SUMS", "dist"]).ok();
}

#[test]
fn verify_names_tampered_missing_and_uncovered_files() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).ok();
    fixture.write("dist/tool-1.0.0-linux-amd64", "a binary, tampered with\n");
    std::fs::remove_file(fixture.path("dist/empty")).unwrap();
    fixture.write("dist/extra.tar.gz", "not promised\n");

    for args in [&["checksum", "--verify", "dist"][..], &["checksum", "--verify", "--sums", "dist/SHA256SUMS", "dist"]]
    {
        let run = fixture.run(args).fails(1);
        assert!(run.stdout.contains("dist/tool-1.0.0-linux-amd64: FAILED"), "{run}");
        assert!(run.stdout.contains("dist/empty: MISSING"), "{run}");
        assert!(run.stdout.contains("dist/extra.tar.gz: NO"), "{run}");
        assert!(run.stdout.contains("dist/tool-1.0.0-windows-amd64.exe: OK"), "{run}");
        assert!(run.stderr.contains("did not verify") && run.stderr.contains("dist/empty: MISSING"), "{run}");
    }
    // The real sha256sum agrees on what is wrong.
    #[cfg(target_os = "linux")]
    {
        let check = sha256sum(&fixture.path("dist"), &["-c", "SHA256SUMS"]);
        assert_ne!(check.code, 0);
        assert!(check.stdout.contains("tool-1.0.0-linux-amd64: FAILED"), "{check}");
    }
}

#[test]
fn json_verification_report() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    fixture.run(&["checksum", "dist/empty", "--execute"]).ok();
    let run = fixture.run(&["--format", "json", "checksum", "--verify", "dist/empty"]).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!({
            "format_version": 1,
            "verified": true,
            "findings": [{ "file": "dist/empty", "status": "ok" }],
        })
    );
}

#[test]
fn bad_input_writes_nothing() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    let before = fixture.snapshot();

    let run = fixture.run(&["checksum", "dist", "no-such-file", "--execute"]).fails(1);
    assert!(run.stderr.contains("no-such-file does not exist"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    // A dangling symlink cannot be read: nothing is written for the files before it either.
    // (Windows makes symlinks only with a privilege most accounts lack.)
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("gone", fixture.path("dist/zz-dangling")).unwrap();
        let run = fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).fails(1);
        assert!(run.stderr.contains("cannot read dist/zz-dangling"), "{run}");
        std::fs::remove_file(fixture.path("dist/zz-dangling")).unwrap();
        assert_same_files(&before, &fixture.snapshot());
    }

    fixture.write("dist/bad.sha256", "not a checksum\n");
    let run = fixture.run(&["checksum", "--verify", "dist/bad.sha256"]).fails(1);
    assert!(run.stderr.contains("dist/bad.sha256:1: not a SHA-256 checksum line"), "{run}");
}

/// A sparse 1 GiB file hashes to what `sha256sum` says, and the process's peak resident
/// memory stays far below the file's size, so it was streamed, not read whole.
#[test]
#[cfg(target_os = "linux")]
fn a_one_gib_file_is_streamed() {
    let fixture = fixture("single-crate");
    let big = fixture.path("dist/big.bin");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);

    let mut child = fixture.command(&["checksum", "dist/big.bin", "--execute"]).spawn().unwrap();
    let peak_kib = peak_rss_kib(&mut child);
    assert!(child.wait().unwrap().success());

    let ours = fixture.read("dist/big.bin.sha256");
    let theirs = sha256sum(&fixture.path("dist"), &["big.bin"]).ok().stdout;
    assert_eq!(ours, theirs);
    assert!(peak_kib > 0, "never saw the process's memory");
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB while hashing a 1 GiB file");
}

/// The child's peak resident set (`VmHWM`, which only grows) as last seen before it
/// exits, polled from /proc: hashing 1 GiB takes far longer than the polling interval,
/// and reading the file whole would have to grow the memory while it runs.
#[cfg(target_os = "linux")]
fn peak_rss_kib(child: &mut std::process::Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        let hwm = std::fs::read_to_string(&status).ok().and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak = peak.max(hwm.unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    peak
}

/// Without `--execute`, `checksum` hashes, prints the digests and what it would write,
/// and writes nothing.
// The messages name walked paths, which Windows joins with `\\`.
#[cfg(unix)]
#[test]
fn a_dry_run_writes_nothing() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    let before = fixture.snapshot();
    let run = fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS"]).ok();
    assert!(
        run.stdout.contains("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  dist/empty"),
        "{run}"
    );
    assert!(run.stdout.contains("would write dist/empty.sha256\n"), "{run}");
    assert!(run.stdout.contains("would write dist/SHA256SUMS\n"), "{run}");
    assert!(run.stderr.contains("dry run: 5 checksum files to write, nothing written; pass --execute"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).ok();
    let run = fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS"]).ok();
    assert!(run.stderr.contains("0 checksum files to write (5 already up to date)"), "{run}");
}

/// A checksum file that could vouch for another file than its own is refused, naming
/// it and what to do, by `checksum --verify` and `verify-assets`, and nothing changes.
// The messages name walked paths, which Windows joins with `\\`.
#[cfg(unix)]
#[test]
fn checksum_files_speak_only_for_their_own_files() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    fixture.run(&["checksum", "dist", "--execute"]).ok();
    let sibling = fixture.read("dist/tool-1.0.0-windows-amd64.exe.sha256");

    // A replaced asset whose `.sha256` points at an untouched sibling.
    fixture.write("dist/tool-1.0.0-linux-amd64", "replaced\n");
    fixture.write("dist/tool-1.0.0-linux-amd64.sha256", &sibling);
    let before = fixture.snapshot();
    let run = fixture.run(&["checksum", "--verify", "dist"]).fails(1);
    assert!(
        run.stderr
            .contains("dist/tool-1.0.0-linux-amd64.sha256 must hold exactly one line naming `tool-1.0.0-linux-amd64`")
            && run.stderr.contains("names `tool-1.0.0-windows-amd64.exe`"),
        "{run}"
    );
    assert!(run.stderr.contains("replace both files with the ones the build wrote"), "{run}");
    // Writing does not bless it either.
    let run = fixture.run(&["checksum", "dist", "--execute"]).fails(1);
    assert!(run.stderr.contains("must hold exactly one line naming"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    // Names outside the sums file's directory, relative or absolute.
    let digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    for name in ["../../../../etc/hostname", "/etc/hostname", "nested/../../x"] {
        fixture.write("dist/SHA256SUMS", &format!("{digest}  {name}\n"));
        let before = fixture.snapshot();
        let run = fixture.run(&["checksum", "--verify", "--sums", "dist/SHA256SUMS", "dist"]).fails(1);
        assert!(
            run.stderr.contains(&format!("dist/SHA256SUMS names `{name}`, which is outside its directory")),
            "{run}"
        );
        assert!(run.stderr.contains("regenerate it with"), "{run}");
        assert_same_files(&before, &fixture.snapshot());
    }

    // A sums file cannot be written where it could not name the files.
    let run =
        fixture.run(&["checksum", "dist/nested", "--sums", "dist/nested/SUMS", "dist/empty", "--execute"]).fails(1);
    assert!(run.stderr.contains("is outside") && run.stderr.contains("sums file's directory"), "{run}");
}

/// The same refusal from `verify-assets`, on the fixture's default matrix.
// The messages name walked paths, which Windows joins with `\\`.
#[cfg(unix)]
#[test]
fn verify_assets_checks_each_asset_against_its_own_checksum() {
    let fixture = fixture("single-crate");
    let names: Vec<String> = ["linux-amd64", "linux-arm64", "macos-intel", "macos-silicon", "windows-amd64.exe"]
        .iter()
        .flat_map(|p| ["single-a", "single-b"].map(|b| format!("{b}-0.1.0-{p}")))
        .collect();
    for name in &names {
        fixture.write(&format!("dist/{name}"), &format!("{name}\n"));
    }
    fixture.run(&["checksum", "dist", "--execute"]).ok();
    fixture.run(&["verify-assets", "dist"]).ok();

    fixture.write("dist/single-a-0.1.0-linux-amd64", "replaced\n");
    let sibling = fixture.read("dist/single-b-0.1.0-linux-amd64.sha256");
    fixture.write("dist/single-a-0.1.0-linux-amd64.sha256", &sibling);
    let before = fixture.snapshot();
    let run = fixture.run(&["verify-assets", "dist"]).fails(1);
    assert!(run.stderr.contains("must hold exactly one line naming `single-a-0.1.0-linux-amd64`"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    // With the right name but the old digest, the asset itself is what fails.
    let own = sibling.replace("single-b-", "single-a-");
    fixture.write("dist/single-a-0.1.0-linux-amd64.sha256", &own);
    let run = fixture.run(&["verify-assets", "dist"]).fails(1);
    assert!(run.stdout.contains("dist/single-a-0.1.0-linux-amd64: FAILED"), "{run}");
}

/// A FIFO is never opened: a walk skips it with a note, naming it is refused, and a
/// sums file listing it reports it; none of them waits for a writer.
#[cfg(unix)]
#[test]
fn special_files_are_never_opened() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    let made = std::process::Command::new("mkfifo").arg(fixture.path("dist/pipe")).status().unwrap();
    assert!(made.success());

    let run = fixture.run(&["checksum", "dist", "--execute"]).ok();
    assert!(run.stderr.contains("skipped dist/pipe (not a regular file"), "{run}");
    assert!(!fixture.path("dist/pipe.sha256").exists());

    // A snapshot would open the FIFO itself, so the listing and the other files stand in.
    let before = (names_under(&fixture.path("dist")), fixture.read("dist/empty.sha256"));
    let run = fixture.run(&["checksum", "dist/pipe", "--execute"]).fails(1);
    assert!(run.stderr.contains("dist/pipe is not a regular file"), "{run}");
    let run = fixture.run(&["checksum", "--verify", "dist"]).fails(1);
    assert!(run.stdout.contains("dist/pipe: NOT A FILE"), "{run}");

    fixture.write("dist/pipe.sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  pipe\n");
    let run = fixture.run(&["checksum", "--verify", "dist/pipe.sha256"]).fails(1);
    assert!(run.stdout.contains("dist/pipe: NOT A FILE"), "{run}");
    std::fs::remove_file(fixture.path("dist/pipe.sha256")).unwrap();
    assert_eq!(before, (names_under(&fixture.path("dist")), fixture.read("dist/empty.sha256")));
}

#[cfg(unix)]
fn names_under(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Every output location is checked before anything is written.
#[test]
fn a_bad_output_location_writes_nothing() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    let before = fixture.snapshot();
    let run = fixture.run(&["checksum", "dist", "--sums", "dist/nested", "--execute"]).fails(1);
    assert!(run.stderr.contains("--sums dist/nested names a directory; give the sums file's path"), "{run}");
    let run = fixture.run(&["checksum", "dist", "--sums", "dist/none/SUMS", "--execute"]).fails(1);
    assert!(run.stderr.contains("the directory of --sums dist/none/SUMS does not exist"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    // An unwritable directory among several: no `.sha256` lands anywhere.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let nested = fixture.path("dist/nested");
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o555)).unwrap();
        let writable = std::fs::File::create(nested.join("probe")).is_ok();
        if !writable {
            let run = fixture.run(&["checksum", "dist", "--execute"]).fails(1);
            assert!(run.stderr.contains("cannot write dist/nested/notes.txt.sha256; nothing was written"), "{run}");
        }
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).unwrap();
        let _ = std::fs::remove_file(nested.join("probe"));
        assert_same_files(&before, &fixture.snapshot());
    }
}

/// A `.sha256` that disagrees with its file is not overwritten: that is the corruption
/// a checksum exists to catch.
// The messages name walked paths, which Windows joins with `\\`.
#[cfg(unix)]
#[test]
fn a_disagreeing_checksum_is_not_overwritten() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    fixture.run(&["checksum", "dist", "--execute"]).ok();
    fixture.write("dist/empty", "corrupted in transit\n");
    let before = fixture.snapshot();
    let run = fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).fails(1);
    assert!(
        run.stderr.contains("dist/empty.sha256 says e3b0c442") && run.stderr.contains("changed after its checksum"),
        "{run}"
    );
    assert!(run.stderr.contains("if the new file is right, delete dist/empty.sha256 and re-run"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
}
