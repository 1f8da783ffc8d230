//! A loopback HTTP proxy in front of the real registry that misbehaves on purpose: it
//! answers uploads with 429s and 500s, drops connections, serves the previous index file
//! for a while after an upload (a CDN that has not caught up), and slows uploads down.
//! Like crates.io, it refuses an upload that names a dependency the registry has never
//! seen. It logs every upload, with its metadata and `.crate` bytes, so a test can check
//! what reached the registry and in which order.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What to do to one request instead of forwarding it plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After` and crates.io's "Please try again after <HTTP-date>" body.
    TooManyRequests { seconds: u64 },
    /// 500 with a plain-text body.
    ServerError,
    /// 403 with a JSON error, as a registry refuses a crate the token may not publish.
    Forbidden,
    /// 200 OK with this body, without forwarding: a registry (or something in front of
    /// it) that says OK to an upload it did not take.
    Ok(&'static str),
    /// Close the connection without an answer, before forwarding.
    Drop,
    /// Forward (the upload goes through), then close without an answer.
    ForwardThenDrop,
}

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Applied to uploads in turn; `None` passes one through.
    pub uploads: Vec<Option<Fault>>,
    /// Applied to index file requests in turn.
    pub index: Vec<Option<Fault>>,
    /// How long after an upload the crate's previous index file is still served.
    pub stale_index: Duration,
    /// Serve every uploaded crate's previous index file until `Proxy::release_index`.
    pub hold_index: bool,
    /// Added before forwarding each upload.
    pub upload_delay: Duration,
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub received: Instant,
    pub answered: Instant,
    /// The status the client got; 0 when the connection was dropped.
    pub status: u16,
    /// Whether the request reached the registry.
    pub forwarded: bool,
    /// The publish metadata JSON, as the client sent it.
    pub metadata: serde_json::Value,
    /// The `.crate` bytes.
    pub tarball: Vec<u8>,
    /// The dependencies (by package name) whose index file still showed them missing,
    /// or older, when this upload came in.
    pub deps_not_in_index: Vec<String>,
}

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
}

struct State {
    upstream: std::sync::atomic::AtomicU16,
    uploads: Mutex<VecDeque<Option<Fault>>>,
    index: Mutex<VecDeque<Option<Fault>>>,
    stale_index: Duration,
    hold_index: std::sync::atomic::AtomicBool,
    upload_delay: Duration,
    /// Crate name → (until when, the raw response to serve instead).
    stale: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
    log: Mutex<Vec<Upload>>,
    /// Every other web API request (yank, unyank, download): method, path, status.
    api: Mutex<Vec<(String, String, u16)>>,
}

impl Proxy {
    /// Listens on a free loopback port in front of the registry on `upstream`.
    pub fn start(upstream: u16, faults: Faults) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            upstream: upstream.into(),
            uploads: Mutex::new(faults.uploads.into()),
            index: Mutex::new(faults.index.into()),
            stale_index: faults.stale_index,
            hold_index: faults.hold_index.into(),
            upload_delay: faults.upload_delay,
            stale: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            api: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = state.serve(stream);
                });
            }
        });
        Proxy { port, state }
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn index_url(&self) -> String {
        format!("sparse+{}/", self.origin())
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.state.log.lock().unwrap().clone()
    }

    /// The web API requests other than uploads, in the order the registry answered them.
    pub fn api_calls(&self) -> Vec<(String, String, u16)> {
        self.state.api.lock().unwrap().clone()
    }

    /// Sends everything to the registry on `port` from now on.
    pub fn set_upstream(&self, port: u16) {
        self.state.upstream.store(port, std::sync::atomic::Ordering::SeqCst);
    }

    /// Ends `hold_index`: from now on the index shows every upload as soon as the registry has it.
    pub fn release_index(&self) {
        self.state.hold_index.store(false, std::sync::atomic::Ordering::SeqCst);
        self.state.stale.lock().unwrap().clear();
    }

    /// Faults not yet used, uploads then index; a test asserts they all fired.
    pub fn unused_faults(&self) -> usize {
        let count = |q: &Mutex<VecDeque<Option<Fault>>>| q.lock().unwrap().iter().filter(|f| f.is_some()).count();
        count(&self.state.uploads) + count(&self.state.index)
    }
}

pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl State {
    /// One request per connection: the answer says `Connection: close`, and clients
    /// open a new connection for the next one.
    fn serve(&self, mut client: TcpStream) -> std::io::Result<()> {
        let Some(request) = read_request(&mut client)? else { return Ok(()) };
        if request.method == "PUT" && request.path.starts_with("/api/v1/crates/new") {
            return self.upload(client, &request);
        }
        if request.path == "/config.json" {
            // Point cargo's uploads and downloads at the proxy, not past it.
            let origin = format!("http://127.0.0.1:{}", client.local_addr()?.port());
            let body =
                format!("{{\"dl\":\"{origin}/api/v1/crates/{{crate}}/{{version}}/download\",\"api\":\"{origin}\"}}");
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            return client.write_all(format!("{head}{body}").as_bytes());
        }
        let is_index = request.method == "GET" && !request.path.starts_with("/api/") && request.path != "/config.json";
        if is_index {
            let fault = self.index.lock().unwrap().pop_front().flatten();
            if let Some(fault) = fault {
                return inject(&mut client, fault).map(|_| ());
            }
            let name = request.path.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
            if let Some(response) = self.stale_until(&name) {
                return client.write_all(&response);
            }
        }
        let response = self.forward(&request)?;
        if request.path.starts_with("/api/") {
            self.api.lock().unwrap().push((request.method.clone(), request.path.clone(), status_of(&response)));
        }
        client.write_all(&response)
    }

    fn upload(&self, mut client: TcpStream, request: &Request) -> std::io::Result<()> {
        let received = Instant::now();
        let (metadata, tarball) = split_body(&request.body);
        let name = metadata["name"].as_str().unwrap_or_default().to_string();
        let fault = self.uploads.lock().unwrap().pop_front().flatten();
        let deps_not_in_index: Vec<String> = metadata["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|dep| dep["name"].as_str())
            .filter(|dep| self.stale_until(dep).is_some())
            .map(str::to_string)
            .collect();
        let log = |status: u16, forwarded: bool| {
            let answered = Instant::now();
            let (metadata, tarball, deps_not_in_index) = (metadata.clone(), tarball.clone(), deps_not_in_index.clone());
            let upload = Upload {
                name: name.clone(),
                received,
                answered,
                status,
                forwarded,
                metadata,
                tarball,
                deps_not_in_index,
            };
            self.log.lock().unwrap().push(upload);
        };
        match fault {
            Some(Fault::ForwardThenDrop) => {}
            Some(fault) => {
                let status = inject(&mut client, fault)?;
                log(status, false);
                return Ok(());
            }
            None => {}
        }
        std::thread::sleep(self.upload_delay);
        // crates.io looks every dependency up in its database (which an accepted upload is
        // in at once, unlike the index files its CDN serves); the registry's own index
        // stands in for that database here.
        let unknown = metadata["deps"].as_array().into_iter().flatten().find_map(|dep| {
            let dep_name = dep["name"].as_str()?;
            let known = dep.get("registry").is_some_and(|r| !r.is_null())
                || status_of(&self.get_upstream(&format!("/{}", super::registry::index_path(dep_name))).ok()?) == 200;
            (!known).then(|| dep_name.to_string())
        });
        if let Some(dep) = unknown {
            let body = format!("{{\"errors\":[{{\"detail\":\"no known crate named `{dep}`\"}}]}}");
            let head =
                format!("HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            log(400, false);
            return client.write_all(format!("{head}{body}").as_bytes());
        }
        let before = self.get_upstream(&format!("/{}", super::registry::index_path(&name)))?;
        let response = self.forward(request)?;
        let status = status_of(&response);
        let holding = self.hold_index.load(std::sync::atomic::Ordering::SeqCst);
        let stale_for = if holding { Duration::from_secs(3600) } else { self.stale_index };
        if status == 200 && !stale_for.is_zero() {
            self.stale.lock().unwrap().insert(name.to_ascii_lowercase(), (Instant::now() + stale_for, before));
        }
        if fault == Some(Fault::ForwardThenDrop) {
            log(0, true);
            return Ok(());
        }
        log(status, true);
        client.write_all(&response)
    }

    /// The previous index file of `name` while the proxy still serves it.
    fn stale_until(&self, name: &str) -> Option<Vec<u8>> {
        let stale = self.stale.lock().unwrap();
        stale.get(&name.to_ascii_lowercase()).filter(|(until, _)| Instant::now() < *until).map(|(_, r)| r.clone())
    }

    fn get_upstream(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.forward(&Request { method: "GET".into(), path: path.into(), headers: Vec::new(), body: Vec::new() })
    }

    /// Sends the request to the registry and returns its whole answer, marked
    /// `Connection: close`.
    fn forward(&self, request: &Request) -> std::io::Result<Vec<u8>> {
        let port = self.upstream.load(std::sync::atomic::Ordering::SeqCst);
        let mut upstream = TcpStream::connect(("127.0.0.1", port))?;
        let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
        for (name, value) in &request.headers {
            if !["connection", "expect", "content-length", "host"].contains(&name.to_ascii_lowercase().as_str()) {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str(&format!(
            "Host: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            port,
            request.body.len()
        ));
        upstream.write_all(head.as_bytes())?;
        upstream.write_all(&request.body)?;
        let mut response = Vec::new();
        upstream.read_to_end(&mut response)?;
        Ok(mark_close(&response))
    }
}

/// One request from `client`: its line, headers and body (`None` if it closed first).
pub fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let header = |wanted: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)).map(|(_, v)| v.clone());
    // curl asks before sending an upload body; say yes rather than make it wait.
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request { method, path, headers, body }))
}

/// Answers with the fault; returns the status sent (0 for none).
fn inject(client: &mut TcpStream, fault: Fault) -> std::io::Result<u16> {
    let (status, extra, body) = match fault {
        Fault::TooManyRequests { seconds } => {
            let after = http_date(SystemTime::now() + Duration::from_secs(seconds));
            let body = format!(
                "{{\"errors\":[{{\"detail\":\"You have published too many new crates in a short period of time. \
                 Please try again after {after} or email help@crates.io to have your limit increased.\"}}]}}"
            );
            ("429 Too Many Requests", format!("Retry-After: {seconds}\r\n"), body)
        }
        Fault::ServerError => ("500 Internal Server Error", String::new(), "Internal Server Error".to_string()),
        Fault::Forbidden => {
            let body = r#"{"errors":[{"detail":"this crate exists but you don't seem to be an owner"}]}"#;
            ("403 Forbidden", String::new(), body.to_string())
        }
        Fault::Ok(body) => ("200 OK", String::new(), body.to_string()),
        Fault::Drop | Fault::ForwardThenDrop => {
            let _ = client.shutdown(std::net::Shutdown::Both);
            return Ok(0);
        }
    };
    let response =
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    client.write_all(response.as_bytes())?;
    Ok(status[..3].parse().unwrap())
}

fn status_of(response: &[u8]) -> u16 {
    String::from_utf8_lossy(&response[..response.len().min(16)])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn mark_close(response: &[u8]) -> Vec<u8> {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else { return response.to_vec() };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut out: String =
        head.lines().filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect::<Vec<_>>().join("\r\n");
    out.push_str("\r\nConnection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response[end + 4..]);
    bytes
}

/// The metadata JSON and the `.crate` bytes of a publish body: each after its length as
/// a little-endian u32.
fn split_body(body: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let length = |at: usize| body.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let Some(json_len) = length(0) else { return Default::default() };
    let json = body.get(4..4 + json_len).and_then(|j| serde_json::from_slice(j).ok()).unwrap_or_default();
    let tarball = length(4 + json_len)
        .and_then(|len| body.get(8 + json_len..8 + json_len + len))
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    (json, tarball)
}

/// An IMF-fixdate, the form crates.io writes in its 429 message.
pub fn http_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}
