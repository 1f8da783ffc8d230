//! Git helpers for the tag and release tests: what the bare origin holds, and changes
//! made behind the fixture's back from a second clone.

use super::Fixture;

impl Fixture {
    /// Every ref of the bare origin with the object it names, one per line.
    pub fn origin_refs(&self) -> String {
        let origin = self.origin.to_str().unwrap().to_string();
        self.git(&["--git-dir", &origin, "for-each-ref", "--format=%(objectname) %(refname)"])
    }

    /// The local tags, one per line.
    pub fn tags(&self) -> String {
        self.git(&["tag", "--list"])
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Stages everything and commits it.
    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "--quiet", "-m", message]);
    }

    /// Appends `toml` to the root Cargo.toml, commits it and pushes `main`, so a release
    /// starts clean and up to date with the new config.
    pub fn configure_and_push(&self, toml: &str, message: &str) {
        self.write("Cargo.toml", &(self.read("Cargo.toml") + toml));
        self.commit_all(message);
        self.git(&["push", "--quiet", "origin", "main"]);
    }

    /// Commits a new file in a second clone and pushes it to origin's `main`, so that
    /// the fixture's `main` is behind.
    pub fn push_from_elsewhere(&self, file: &str) {
        let other = self.tmp.path().join("elsewhere");
        let (origin, other_arg) = (self.origin.to_str().unwrap().to_string(), other.to_str().unwrap().to_string());
        self.git_in(self.tmp.path(), &["clone", "--quiet", &origin, &other_arg]);
        std::fs::write(other.join(file), "from elsewhere\n").unwrap();
        self.git_in(&other, &["add", file]);
        self.git_in(&other, &["commit", "--quiet", "-m", "elsewhere"]);
        self.git_in(&other, &["push", "--quiet", "origin", "main"]);
    }

    /// Makes the bare origin reject every push (a `pre-receive` hook that exits 1), or
    /// accept them again.
    pub fn origin_rejects_pushes(&self, reject: bool) {
        let hook = self.origin.join("hooks/pre-receive");
        if reject {
            std::fs::write(&hook, "#!/bin/sh\necho 'origin: pushes are closed' >&2\nexit 1\n").unwrap();
            // Git for Windows runs hooks through its own sh without an executable bit.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        } else {
            std::fs::remove_file(&hook).unwrap();
        }
    }
}

/// A git state `tag` and `release` must refuse, and the words that name the problem.
pub struct BadState {
    pub name: &'static str,
    pub setup: Box<dyn Fn(&Fixture)>,
    pub message: String,
}

impl BadState {
    pub fn new(name: &'static str, message: impl Into<String>, setup: impl Fn(&Fixture) + 'static) -> BadState {
        BadState { name, setup: Box::new(setup), message: message.into() }
    }
}

/// The git states both commands refuse when about to make and push `tag`.
pub fn bad_git_states(tag: &'static str) -> Vec<BadState> {
    vec![
        BadState::new("dirty tree", "the working tree is dirty", |f| f.write("src/bin/a.rs", "fn main() {}\n")),
        BadState::new("untracked file", "new.txt", |f| f.write("new.txt", "x\n")),
        BadState::new("wrong branch", "on branch feature, not the release branch main", |f| {
            f.git(&["switch", "--quiet", "-c", "feature"]);
        }),
        BadState::new("detached HEAD", "HEAD is detached", |f| {
            f.git(&["switch", "--quiet", "--detach"]);
        }),
        BadState::new("tag exists locally", format!("tag {tag} already exists locally"), move |f| {
            f.git(&["tag", tag]);
        }),
        BadState::new("tag exists on the remote only", format!("tag {tag} already exists on origin"), move |f| {
            f.git(&["tag", tag]);
            f.git(&["push", "--quiet", "origin", tag]);
            f.git(&["tag", "-d", tag]);
        }),
        BadState::new("branch behind upstream", "1 commit behind origin/main", |f| f.push_from_elsewhere("other.txt")),
        BadState::new("branch ahead of upstream", "1 commit ahead of origin/main", |f| {
            f.write("more.txt", "x\n");
            f.commit_all("unpushed");
        }),
        BadState::new("no remote to push to", "there is no remote origin", |f| {
            f.git(&["remote", "remove", "origin"]);
        }),
    ]
}

/// Sets up each state on a fresh fixture and asserts that `args` exits with 1, names
/// the problem, and leaves files, HEAD, local tags and origin exactly as they were.
pub fn assert_refused_everywhere(fixture_name: &str, args: &[&str], states: &[BadState]) {
    for state in states {
        let fixture = super::fixture(fixture_name);
        (state.setup)(&fixture);
        let (files, head, tags, refs) = (fixture.snapshot(), fixture.head(), fixture.tags(), fixture.origin_refs());

        let run = fixture.run(args);

        let name = state.name;
        assert_eq!(run.code, 1, "{name}: exit code\n{run}");
        assert!(run.stdout.contains(&state.message), "{name}: expected {:?}\n{run}", state.message);
        assert!(run.stderr.contains("preflight failed"), "{name}\n{run}");
        super::assert_same_files(&files, &fixture.snapshot());
        assert_eq!(fixture.head(), head, "{name}: HEAD moved");
        assert_eq!(fixture.tags(), tags, "{name}: tags changed");
        assert_eq!(fixture.origin_refs(), refs, "{name}: origin changed");
    }
}
