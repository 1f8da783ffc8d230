//! A loopback server that answers every request with a chosen error status and a body
//! that echoes the request's headers (as a careless proxy or API would), in JSON or plain
//! text. It is a sparse registry too: `/config.json` points uploads back at it and index
//! files are 404 (nothing published), so `cargo publish` reaches the echoing upload, or
//! every index file is one given entry (`Echo::listing`), so `rollback` yanks it.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `{"message": ..., "errors": [{"detail": ...}], "headers": {...}}`: GitHub's and
    /// crates.io's error shapes, both holding the headers.
    Json,
    /// The headers as `Name: value` lines.
    Text,
    /// `{"headers": {...}}` alone: no message a client can pick out, so it shows the body
    /// as it is, with the token JSON-escaped.
    RawJson,
}

pub struct Echo {
    pub url: String,
    /// Requests that carried an `Authorization` header, echoed back.
    authorized: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    pub fn start(status: u16, body: Body) -> Echo {
        Echo::listing(status, body, None)
    }

    /// Like `start`, with every index file the one line `entry` (an index entry's JSON).
    pub fn listing(status: u16, body: Body, entry: Option<String>) -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let origin = url.clone();
        let authorized = Arc::new(AtomicUsize::new(0));
        let counter = authorized.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(stream, &origin, status, body, entry.as_deref(), &counter);
                }
            }
        });
        Echo { url, authorized, stop, thread: Some(thread) }
    }

    /// How many requests carried a token to echo: a test that saw none proved nothing.
    pub fn authorized(&self) -> usize {
        self.authorized.load(Ordering::SeqCst)
    }

    /// The URL for cargo's `registries.NAME.index`.
    pub fn index_url(&self) -> String {
        format!("sparse+{}/", self.url)
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut client: TcpStream,
    origin: &str,
    status: u16,
    body: Body,
    entry: Option<&str>,
    authorized: &AtomicUsize,
) -> std::io::Result<()> {
    let Some(request) = super::proxy::read_request(&mut client)? else { return Ok(()) };
    let (path, headers) = (request.path, request.headers);
    let header = |wanted: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)).map(|(_, v)| v.clone());

    let (status, content_type, text) = if path == "/config.json" {
        let config = serde_json::json!({ "dl": format!("{origin}/dl"), "api": origin });
        (200, "application/json", config.to_string())
    } else if path.starts_with("/api/") || path.starts_with("/repos/") || path.starts_with("/uploads/") {
        if header("authorization").is_some() {
            authorized.fetch_add(1, Ordering::SeqCst);
        }
        echo(status, body, &headers)
    } else if let Some(entry) = entry {
        (200, "application/json", format!("{entry}\n"))
    } else {
        (404, "text/plain", "not found".to_string())
    };
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    client.write_all(response.as_bytes())
}

fn echo(status: u16, body: Body, headers: &[(String, String)]) -> (u16, &'static str, String) {
    let lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\n")).collect();
    let map: serde_json::Map<String, serde_json::Value> =
        headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone().into())).collect();
    match body {
        Body::RawJson => (status, "application/json", serde_json::json!({ "headers": map }).to_string()),
        Body::Text => (status, "text/plain", format!("request refused; you sent:\n{lines}")),
        Body::Json => {
            let value = serde_json::json!({
                "message": format!("request refused; you sent: {lines}"),
                "errors": [{ "detail": format!("request refused; you sent: {lines}") }],
                "headers": map,
            });
            (status, "application/json", value.to_string())
        }
    }
}
