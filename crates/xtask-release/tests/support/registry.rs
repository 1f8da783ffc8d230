//! A real cargo registry per test: ferro-cargo-registry-server on a free loopback port,
//! with its data in the test's temp dir, a small HTTP client to read its index, and the
//! edit that lets a shared fixture publish there.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Fixture;

pub struct Registry {
    child: Child,
    pub port: u16,
}

impl Registry {
    /// Starts the server with its data under `dir` and waits until it answers.
    pub fn start(dir: &Path) -> Registry {
        // The server needs an explicit port; the tiny race between releasing this one and
        // the server binding it is the price of not patching the server.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data = dir.join(format!("registry-data-{port}"));
        let mut cmd = Command::new(super::tool("ferro-cargo-registry-server"));
        cmd.env("FERRO_CARGO_REGISTRY_LISTEN", format!("127.0.0.1:{port}"))
            .env("FERRO_CARGO_REGISTRY_DATA", &data)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("cannot start ferro-cargo-registry-server");
        let registry = Registry { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(port, "/config.json").map(|(status, _)| status) != Some(200) {
            assert!(Instant::now() < deadline, "the registry on port {port} did not answer within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// The index URL for cargo's `registries.NAME.index`.
    pub fn index_url(&self) -> String {
        format!("sparse+http://127.0.0.1:{}/", self.port)
    }

    /// A crate's index file as the registry serves it (empty when there is none).
    pub fn index_file(&self, name: &str) -> String {
        match get(self.port, &format!("/{}", index_path(name))) {
            Some((200, body)) => body,
            _ => String::new(),
        }
    }

    /// The `.crate` the registry serves for a version.
    pub fn download(&self, name: &str, version: &str) -> Vec<u8> {
        match get_bytes(self.port, &format!("/api/v1/crates/{name}/{version}/download")) {
            Some((200, body)) => body,
            other => panic!("cannot download {name} {version}: {other:?}"),
        }
    }

    /// The `vers` of every line of a crate's index file, as the registry serves it.
    pub fn versions(&self, name: &str) -> Vec<String> {
        match get(self.port, &format!("/{}", index_path(name))) {
            Some((200, body)) => body
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["vers"].as_str().unwrap().to_string())
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sparse index layout, written out again here so the test does not trust the
/// code under test for it.
pub fn index_path(name: &str) -> String {
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// A plain HTTP/1.0 GET on loopback: the status and the body, or `None` when nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    get_bytes(port, path).map(|(status, body)| (status, String::from_utf8_lossy(&body).into_owned()))
}

/// `get` with the body as bytes (a `.crate`).
pub fn get_bytes(port: u16, path: &str) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let end = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..end]);
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, response[end + 4..].to_vec()))
}

/// Points every path dependency in the fixture's manifests at the `local` registry
/// (`registry = "local"`, as a workspace that publishes to a private registry has them),
/// and commits that. The shared fixtures are written for crates.io, where cargo would
/// otherwise look for their internal dependencies when it packages them.
pub fn publish_fixture_to_local(fixture: &Fixture) {
    let mut dirs = vec![fixture.root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                if ![".git", "target"].contains(&entry.file_name().to_str().unwrap()) {
                    dirs.push(path);
                }
            } else if entry.file_name() == "Cargo.toml" {
                let mut manifest: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
                point_path_dependencies_at_local(manifest.as_table_mut());
                std::fs::write(&path, manifest.to_string()).unwrap();
            }
        }
    }
    fixture.git(&["commit", "--quiet", "-am", "publish internal dependencies to the local registry"]);
}

/// Adds `registry = "local"` to each dependency with a `path` in every dependency table
/// under `table`: `[dependencies]` and its dev and build kinds, also under `[target.*]`,
/// and `[workspace.dependencies]`.
fn point_path_dependencies_at_local(table: &mut dyn toml_edit::TableLike) {
    for (key, item) in table.iter_mut() {
        let Some(inner) = item.as_table_like_mut() else { continue };
        if ["dependencies", "dev-dependencies", "build-dependencies"].contains(&key.get()) {
            for (_, dep) in inner.iter_mut() {
                if let Some(dep) = dep.as_table_like_mut().filter(|d| d.contains_key("path")) {
                    dep.insert("registry", toml_edit::value("local"));
                }
            }
        } else {
            point_path_dependencies_at_local(inner);
        }
    }
}

/// A bodiless HTTP/1.0 request to the registry's web API, as cargo's `yank` sends it:
/// the status and the body.
pub fn call(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: test\r\nContent-Length: 0\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

impl Registry {
    /// Whether the index lists `name` at `version` as yanked; `None` when it is not listed.
    pub fn yanked(&self, name: &str, version: &str) -> Option<bool> {
        let (status, body) = get(self.port, &format!("/{}", index_path(name)))?;
        if status != 200 {
            return None;
        }
        body.lines().filter(|l| !l.trim().is_empty()).find_map(|l| {
            let entry: serde_json::Value = serde_json::from_str(l).unwrap();
            (entry["vers"] == version).then(|| entry["yanked"].as_bool().unwrap_or(false))
        })
    }
}
