//! The settings every HTTP client of ours shares: the system's CA store and our
//! User-Agent, with statuses left to the caller rather than turned into errors.

use ureq::config::ConfigBuilder;
use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::typestate::AgentScope;

/// An agent config to finish with the caller's timeouts and `.build().into()`.
pub fn agent_config() -> ConfigBuilder<AgentScope> {
    ureq::Agent::config_builder()
        .tls_config(TlsConfig::builder().root_certs(system_roots()).build())
        .http_status_as_error(false)
        .user_agent(concat!("xtask-release/", env!("CARGO_PKG_VERSION")))
}

/// The certificates cargo and git trust: the system's CA store, so a server they reach
/// (behind a company's TLS-inspecting proxy, say) verifies here too. Mozilla's roots,
/// built in, where the system has no bundle file (macOS, Windows). Read and parsed once
/// per process (a bundle is a few hundred certificates), however many agents we make.
fn system_roots() -> RootCerts {
    static ROOTS: std::sync::OnceLock<RootCerts> = std::sync::OnceLock::new();
    ROOTS.get_or_init(read_system_roots).clone()
}

fn read_system_roots() -> RootCerts {
    let bundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
    let explicit = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let pem = explicit.into_iter().chain(bundles.map(Into::into)).find_map(|path| std::fs::read(path).ok());
    let certs: Vec<_> = pem
        .iter()
        .flat_map(|pem| ureq::tls::parse_pem(pem))
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() { RootCerts::WebPki } else { RootCerts::new_with_certs(&certs) }
}
