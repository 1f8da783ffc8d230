//! A loopback server that never gives a useful answer in time: it stalls (reads the
//! request, then says nothing), drips (a status line and headers, then a byte of body a
//! second), or asks for a wait far ahead (429 with `Retry-After` and crates.io's "try
//! again after <date>"). Its `/config.json` answers at once, pointing uploads at it, so
//! it stands in for a registry's index and API and for GitHub's.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Stall,
    Drip,
    /// 429, asking to come back after this many seconds.
    RetryAfter(u64),
}

pub struct Slow {
    pub url: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Slow {
    pub fn start(mode: Mode) -> Slow {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, requests) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        let (stopping, counter, origin) = (stop.clone(), requests.clone(), url.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let (stopping, counter, origin) = (stopping.clone(), counter.clone(), origin.clone());
                std::thread::spawn(move || serve(stream, mode, &origin, &stopping, &counter));
            }
        });
        Slow { url, requests, stop }
    }

    pub fn index_url(&self) -> String {
        format!("sparse+{}/", self.url)
    }

    /// Requests other than `/config.json` that came in: a test that saw none proved nothing.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Slow {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn serve(mut client: TcpStream, mode: Mode, origin: &str, stop: &AtomicBool, requests: &AtomicUsize) {
    let Ok(Some(request)) = super::proxy::read_request(&mut client) else { return };
    if request.path == "/config.json" {
        let body = format!("{{\"dl\":\"{origin}/dl\",\"api\":\"{origin}\"}}");
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        let _ = client.write_all(format!("{head}{body}").as_bytes());
        return;
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let until_stopped = |each: &mut dyn FnMut() -> bool| {
        while !stop.load(Ordering::SeqCst) && each() {
            std::thread::sleep(Duration::from_secs(1));
        }
    };
    match mode {
        Mode::Stall => until_stopped(&mut || true),
        Mode::Drip => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
            if client.write_all(head.as_bytes()).is_ok() {
                until_stopped(&mut || client.write_all(b" ").is_ok());
            }
        }
        Mode::RetryAfter(seconds) => {
            let after = super::proxy::http_date(SystemTime::now() + Duration::from_secs(seconds));
            let body = format!(
                "{{\"message\":\"rate limited\",\"errors\":[{{\"detail\":\"Please try again after {after} or email \
                 help@crates.io\"}}]}}"
            );
            let response = format!(
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {seconds}\r\nContent-Length: {}\r\nConnection: \
                 close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(response.as_bytes());
        }
    }
}
