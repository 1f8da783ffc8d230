//! A stand-in for GitHub's REST API on loopback, for `github-release`: the release and
//! asset endpoints as GitHub documents them (paths, status codes, JSON fields), token
//! and API-version checks, and a record of every request so tests can check its shape.
//! One HTTP/1.1 request per connection (`Connection: close`), served on its own thread.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const REPO: &str = "acme/widget";

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Percent-decoded, without the query.
    pub path: String,
    /// Percent-decoded `key=value` pairs.
    pub query: Vec<(String, String)>,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {} body is not JSON: {e}", self.method, self.path))
    }
}

#[derive(Debug, Clone)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    pub name: String,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
    pub assets: Vec<Asset>,
}

#[derive(Debug, Clone)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    pub content: Vec<u8>,
    pub content_type: String,
    /// `uploaded`, or `starter` for an upload that was cut short.
    pub state: String,
}

#[derive(Debug, Default)]
pub struct State {
    pub releases: Vec<Release>,
    pub requests: Vec<Request>,
    /// Status codes to answer the next requests with, before serving them.
    pub fail_next: VecDeque<u16>,
    /// Whether asset objects carry `digest`; older assets on GitHub have none.
    pub digests: bool,
    /// Uploads to store and then answer with a 500, as when a reply is lost.
    pub lose_upload_replies: u32,
    /// Connections to close after reading the request, without an answer.
    pub hang_up: u32,
    next_id: u64,
}

pub struct GitHubMock {
    pub url: String,
    token: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GitHubMock {
    /// Serves on a free loopback port, accepting only `Bearer <token>`.
    pub fn start(token: &str) -> GitHubMock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State { digests: true, next_id: 1, ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let server = Server { url: url.clone(), token: token.to_string(), state: state.clone() };
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    server.serve(stream);
                }
            }
        });
        GitHubMock { url, token: token.to_string(), state, stop, thread: Some(thread) }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state().requests.clone()
    }

    /// Adds a published release with assets already uploaded.
    pub fn add_release(&self, tag: &str, assets: &[(&str, &[u8])]) {
        let mut state = self.state();
        let id = state.id();
        let assets = assets
            .iter()
            .map(|(name, content)| Asset {
                id: state.id(),
                name: name.to_string(),
                content: content.to_vec(),
                content_type: "application/octet-stream".into(),
                state: "uploaded".into(),
            })
            .collect();
        state.releases.push(Release {
            id,
            tag_name: tag.into(),
            name: tag.into(),
            body: String::new(),
            draft: false,
            prerelease: false,
            assets,
        });
    }

    /// Sets the environment `github-release` reads to talk to this server.
    pub fn env(&self, cmd: &mut std::process::Command) {
        cmd.env("GITHUB_API_URL", &self.url).env("GITHUB_REPOSITORY", REPO).env("GITHUB_TOKEN", &self.token);
    }
}

impl Drop for GitHubMock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

struct Server {
    url: String,
    token: String,
    state: Arc<Mutex<State>>,
}

struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    retry_after: Option<u64>,
}

fn json_response(status: u16, value: Value) -> Response {
    Response {
        status,
        content_type: "application/json; charset=utf-8",
        body: value.to_string().into_bytes(),
        retry_after: None,
    }
}

fn message(status: u16, text: &str) -> Response {
    json_response(status, json!({ "message": text, "documentation_url": "https://docs.github.com/rest" }))
}

impl Server {
    fn serve(&self, mut stream: TcpStream) {
        let Some(request) = read_request(&stream) else { return };
        {
            let mut state = self.state.lock().unwrap();
            if state.hang_up > 0 {
                state.hang_up -= 1;
                state.requests.push(request);
                return;
            }
        }
        let response = self.respond(&request);
        self.state.lock().unwrap().requests.push(request);
        let reason = match response.status {
            200 => "OK",
            201 => "Created",
            204 => "No Content",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            411 => "Length Required",
            422 => "Unprocessable Entity",
            _ => "Internal Server Error",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            response.status,
            response.content_type,
            response.body.len()
        );
        if let Some(seconds) = response.retry_after {
            head.push_str(&format!("Retry-After: {seconds}\r\n"));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&response.body);
        let _ = stream.flush();
    }

    fn respond(&self, request: &Request) -> Response {
        let mut state = self.state.lock().unwrap();
        if let Some(status) = state.fail_next.pop_front() {
            // Transient: tell the client it may come straight back, so tests do not sleep.
            return Response { retry_after: Some(0), ..message(status, "Server Error") };
        }
        match request.header("authorization") {
            None => return message(401, "Requires authentication"),
            Some(auth) if auth != format!("Bearer {}", self.token) => return message(401, "Bad credentials"),
            Some(_) => {}
        }
        if request.header("x-github-api-version") != Some("2022-11-28") {
            return message(400, "missing or unsupported X-GitHub-Api-Version");
        }
        let repo_prefix = format!("/repos/{REPO}/releases");
        let upload_prefix = format!("/uploads/repos/{REPO}/releases/");
        let method = request.method.as_str();
        let path = request.path.as_str();
        if let Some(tag) = path.strip_prefix(&format!("{repo_prefix}/tags/")) {
            // Drafts have no tag yet as far as this endpoint is concerned.
            return match state.releases.iter().find(|r| r.tag_name == tag && !r.draft) {
                Some(release) if method == "GET" => json_response(200, self.release_json(release, state.digests)),
                _ => message(404, "Not Found"),
            };
        }
        if path == repo_prefix && method == "POST" {
            return self.create_release(&mut state, request);
        }
        if path == repo_prefix && method == "GET" {
            // Newest first, as GitHub lists them.
            let releases: Vec<Value> =
                state.releases.iter().rev().map(|r| self.release_json(r, state.digests)).collect();
            return json_response(200, Value::Array(releases));
        }
        if let Some(rest) = path.strip_prefix(&format!("{repo_prefix}/assets/")) {
            let Some(asset) = state.releases.iter().flat_map(|r| &r.assets).find(|a| a.id.to_string() == rest) else {
                return message(404, "Not Found");
            };
            if method == "DELETE" {
                let id = asset.id;
                for release in &mut state.releases {
                    release.assets.retain(|a| a.id != id);
                }
                return Response { status: 204, content_type: "application/json", body: Vec::new(), retry_after: None };
            }
            if request.header("accept") == Some("application/octet-stream") {
                return Response {
                    status: 200,
                    content_type: "application/octet-stream",
                    body: asset.content.clone(),
                    retry_after: None,
                };
            }
            return json_response(200, self.asset_json(asset, state.digests));
        }
        if let Some(id) =
            path.strip_prefix(&format!("{repo_prefix}/")).filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        {
            return self.update_release(&mut state, id, method, request);
        }
        if let Some(id) = path.strip_prefix(&format!("{repo_prefix}/")).and_then(|r| r.strip_suffix("/assets")) {
            let Some(release) = state.releases.iter().find(|r| r.id.to_string() == id) else {
                return message(404, "Not Found");
            };
            let per_page: usize = request.query("per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
            let page: usize = request.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let assets: Vec<Value> = release
                .assets
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|a| self.asset_json(a, state.digests))
                .collect();
            return json_response(200, Value::Array(assets));
        }
        if let Some(id) = path.strip_prefix(&upload_prefix).and_then(|r| r.strip_suffix("/assets"))
            && method == "POST"
        {
            return self.upload(&mut state, id, request);
        }
        message(404, "Not Found")
    }

    fn create_release(&self, state: &mut State, request: &Request) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return message(400, "Problems parsing JSON");
        };
        let Some(tag) = body["tag_name"].as_str() else { return message(422, "Validation Failed: tag_name") };
        if state.releases.iter().any(|r| r.tag_name == tag) {
            return message(422, "Validation Failed: already_exists");
        }
        let release = Release {
            id: state.id(),
            tag_name: tag.into(),
            name: body["name"].as_str().unwrap_or(tag).into(),
            body: body["body"].as_str().unwrap_or("").into(),
            draft: body["draft"].as_bool().unwrap_or(false),
            prerelease: body["prerelease"].as_bool().unwrap_or(false),
            assets: Vec::new(),
        };
        let json = self.release_json(&release, state.digests);
        state.releases.push(release);
        json_response(201, json)
    }

    /// `GET` or `PATCH /repos/{repo}/releases/{id}`: a PATCH changes only the fields it
    /// gives, and `make_latest` must be one of GitHub's three strings.
    fn update_release(&self, state: &mut State, id: &str, method: &str, request: &Request) -> Response {
        let digests = state.digests;
        let Some(release) = state.releases.iter_mut().find(|r| r.id.to_string() == id) else {
            return message(404, "Not Found");
        };
        if method == "PATCH" {
            let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
                return message(400, "Problems parsing JSON");
            };
            if let Some(latest) = body.get("make_latest")
                && !["true", "false", "legacy"].contains(&latest.as_str().unwrap_or_default())
            {
                return message(422, "Validation Failed: make_latest");
            }
            if let Some(text) = body.get("body") {
                release.body = text.as_str().unwrap_or_default().to_string();
            }
            if let Some(flag) = body.get("prerelease").and_then(Value::as_bool) {
                release.prerelease = flag;
            }
            if let Some(flag) = body.get("draft").and_then(Value::as_bool) {
                release.draft = flag;
            }
        } else if method != "GET" {
            return message(404, "Not Found");
        }
        let release = release.clone();
        json_response(200, self.release_json(&release, digests))
    }

    fn upload(&self, state: &mut State, release_id: &str, request: &Request) -> Response {
        let Some(name) = request.query("name").filter(|n| !n.is_empty()) else {
            return message(422, "Validation Failed: name");
        };
        if request.header("content-length").is_none() {
            return message(411, "Length Required");
        }
        let Some(content_type) = request.header("content-type") else { return message(422, "Bad Content-Type header") };
        let content_type = content_type.to_string();
        let id = state.id();
        let digests = state.digests;
        let Some(release) = state.releases.iter_mut().find(|r| r.id.to_string() == release_id) else {
            return message(404, "Not Found");
        };
        if release.assets.iter().any(|a| a.name == name) {
            return message(422, "Validation Failed: already_exists");
        }
        let asset =
            Asset { id, name: name.into(), content: request.body.clone(), content_type, state: "uploaded".into() };
        let json = self.asset_json(&asset, digests);
        release.assets.push(asset);
        if state.lose_upload_replies > 0 {
            state.lose_upload_replies -= 1;
            return Response { retry_after: Some(0), ..message(500, "Server Error") };
        }
        json_response(201, json)
    }

    fn release_json(&self, release: &Release, digests: bool) -> Value {
        json!({
            "id": release.id,
            "url": format!("{}/repos/{REPO}/releases/{}", self.url, release.id),
            "html_url": format!("https://github.example/{REPO}/releases/tag/{}", release.tag_name),
            "assets_url": format!("{}/repos/{REPO}/releases/{}/assets", self.url, release.id),
            "upload_url": format!("{}/uploads/repos/{REPO}/releases/{}/assets{{?name,label}}", self.url, release.id),
            "tag_name": release.tag_name,
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "assets": release.assets.iter().map(|a| self.asset_json(a, digests)).collect::<Vec<_>>(),
        })
    }

    fn asset_json(&self, asset: &Asset, digests: bool) -> Value {
        let digest: String = Sha256::digest(&asset.content).iter().map(|b| format!("{b:02x}")).collect();
        let mut json = json!({
            "id": asset.id,
            "name": asset.name,
            "label": null,
            "state": asset.state,
            "content_type": asset.content_type,
            "size": asset.content.len(),
            "url": format!("{}/repos/{REPO}/releases/assets/{}", self.url, asset.id),
            "browser_download_url": format!("https://github.example/{REPO}/releases/download/{}", asset.name),
        });
        if digests {
            json["digest"] = Value::String(format!("sha256:{digest}"));
        }
        json
    }
}

/// Reads one request: the request line, headers, and a `Content-Length` body.
fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Request { method, path: decode(path), query, headers, body })
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
