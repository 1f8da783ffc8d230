//! No server holds a run: a registry index or GitHub API that stalls (never answers) or
//! drips (a byte a second) fails the command within `http-timeout` and its few retries,
//! naming the URL and the timeout; a server that asks to come back in a day
//! (`Retry-After: 86400`, crates.io's "try again after <date>") stops it at once with
//! the wait it asked for and how to resume, instead of waiting beyond `max-retry-wait`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::Fixture;
use support::slow::{Mode, Slow};

/// Long enough for the retries of a 1 s timeout, far shorter than any default.
const BOUND: Duration = Duration::from_secs(60);

/// The single-crate fixture with a 1 s `http-timeout`, a tag, and a built asset.
fn fixture() -> Fixture {
    let fixture = support::fixture("single-crate");
    let manifest = fixture.read("Cargo.toml") + "\n[package.metadata.xtask-release]\nhttp-timeout = 1\n";
    fixture.write("Cargo.toml", &manifest);
    fixture.git(&["commit", "--quiet", "-am", "a short http timeout"]);
    fixture.git(&["tag", "-a", "-m", "Release v0.1.0", "v0.1.0"]);
    fixture.write("assets/single-0.1.0-x86_64-unknown-linux-gnu.tar.gz", "bytes");
    fixture
}

/// `publish-ordered --registry slow` (a dry run: it reads the index) against `server`.
fn publish(fixture: &Fixture, server: &Slow) -> Command {
    let mut cmd = fixture.command(&["publish-ordered", "--registry", "slow"]);
    cmd.env("CARGO_HOME", fixture.tmp.path().join("cargo-home")).env("CARGO_REGISTRIES_SLOW_INDEX", server.index_url());
    cmd
}

/// `github-release --execute` with GitHub's API at `server`.
fn github_release(fixture: &Fixture, server: &Slow) -> Command {
    let assets = fixture.path("assets");
    let mut cmd =
        fixture.command(&["github-release", "--tag", "v0.1.0", "--assets", assets.to_str().unwrap(), "--execute"]);
    cmd.env("GITHUB_API_URL", &server.url).env("GITHUB_REPOSITORY", "acme/widget").env("GITHUB_TOKEN", "tok-123456");
    cmd
}

#[test]
fn a_stalled_or_dripping_server_fails_the_command_in_bounded_time_naming_url_and_timeout() {
    let fixture = fixture();
    for mode in [Mode::Stall, Mode::Drip] {
        let server = Slow::start(mode);
        let index_file = format!("{}/si/ng/single", server.url);
        let api_call = format!("{}/repos/acme/widget/releases/tags/v0.1.0", server.url);
        let commands = [(publish(&fixture, &server), index_file), (github_release(&fixture, &server), api_call)];
        for (cmd, url) in commands {
            let started = Instant::now();
            let run = support::run_within(cmd, BOUND).fails(1);
            assert!(server.requests() > 0, "{mode:?}: no request reached the server\n{run}");
            assert!(run.stderr.contains(&url), "{mode:?}: the URL is not named\n{run}");
            assert!(run.stderr.contains(" 1s (`http-timeout`)"), "{mode:?}: the timeout is not named\n{run}");
            assert!(started.elapsed() < BOUND, "{mode:?}: took {:?}\n{run}", started.elapsed());
        }
    }
}

#[test]
fn a_wait_asked_for_beyond_max_retry_wait_stops_at_once_saying_when_to_resume() {
    let fixture = fixture();
    let server = Slow::start(Mode::RetryAfter(86_400));
    for cmd in [publish(&fixture, &server), github_release(&fixture, &server)] {
        let started = Instant::now();
        let run = support::run_within(cmd, BOUND).fails(1);
        assert!(run.stderr.contains("asked to wait 86400s (until "), "{run}");
        assert!(run.stderr.contains("longer than `max-retry-wait` allows (300s)"), "{run}");
        assert!(run.stderr.contains("run the same command again after that time"), "{run}");
        assert!(started.elapsed() < Duration::from_secs(20), "took {:?}\n{run}", started.elapsed());
    }
}
