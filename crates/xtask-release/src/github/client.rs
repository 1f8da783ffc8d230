//! A small client for the GitHub REST API endpoints a release needs, on ureq: the
//! headers GitHub documents, the token kept out of every message, and bounded retries of
//! transient failures (5xx, dropped connections, rate limits that say when to come back).

use std::fmt;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use ureq::http::{self, Method};

use crate::ops::http::{self as net, Size};
use crate::ops::redact::redact;
use crate::ops::retry::{self, Backoff, Retries};
use crate::report::Reporter;

/// Tries per request, the first included.
const MAX_ATTEMPTS: u32 = 4;
/// GitHub's limit on a release asset's size.
const MAX_ASSET_SIZE: u64 = 2 << 30;
const API_VERSION: &str = "2022-11-28";
const JSON: &str = "application/vnd.github+json";
const BINARY: &str = "application/octet-stream";

/// The API token. It has no `Display`, and `Debug` hides it, so it cannot end up in a
/// message by accident.
pub struct Token(String);

impl Token {
    /// `GITHUB_TOKEN`, or an error that says how a workflow passes it.
    pub fn from_env() -> Result<Token> {
        match std::env::var("GITHUB_TOKEN") {
            Ok(token) if !token.trim().is_empty() => {
                crate::ops::redact::register(&token);
                Ok(Token(token.trim().to_string()))
            }
            _ => bail!(
                "GITHUB_TOKEN is not set; a workflow passes it with `env: GITHUB_TOKEN: ${{{{ github.token }}}}` \
                 on a job with `permissions: contents: write`"
            ),
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The parts of a release object we use.
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub id: u64,
    #[serde(default)]
    pub tag_name: String,
    #[serde(default)]
    pub draft: bool,
    /// A URI template: `https://uploads.github.com/.../assets{?name,label}`.
    pub upload_url: String,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub prerelease: bool,
    /// The release notes; `null` when there are none.
    #[serde(default)]
    pub body: Option<String>,
}

/// The body of "update a release": only the fields given change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReleasePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prerelease: Option<bool>,
    /// `"true"`, `"false"` or `"legacy"`: whether GitHub shows it as the latest release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make_latest: Option<&'static str>,
}

/// The parts of a release asset object we use.
#[derive(Debug, Clone, Deserialize)]
pub struct RemoteAsset {
    pub name: String,
    pub size: u64,
    /// `sha256:<hex>` on assets uploaded since GitHub started recording digests.
    #[serde(default)]
    pub digest: Option<String>,
    /// The API URL that serves the content with `Accept: application/octet-stream`.
    pub url: String,
    /// `uploaded`, or `starter`/`open` for an upload that has not finished.
    #[serde(default)]
    pub state: Option<String>,
}

impl RemoteAsset {
    pub fn is_complete(&self) -> bool {
        self.state.as_deref().is_none_or(|state| state == "uploaded")
    }
}

/// The body of "create a release".
#[derive(Debug, Clone, Serialize)]
pub struct NewRelease<'a> {
    pub tag_name: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub draft: bool,
    pub prerelease: bool,
}

/// The API's base URL: `GITHUB_API_URL` (GitHub Enterprise has its own) without a trailing
/// slash, else `https://api.github.com`.
pub fn api_base() -> String {
    let base = std::env::var("GITHUB_API_URL").ok().filter(|b| !b.trim().is_empty());
    base.as_deref().unwrap_or("https://api.github.com").trim_end_matches('/').to_string()
}

pub struct Client<'r> {
    /// For API calls: small answers, within `http-timeout`.
    agent: ureq::Agent,
    /// For asset uploads and downloads, within `transfer-timeout`.
    transfer: ureq::Agent,
    /// `GITHUB_API_URL` (GitHub Enterprise has its own), without a trailing slash.
    base: String,
    repo: String,
    token: Token,
    /// Where retries are reported.
    out: &'r dyn Reporter,
}

/// What came back, read whole: requests are small and retried as a unit.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl<'r> Client<'r> {
    pub fn new(repo: &str, token: Token, out: &'r dyn Reporter) -> Client<'r> {
        Client::at(&api_base(), repo, token, out)
    }

    /// A client of the API at `base` (as [`api_base`] gives it), for a plan that resolved it.
    pub fn at(base: &str, repo: &str, token: Token, out: &'r dyn Reporter) -> Client<'r> {
        let (agent, transfer) = (net::agent(Size::Small), net::agent(Size::Transfer));
        Client { agent, transfer, base: base.to_string(), repo: repo.to_string(), token, out }
    }

    /// The API's base URL this client calls.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The published release for `tag`, or `None` when there is none (404).
    pub fn release_by_tag(&self, tag: &str) -> Result<Option<Release>> {
        let url = format!("{}/repos/{}/releases/tags/{}", self.base, self.repo, encode(tag));
        let reply = self.send(Method::GET, &url, JSON, None)?;
        match reply.status {
            200 => parse(&reply, "the release").map(Some),
            404 => Ok(None),
            _ => Err(failure(&format!("getting the release for {tag}"), &reply)),
        }
    }

    /// A draft release for `tag` among the newest hundred: drafts have no tag yet, so the
    /// lookup by tag does not see them, and a re-run must not make a second draft.
    pub fn draft_by_tag(&self, tag: &str) -> Result<Option<Release>> {
        let url = format!("{}/repos/{}/releases?per_page=100", self.base, self.repo);
        let reply = self.send(Method::GET, &url, JSON, None)?;
        if reply.status != 200 {
            return Err(failure("listing the releases", &reply));
        }
        let releases: Vec<Release> = parse(&reply, "the release list")?;
        Ok(releases.into_iter().find(|r| r.draft && r.tag_name == tag))
    }

    pub fn create_release(&self, release: &NewRelease) -> Result<Release> {
        let url = format!("{}/repos/{}/releases", self.base, self.repo);
        let body = serde_json::to_vec(release)?;
        let reply = self.send(Method::POST, &url, JSON, Some((&body, "application/json")))?;
        match reply.status {
            201 => parse(&reply, "the new release"),
            _ => Err(failure(&format!("creating the release for {}", release.tag_name), &reply)),
        }
    }

    /// Every asset of the release, page by page.
    pub fn assets(&self, release: &Release) -> Result<Vec<RemoteAsset>> {
        const PER_PAGE: usize = 100;
        let mut assets = Vec::new();
        for page in 1.. {
            let url = format!(
                "{}/repos/{}/releases/{}/assets?per_page={PER_PAGE}&page={page}",
                self.base, self.repo, release.id
            );
            let reply = self.send(Method::GET, &url, JSON, None)?;
            if reply.status != 200 {
                return Err(failure("listing the release's assets", &reply));
            }
            let batch: Vec<RemoteAsset> = parse(&reply, "the asset list")?;
            let last = batch.len() < PER_PAGE;
            assets.extend(batch);
            if last {
                break;
            }
        }
        Ok(assets)
    }

    /// Uploads `bytes` as the asset `name` to the URL the release object gave.
    pub fn upload(&self, release: &Release, name: &str, bytes: &[u8]) -> Result<RemoteAsset> {
        // The template's `{?name,label}` part is filled in by hand: RFC 6570 for one variable.
        let base = release.upload_url.split('{').next().unwrap_or(&release.upload_url);
        let url = format!("{base}?name={}", encode(name));
        let reply = self.send(Method::POST, &url, JSON, Some((bytes, BINARY)))?;
        match reply.status {
            201 => parse(&reply, "the uploaded asset"),
            _ => Err(failure(&format!("uploading {name}"), &reply)),
        }
    }

    pub fn delete_asset(&self, asset: &RemoteAsset) -> Result<()> {
        let reply = self.send(Method::DELETE, &asset.url, JSON, None)?;
        match reply.status {
            204 | 404 => Ok(()),
            _ => Err(failure(&format!("deleting the unfinished upload of {}", asset.name), &reply)),
        }
    }

    /// The content of an uploaded asset (GitHub answers with a redirect to its storage,
    /// which ureq follows without the token).
    pub fn download(&self, asset: &RemoteAsset) -> Result<Vec<u8>> {
        let reply = self.send(Method::GET, &asset.url, BINARY, None)?;
        match reply.status {
            200 => Ok(reply.body),
            _ => Err(failure(&format!("downloading the uploaded {}", asset.name), &reply)),
        }
    }

    /// Changes the fields `patch` gives of the release.
    pub fn update_release(&self, release: &Release, patch: &ReleasePatch) -> Result<Release> {
        let url = format!("{}/repos/{}/releases/{}", self.base, self.repo, release.id);
        let body = serde_json::to_vec(patch)?;
        let reply = self.send(Method::PATCH, &url, JSON, Some((&body, "application/json")))?;
        match reply.status {
            200 => parse(&reply, "the updated release"),
            _ => Err(failure(&format!("updating the release {}", release.tag_name), &reply)),
        }
    }

    /// Streams an asset's content into `sink`, a buffer at a time, so that memory stays
    /// bounded whatever its size; returns the number of bytes. Not retried: the caller
    /// has consumed what came before a failure.
    pub fn download_to(&self, asset: &RemoteAsset, sink: &mut dyn std::io::Write) -> Result<u64> {
        let doing = || format!("downloading {}", asset.name);
        let request = self.request(&Method::GET, &asset.url, BINARY).body(())?;
        let response = self.transfer.run(request).map_err(|err| {
            let why = redact(&format!("{}: {}", asset.url, net::describe(Size::Transfer, &err)));
            anyhow!("{} failed: {why}; check the network", doing())
        })?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        if status != 200 {
            let text = body.read_to_vec().unwrap_or_default();
            return Err(failure(&doing(), &Reply { status, body: text }));
        }
        let mut reader = body.with_config().limit(MAX_ASSET_SIZE).reader();
        std::io::copy(&mut reader, sink).with_context(|| format!("{} was cut short", doing()))
    }

    fn request(&self, method: &Method, url: &str, accept: &str) -> http::request::Builder {
        http::Request::builder()
            .method(method.clone())
            .uri(url)
            .header("Accept", accept)
            .header("Authorization", format!("Bearer {}", self.token.0))
            .header("X-GitHub-Api-Version", API_VERSION)
            .header("User-Agent", concat!("xtask-release/", env!("CARGO_PKG_VERSION")))
    }

    /// One request with GitHub's headers, retried while the failure is transient, by
    /// the shared policy (`crate::ops::retry`).
    fn send(&self, method: Method, url: &str, accept: &str, body: Option<(&[u8], &str)>) -> Result<Reply> {
        let what = format!("{method} {}", url.split('?').next().unwrap_or(url));
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(16), MAX_ATTEMPTS - 1);
        let mut retries = Retries::new(backoff, net::limits().max_retry_wait);
        // Assets go and come with the longer deadline; API calls have small answers.
        let size =
            if accept == BINARY || body.is_some_and(|(_, kind)| kind == BINARY) { Size::Transfer } else { Size::Small };
        loop {
            let (delay, why) = match self.send_once(size, &method, url, accept, body) {
                Ok(reply) => {
                    let asked = server_wait(&reply.headers, &reply.body, SystemTime::now());
                    if wants_retry(reply.status, &reply.headers)
                        && let Some(asked) = retry::beyond_bound(asked)
                    {
                        let who = format!("GitHub ({what} answered {})", reply.status);
                        bail!(retry::too_long(&who, asked, SystemTime::now()));
                    }
                    match wants_retry(reply.status, &reply.headers).then(|| retries.next(asked)).flatten() {
                        Some(delay) => (delay, format!("{what} answered {}", reply.status)),
                        None => return Ok(Reply { status: reply.status, body: reply.body }),
                    }
                }
                Err(err) if is_transient(&err) => match retries.next(None) {
                    Some(delay) => (delay, redact(&format!("{what} failed: {}", net::describe(size, &err)))),
                    None => {
                        let err = redact(&net::describe(size, &err));
                        return Err(anyhow!(err).context(format!("{what} failed every try; check the network")));
                    }
                },
                Err(err) => {
                    let err = redact(&err.to_string());
                    return Err(anyhow!(err).context(format!("{what} failed; check the network and GITHUB_API_URL")));
                }
            };
            self.out.warn(&format!("{why}; retrying in {:.1}s", delay.as_secs_f64()));
            std::thread::sleep(delay);
        }
    }

    fn send_once(
        &self,
        size: Size,
        method: &Method,
        url: &str,
        accept: &str,
        body: Option<(&[u8], &str)>,
    ) -> Result<RawReply, ureq::Error> {
        let request = self.request(method, url, accept);
        let agent = if size == Size::Transfer { &self.transfer } else { &self.agent };
        let response = match body {
            Some((bytes, content_type)) => {
                let request = request.header("Content-Type", content_type).header("Content-Length", bytes.len());
                agent.run(request.body(bytes)?)?
            }
            None => agent.run(request.body(())?)?,
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().with_config().limit(MAX_ASSET_SIZE).read_to_vec()?;
        Ok(RawReply { status, headers, body })
    }
}

struct RawReply {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

/// Whether GitHub's answer may change on another try: a server error, a 429, or a 403
/// that is a rate limit (GitHub answers an exhausted limit with 403 and the headers that
/// say when to come back; a plain 403 is a permission error).
fn wants_retry(status: u16, headers: &http::HeaderMap) -> bool {
    let rate_limited =
        headers.contains_key("retry-after") || headers.get("x-ratelimit-remaining").is_some_and(|v| v == "0");
    retry::is_retryable_status(status) || (status == 403 && rate_limited)
}

/// The wait GitHub asked for, by the shared reading of `Retry-After` (seconds or an
/// HTTP-date) and of its rate-limit reset.
fn server_wait(headers: &http::HeaderMap, body: &[u8], now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name)?.to_str().ok();
    retry::requested_wait(header, &String::from_utf8_lossy(body), now)
}

fn is_transient(err: &ureq::Error) -> bool {
    matches!(
        err,
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) | ureq::Error::BodyStalled
    )
}

/// The answer of a success status as the object it should be. A 2xx that is not (an
/// error object, an HTML page from a proxy, an empty body) is a failure that shows what
/// came instead, never taken as done.
fn parse<T: serde::de::DeserializeOwned>(reply: &Reply, what: &str) -> Result<T> {
    serde_json::from_slice(&reply.body).map_err(|err| {
        let came = match message(reply) {
            shown if shown.trim().is_empty() => "an empty body".to_string(),
            shown => format!("`{shown}`"),
        };
        anyhow!("GitHub answered {} with {came} instead of {what} ({err}); check GITHUB_API_URL", reply.status)
    })
}

/// GitHub's own message in an answer, or its body: redacted (a server may echo our
/// headers), then cut short, so no part of a token is left to show.
fn message(reply: &Reply) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).to_string());
    redact(&message).chars().take(200).collect()
}

/// An error for a final failure, with GitHub's own message and what to do about it.
fn failure(doing: &str, reply: &Reply) -> anyhow::Error {
    let message = message(reply);
    let hint = match reply.status {
        401 => "GITHUB_TOKEN was rejected; check that it is set to a valid token",
        403 => "the token may not write here; the job needs `permissions: contents: write`",
        404 => "check the repository (GITHUB_REPOSITORY or the remote) and that the token can see it",
        422 => "GitHub refused the request as it stands; see its message",
        _ => "GitHub failed; re-running is safe",
    };
    anyhow!("{doing} failed: GitHub answered {} ({message}); {hint}", reply.status)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), http::HeaderValue::from_str(v).unwrap())).collect()
    }

    fn at(seconds: u64) -> SystemTime {
        std::time::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn what_is_retried() {
        let none = headers(&[]);
        for status in [200, 201, 401, 404, 422] {
            assert!(!wants_retry(status, &none), "{status}");
        }
        assert!(!wants_retry(403, &none), "a plain 403 is a permission error");
        assert!(wants_retry(500, &none));
        assert!(wants_retry(502, &none));
        assert!(wants_retry(429, &none));
        assert!(wants_retry(403, &headers(&[("retry-after", "0")])));
        assert!(wants_retry(403, &headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "9")])));
        assert!(!wants_retry(403, &headers(&[("x-ratelimit-remaining", "12")])));
    }

    #[test]
    fn how_long_github_asked_to_wait() {
        assert_eq!(server_wait(&headers(&[("retry-after", "7")]), b"", at(0)), Some(Duration::from_secs(7)));
        // The HTTP-date form of Retry-After, which GitHub may send as any server may.
        let date = headers(&[("retry-after", "Thu, 01 Jan 1970 00:01:00 GMT")]);
        assert_eq!(server_wait(&date, b"", at(45)), Some(Duration::from_secs(15)));
        let reset = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1010")]);
        assert_eq!(server_wait(&reset, b"", at(1_000)), Some(Duration::from_secs(11)));
        assert_eq!(server_wait(&headers(&[]), b"{\"message\":\"Server Error\"}", at(0)), None);
    }

    #[test]
    fn a_success_status_with_another_answer_is_a_failure_that_shows_it() {
        let reply = |body: &str| Reply { status: 200, body: body.as_bytes().to_vec() };
        let err = parse::<Release>(&reply(r#"{"message":"Validation Failed"}"#), "the release").unwrap_err();
        let err = err.to_string();
        assert!(err.starts_with("GitHub answered 200 with `Validation Failed` instead of the release ("), "{err}");
        let err = parse::<Release>(&reply(""), "the release").unwrap_err().to_string();
        assert!(err.starts_with("GitHub answered 200 with an empty body instead of the release"), "{err}");
        let err = parse::<Release>(&reply("<html>hi</html>"), "the release").unwrap_err().to_string();
        assert!(err.contains("with `<html>hi</html>` instead"), "{err}");
    }

    #[test]
    fn encoding_and_token_debug() {
        assert_eq!(encode("app v1+x/ü.tar.gz"), "app%20v1%2Bx%2F%C3%BC.tar.gz");
        assert_eq!(format!("{:?}", Token("secret".into())), "Token(***)");
    }
}
