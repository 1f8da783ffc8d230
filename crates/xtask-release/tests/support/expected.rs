//! Expected trees: `tests/expected/<name>/` holds the whole expected text of every file a
//! command should change; every other file must stay byte-for-byte as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Fixture;

pub fn expected_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected").join(name)
}

impl Fixture {
    /// Asserts the fixture now holds `before` with exactly the files of
    /// `tests/expected/<name>/` replaced, naming the first file that differs.
    #[track_caller]
    pub fn assert_expected(&self, before: &BTreeMap<PathBuf, Vec<u8>>, name: &str) {
        let mut want = before.clone();
        let mut expected = BTreeMap::new();
        super::snapshot_into(&expected_dir(name), &expected_dir(name), &mut expected);
        assert!(!expected.is_empty(), "tests/expected/{name} is empty");
        for (path, bytes) in expected {
            assert!(want.contains_key(&path), "tests/expected/{name}/{} is not a file of the fixture", path.display());
            want.insert(path, bytes);
        }
        super::assert_same_files(&want, &self.snapshot());
    }

    /// Asserts cargo accepts Cargo.lock as it is: resolving the workspace offline with
    /// `--locked` fails when the lock file is stale.
    #[track_caller]
    pub fn assert_lock_consistent(&self) {
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.args(["metadata", "--offline", "--locked", "--format-version", "1"]).current_dir(&self.root);
        self.env(&mut cmd);
        let run = super::run(cmd);
        assert_eq!(run.code, 0, "cargo metadata --locked rejects Cargo.lock\n{run}");
    }
}
