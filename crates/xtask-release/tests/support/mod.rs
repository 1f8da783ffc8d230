//! Shared test harness: fixture workspaces copied into temp dirs and made git repos with
//! a bare repo as `origin`, the real `xtask-release` binary run on them, and snapshots of
//! every file to prove what changed and what did not.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_xtask-release");

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The project's tools directory, where `scripts/install-tools.sh` puts test tools.
pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools")
}

/// A tool installed by `scripts/install-tools.sh`; tests that need one fail (not skip)
/// without it, so a missing install step shows up.
pub fn tool(name: &str) -> PathBuf {
    let path = tools_dir().join("bin").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing; run scripts/install-tools.sh (scripts/test.sh does)", path.display());
    path
}

pub struct Fixture {
    /// Holds the temp dir alive; dropped last.
    pub tmp: TempDir,
    /// The work tree of the fixture repository.
    pub root: PathBuf,
    /// The bare repository that is `origin`.
    pub origin: PathBuf,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\n{self}");
        self
    }

    #[track_caller]
    pub fn fails(self, code: i32) -> Run {
        assert_eq!(self.code, code, "expected exit code {code}\n{self}");
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code: {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Copies `tests/fixtures/<name>` into a temp dir, commits it on `main`, and pushes it
/// to a bare `origin` with upstream tracking.
pub fn fixture(name: &str) -> Fixture {
    let src = fixtures_dir().join(name);
    assert!(src.is_dir(), "no fixture {}", src.display());
    fixture_with(|root| copy_dir(&src, root))
}

/// Like [`fixture`], with the files put in the work tree by `fill`.
pub fn fixture_with(fill: impl FnOnce(&Path)) -> Fixture {
    let tmp = tempfile::Builder::new().prefix("xtask-release-test-").tempdir().unwrap();
    let root = tmp.path().join("work");
    fill(&root);
    std::fs::write(
        tmp.path().join("gitconfig"),
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n",
    )
    .unwrap();
    let origin = tmp.path().join("origin.git");
    let fixture = Fixture { tmp, root, origin };
    fixture.git(&["init", "--quiet"]);
    fixture.git(&["add", "-A"]);
    fixture.git(&["commit", "--quiet", "-m", "initial"]);
    let origin_arg = fixture.origin.to_str().unwrap().to_string();
    fixture.git_in(fixture.tmp.path(), &["init", "--quiet", "--bare", &origin_arg]);
    fixture.git(&["remote", "add", "origin", &origin_arg]);
    fixture.git(&["push", "--quiet", "-u", "origin", "main"]);
    fixture
}

impl Fixture {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// The environment every child gets: no GitHub Actions variables leaking in from
    /// the machine, a fixed git identity and config, no colour, a private target dir.
    pub fn env(&self, cmd: &mut Command) {
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().to_string();
            if key.starts_with("GITHUB_")
                || key.starts_with("RUNNER_")
                || key.starts_with("CARGO_REGISTRIES_")
                || key == "CARGO_REGISTRY_TOKEN"
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env_remove("CARGO_TARGET_DIR")
            .env("CARGO_TARGET_DIR", self.tmp.path().join("target"))
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.tmp.path().join("gitconfig"))
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "Test Author")
            .env("GIT_COMMITTER_EMAIL", "author@example.com");
    }

    /// A command for the binary under test in the fixture's root, with `env` applied.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(&self.root);
        self.env(&mut cmd);
        cmd
    }

    /// Runs the binary under test with `args` in the fixture's root.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// Runs `xtask-release ARGS` on a terminal and types `typed` into it; returns the exit
    /// code and what the terminal showed. The terminal is a real pty from util-linux
    /// `script` (BSD `script` on macOS takes other flags, and Windows has none).
    #[cfg(target_os = "linux")]
    pub fn run_on_terminal(&self, args: &str, typed: &str) -> (Option<i32>, String) {
        let line = format!("{BIN} {args}");
        let mut cmd = Command::new("script");
        cmd.args(["--quiet", "--return", "--command", &line, "/dev/null"]).current_dir(&self.root);
        self.env(&mut cmd);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("util-linux `script` runs");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Runs git in the fixture's root and returns its stdout; panics on failure.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root, args)
    }

    #[track_caller]
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        self.env(&mut cmd);
        let run = run(cmd);
        assert_eq!(run.code, 0, "git {args:?} failed\n{run}");
        run.stdout
    }

    /// Every file under the root but `.git` and `target`, with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        snapshot_into(&self.root, &self.root, &mut files);
        files
    }
}

/// Asserts two snapshots are equal, naming the first file that differs.
#[track_caller]
pub fn assert_same_files(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    for (path, bytes) in before {
        match after.get(path) {
            None => panic!("{} was removed", path.display()),
            Some(now) if now != bytes => panic!("{} changed:\n{}", path.display(), String::from_utf8_lossy(now)),
            Some(_) => {}
        }
    }
    if let Some(extra) = after.keys().find(|p| !before.contains_key(*p)) {
        panic!("{} was created", extra.display());
    }
}

/// A stand-in for a checkout of xtask-release beside the fixture's work tree
/// (`../xtask-release`), for `init --dependency-path`, which wants a crate there.
pub fn stand_in_checkout(fixture: &Fixture) {
    let dir = fixture.tmp.path().join("xtask-release");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest =
        "[package]\nname = \"xtask-release\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\npath = \"lib.rs\"\n";
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("lib.rs"), "").unwrap();
}

pub fn run(mut cmd: Command) -> Run {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd`, and fails the test if it has not ended within `limit` (killing it, so a
/// command that hangs cannot hang the suite).
#[track_caller]
pub fn run_within(mut cmd: Command, limit: std::time::Duration) -> Run {
    use std::io::Read as _;
    use std::process::Stdio;
    // No terminal to wait on either.
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let run = Run {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    assert!(status.is_some(), "still running after {limit:?}, so it was stopped\n{run}");
    run
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
}

fn snapshot_into(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        if entry.file_type().unwrap().is_dir() {
            if name != ".git" && !(dir == root && name == "target") {
                snapshot_into(root, &path, files);
            }
        } else {
            files.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
        }
    }
}

pub mod echo;
pub mod expected;
pub mod git;
pub mod github;
pub mod normalise;
pub mod proxy;
pub mod registry;
pub mod release_flow;
pub mod slow;
pub mod workflow;

/// Asserts that no file under `dir` (logs, caches, packaged crates, the fixture's git
/// objects) holds `token`.
#[track_caller]
pub fn assert_no_file_holds(dir: &Path, token: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
                assert!(!found, "the token was written to {}", path.display());
            }
        }
    }
}
