//! Files a user controls: a FIFO or a device where a file should be is refused at once,
//! never read (nor waited on), and a file over the cap of its kind is not read.

mod support;

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Fixture, Run, fixture};

/// Runs `cmd` and fails the test when it is still running after `limit`: the command
/// must end on its own, not wait on a FIFO or read a device for ever.
fn run_within(mut cmd: Command, limit: Duration) -> Run {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { code: status.code().unwrap_or(-1), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

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
