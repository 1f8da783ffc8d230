//! A release made by our own commands, for the tests of what comes after it: the
//! lockstep fixture tagged and pushed to its bare origin, published to the real local
//! registry, and released with assets on the loopback GitHub server.

use std::path::PathBuf;
use std::process::Command;

use super::github::GitHubMock;
use super::registry::Registry;
use super::{Fixture, Run};

/// The one token every service is given (registry and GitHub); it must never show up
/// in any output or file.
pub const CANARY: &str = "ghs_canary5c2f9e1dTOKEN";

/// The lockstep fixture's publishable crates in publish order, levels apart.
pub const CRATES: [&str; 5] = ["acme-core", "acme-security", "acme-storage", "acme-sdk", "acme-proxy"];

pub struct Released {
    pub fixture: Fixture,
    pub registry: Registry,
    pub mock: GitHubMock,
    /// The directory the release's assets were made in.
    pub dist: PathBuf,
}

impl Released {
    /// The lockstep fixture pointed at the local registry, with a registry and a GitHub
    /// server running; nothing released yet.
    pub fn new() -> Released {
        let fixture = super::fixture("lockstep");
        super::registry::publish_fixture_to_local(&fixture);
        fixture.git(&["push", "--quiet", "origin", "main"]);
        let registry = Registry::start(fixture.tmp.path());
        let mock = GitHubMock::start(CANARY);
        let dist = fixture.tmp.path().join("dist");
        Released { fixture, registry, mock, dist }
    }

    /// A command of the binary under test with cargo pointed at the local registry and
    /// GitHub at the mock, each given the canary token.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.fixture.command(args);
        cmd.env("CARGO_HOME", self.fixture.tmp.path().join("cargo-home"))
            .env("CARGO_REGISTRIES_LOCAL_INDEX", self.registry.index_url())
            .env("CARGO_REGISTRIES_LOCAL_TOKEN", CANARY);
        self.mock.env(&mut cmd);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let run = super::run(self.command(args));
        assert!(!run.stdout.contains(CANARY) && !run.stderr.contains(CANARY), "the token was printed\n{run}");
        run
    }

    /// Tags the workspace's version and pushes the tag.
    pub fn tag(&self) {
        self.run(&["tag", "--execute", "--push"]).ok();
    }

    /// Publishes every crate but `exclude` to the local registry.
    pub fn publish(&self, exclude: &[&str]) {
        let mut args = vec!["publish-ordered", "--registry", "local", "--execute"];
        for name in exclude {
            args.extend(["--exclude", name]);
        }
        self.run(&args).ok();
    }

    /// Makes every asset `build-matrix` promises (with made-up content), their checksums
    /// and the sums file, and creates the GitHub release of the workspace's version with them.
    pub fn github_release(&self) {
        let matrix: serde_json::Value = serde_json::from_str(&self.run(&["build-matrix"]).ok().stdout).unwrap();
        std::fs::create_dir_all(&self.dist).unwrap();
        for entry in matrix["include"].as_array().unwrap() {
            for asset in entry["assets"].as_array().unwrap() {
                let name = asset.as_str().unwrap();
                std::fs::write(self.dist.join(name), format!("the bytes of {name}\n")).unwrap();
            }
        }
        let dist = self.dist.to_str().unwrap();
        let sums = self.dist.join("SHA256SUMS");
        self.run(&["checksum", dist, "--sums", sums.to_str().unwrap(), "--execute"]).ok();
        self.run(&["github-release", "--assets", dist, "--execute"]).ok();
    }

    /// The names of the release's assets on the mock.
    pub fn asset_names(&self) -> Vec<String> {
        self.mock.state().releases[0].assets.iter().map(|a| a.name.clone()).collect()
    }

    /// Asserts that no output file under the test's directory holds the canary token.
    pub fn assert_no_canary_in_files(&self) {
        super::assert_no_file_holds(self.fixture.tmp.path(), CANARY);
    }
}

impl Default for Released {
    fn default() -> Released {
        Released::new()
    }
}
