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
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        } else {
            std::fs::remove_file(&hook).unwrap();
        }
    }
}
