//! The registry's web API for uploads, as cargo talks to it: the API's address from the
//! index's `config.json`, then `PUT /api/v1/crates/new` with a body of the metadata JSON
//! and the `.crate` bytes, each after its length as a little-endian u32. What the
//! registry answers is classified for the retry policy and kept as the registry wrote it
//! (redacted).

use std::time::SystemTime;

use anyhow::{Context as _, Result, anyhow, bail};
use serde::Deserialize;

use super::cargo_errors::Failure;
use super::metadata::NewCrate;
use crate::ops::http::{self, Size};
use crate::ops::redact::redact;
use crate::ops::retry;

pub struct Api {
    /// For uploads: their whole within `transfer-timeout`.
    agent: ureq::Agent,
    upload_url: String,
    token: String,
}

/// A refused or failed upload: what it means for the run and the registry's own words.
#[derive(Debug)]
pub struct Refused {
    pub failure: Failure,
    pub message: String,
}

#[derive(Deserialize)]
struct IndexConfig {
    api: Option<String>,
}

impl Api {
    /// The API of the registry whose sparse index is at `index_url` (without `sparse+`).
    pub fn discover(index_url: &str, token: String) -> Result<Api> {
        let url = format!("{}/config.json", index_url.trim_end_matches('/'));
        let response = http::agent(Size::Small).get(&url).call();
        let mut response =
            response.map_err(|err| anyhow!("cannot fetch {url}: {}", http::describe(Size::Small, &err)))?;
        let status = response.status().as_u16();
        if status != 200 {
            bail!("{url} answered HTTP {status}; check the registry's index URL");
        }
        let text = response.body_mut().read_to_string().with_context(|| format!("cannot read {url}"))?;
        let config: IndexConfig =
            serde_json::from_str(&text).with_context(|| format!("{url} is not a registry config.json"))?;
        let Some(api) = config.api else {
            bail!("{url} names no `api`: this registry does not take uploads");
        };
        // A large crate on a slow link; the registry answers after storing it.
        let agent = http::agent(Size::Transfer);
        Ok(Api { agent, upload_url: format!("{}/api/v1/crates/new", api.trim_end_matches('/')), token })
    }

    /// Uploads one crate; the registry's warnings on success.
    pub fn publish(&self, krate: &NewCrate, tarball: &[u8]) -> Result<Vec<String>, Refused> {
        let body =
            body(krate, tarball).map_err(|err| Refused { failure: Failure::Fatal, message: format!("{err:#}") })?;
        let response = self
            .agent
            .put(&self.upload_url)
            .header("Accept", "application/json")
            .header("Authorization", &self.token)
            .send(&body[..]);
        let mut response = match response {
            Ok(response) => response,
            Err(err) => {
                let failure = match err {
                    ureq::Error::Io(_) | ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed => Failure::Transient,
                    _ => Failure::Fatal,
                };
                let message =
                    redact(&format!("cannot reach {}: {}", self.upload_url, http::describe(Size::Transfer, &err)));
                return Err(Refused { failure, message });
            }
        };
        let status = response.status();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str().to_ascii_lowercase(), value.to_str().ok()?.to_string())))
            .collect();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let reason = status.canonical_reason().unwrap_or("");
        if status.is_success() {
            return accepted(status.as_u16(), reason, &headers, &text);
        }
        Err(refused(status.as_u16(), reason, &headers, &text))
    }
}

/// The request body cargo sends.
pub fn body(krate: &NewCrate, tarball: &[u8]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(krate)?;
    let length = |n: usize| u32::try_from(n).map(u32::to_le_bytes).context("the upload is larger than 4 GiB");
    let mut body = Vec::with_capacity(json.len() + tarball.len() + 8);
    body.extend_from_slice(&length(json.len())?);
    body.extend_from_slice(&json);
    body.extend_from_slice(&length(tarball.len())?);
    body.extend_from_slice(tarball);
    Ok(body)
}

/// What a refusal means (a non-2xx answer, or a 2xx with errors), with the registry's words: the `detail` of each of its
/// JSON `errors`, or its body as it is. `headers` by lower-case name.
pub fn refused(status: u16, reason: &str, headers: &[(String, String)], body: &str) -> Refused {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<Detail>,
    }
    #[derive(Deserialize)]
    struct Detail {
        detail: String,
    }
    let words = match serde_json::from_str::<Errors>(body) {
        Ok(errors) if !errors.errors.is_empty() => {
            errors.errors.into_iter().map(|e| e.detail).collect::<Vec<_>>().join("; ")
        }
        _ => body.trim().to_string(),
    };
    let failure = match status {
        429 => {
            let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            Failure::RateLimited(retry::requested_wait(header, &words, SystemTime::now()))
        }
        500..=599 => Failure::Transient,
        409 => Failure::AlreadyExists,
        _ if words.contains("already exists") || words.contains("already uploaded") => Failure::AlreadyExists,
        _ => Failure::Fatal,
    };
    let message = redact(&format!("the registry answered {status} {reason}: {words}"));
    Refused { failure, message }
}

/// A 2xx answer: an upload was accepted only when the body is the JSON object a registry
/// answers it with (`{"warnings": ...}`, or at least `{}`). Errors in it (some registries
/// answer 200 with `{"errors": [...]}`), an HTML page (a proxy's or a login page) or an
/// empty body are a refusal in the registry's words: taken as accepted, the run would
/// wait the whole index timeout for a crate that never comes.
fn accepted(status: u16, reason: &str, headers: &[(String, String)], body: &str) -> Result<Vec<String>, Refused> {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(answer))
            if answer.get("errors").is_none_or(|e| e.as_array().is_some_and(Vec::is_empty)) =>
        {
            Ok(warnings(body))
        }
        Ok(serde_json::Value::Object(_)) => Err(refused(status, reason, headers, body)),
        _ => {
            let shown = if body.trim().is_empty() {
                "an empty body".to_string()
            } else {
                let excerpt: String = redact(body.trim()).chars().take(300).collect();
                format!("this instead of an upload's JSON answer: {excerpt}")
            };
            let message = format!(
                "the registry answered {status} {reason} with {shown}; nothing says it took the upload, so check the \
                 `api` URL in the index's config.json and the registry's logs"
            );
            Err(Refused { failure: Failure::Fatal, message })
        }
    }
}

/// The registry's warnings (invalid categories or badges, anything else it has to say).
fn warnings(body: &str) -> Vec<String> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Warnings {
        invalid_categories: Vec<String>,
        invalid_badges: Vec<String>,
        other: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        warnings: Option<Warnings>,
    }
    let Ok(Answer { warnings: Some(w) }) = serde_json::from_str::<Answer>(body) else { return Vec::new() };
    let mut out = Vec::new();
    if !w.invalid_categories.is_empty() {
        out.push(format!("these are not valid category slugs and were ignored: {}", w.invalid_categories.join(", ")));
    }
    if !w.invalid_badges.is_empty() {
        out.push(format!("these are not valid badges and were ignored: {}", w.invalid_badges.join(", ")));
    }
    out.extend(w.other);
    out.into_iter().map(|w| redact(&w)).collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn body_is_two_length_prefixed_parts() {
        let krate = crate::publish::metadata::from_manifest(
            &"[package]\nname = \"a\"\nversion = \"1.0.0\"\n".parse().unwrap(),
            None,
        )
        .unwrap();
        let body = body(&krate, b"tarball").unwrap();
        let json_len = u32::from_le_bytes(body[..4].try_into().unwrap()) as usize;
        let json: serde_json::Value = serde_json::from_slice(&body[4..4 + json_len]).unwrap();
        assert_eq!((json["name"].as_str(), json["vers"].as_str()), (Some("a"), Some("1.0.0")));
        assert_eq!(u32::from_le_bytes(body[4 + json_len..8 + json_len].try_into().unwrap()), 7);
        assert_eq!(&body[8 + json_len..], b"tarball");
    }

    #[test]
    fn answers_are_classified_and_kept_in_the_registrys_words() {
        let none = &[];
        let missing = refused(400, "Bad Request", none, r#"{"errors":[{"detail":"no known crate named `b`"}]}"#);
        assert_eq!(missing.failure, Failure::Fatal);
        assert_eq!(missing.message, "the registry answered 400 Bad Request: no known crate named `b`");
        let limited = refused(429, "Too Many Requests", &[("retry-after".into(), "7".into())], "slow down");
        assert_eq!(limited.failure, Failure::RateLimited(Some(Duration::from_secs(7))));
        assert_eq!(refused(503, "Service Unavailable", none, "").failure, Failure::Transient);
        assert_eq!(refused(409, "Conflict", none, "{}").failure, Failure::AlreadyExists);
        let crates_io = r#"{"errors":[{"detail":"crate version `1.0.0` is already uploaded"}]}"#;
        assert_eq!(refused(400, "Bad Request", none, crates_io).failure, Failure::AlreadyExists);
        crate::ops::redact::register("tok-3f9a");
        assert!(!refused(403, "Forbidden", none, "bad token tok-3f9a").message.contains("tok-3f9a"));
    }

    #[test]
    fn a_2xx_is_accepted_only_with_an_upload_s_answer() {
        let none = &[];
        assert_eq!(accepted(200, "OK", none, "{}").unwrap(), Vec::<String>::new());
        assert_eq!(accepted(200, "OK", none, r#"{"warnings":{"other":["w"]}}"#).unwrap(), ["w"]);
        assert!(accepted(200, "OK", none, r#"{"errors":[]}"#).is_ok());
        let reserved = accepted(200, "OK", none, r#"{"errors":[{"detail":"crate name is reserved"}]}"#).unwrap_err();
        assert_eq!(reserved.failure, Failure::Fatal);
        assert_eq!(reserved.message, "the registry answered 200 OK: crate name is reserved");
        let exists =
            accepted(200, "OK", none, r#"{"errors":[{"detail":"crate version `1.0.0` is already uploaded"}]}"#);
        assert_eq!(exists.unwrap_err().failure, Failure::AlreadyExists);
        let html = accepted(200, "OK", none, "<html><body>Sign in</body></html>").unwrap_err();
        assert_eq!(html.failure, Failure::Fatal);
        assert!(
            html.message.contains("200 OK with this instead of an upload's JSON answer: <html>"),
            "{}",
            html.message
        );
        let empty = accepted(204, "No Content", none, "  ").unwrap_err();
        assert!(
            empty.message.starts_with("the registry answered 204 No Content with an empty body;"),
            "{}",
            empty.message
        );
        assert!(accepted(200, "OK", none, "[]").is_err());
    }

    #[test]
    fn warnings_from_the_answer() {
        let body = r#"{"warnings":{"invalid_categories":["x"],"invalid_badges":[],"other":["note"]}}"#;
        assert_eq!(warnings(body), ["these are not valid category slugs and were ignored: x", "note"]);
        assert!(warnings("{}").is_empty());
    }
}
