//! `checksum`: what it writes is accepted by the real `sha256sum -c`, and `--verify`
//! names every file that is tampered with, missing or not covered.

mod support;

use std::path::Path;
use std::process::Command;

use support::{Fixture, Run, assert_same_files, fixture};

/// Runs the real `sha256sum` in `dir` with `args`: GNU coreutils', which every Linux
/// has (macOS and Windows do not ship it), so the tests that use it are Linux-only.
#[cfg(target_os = "linux")]
fn sha256sum(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new("sha256sum");
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
    let run = fixture.run(&["checksum", "dist", "--sums", "SHA256SUMS"]).ok();
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
    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS"]).ok();
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
    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS"]).ok();
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
    fixture.run(&["checksum", "dist/empty"]).ok();
    let run = fixture.run(&["--format", "json", "checksum", "--verify", "dist/empty"]).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report, serde_json::json!([{ "file": "dist/empty", "status": "ok" }]));
}

#[test]
fn bad_input_writes_nothing() {
    let fixture = fixture("single-crate");
    assets(&fixture);
    let before = fixture.snapshot();

    let run = fixture.run(&["checksum", "dist", "no-such-file"]).fails(1);
    assert!(run.stderr.contains("no-such-file does not exist"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    // A dangling symlink cannot be read: nothing is written for the files before it either.
    // (Windows makes symlinks only with a privilege most accounts lack.)
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("gone", fixture.path("dist/zz-dangling")).unwrap();
        let run = fixture.run(&["checksum", "dist", "--sums", "SHA256SUMS"]).fails(1);
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

    let mut child = fixture.command(&["checksum", "dist/big.bin"]).spawn().unwrap();
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
