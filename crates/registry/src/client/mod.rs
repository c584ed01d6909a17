//! [`Registry`]: one registry as berth talks to it. Every request carries the authorization
//! its scopes need (a 401 teaches the scheme and is retried once), and 5xx, 429 and broken
//! connections are retried with backoff.

mod errors;
mod request;

use std::path::PathBuf;

pub use errors::registry_error;
pub(crate) use request::with_retries;
pub use request::Body;

use crate::auth::Authenticator;
use crate::credentials::Credential;
use crate::error::{Error, Result};
use crate::http::{self, HostTls};
use crate::name;

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Credentials to use, if any.
    pub credential: Option<Credential>,
    /// Plain HTTP is allowed (after HTTPS fails): configured insecure, or loopback.
    pub insecure: bool,
    /// Directories holding `<host[:port]>/` folders of CA files and client certificates.
    pub certs_dirs: Vec<PathBuf>,
    /// One directory holding this registry's CA files and client certificate directly
    /// (podman's `--cert-dir`), used instead of `certs_dirs` when given.
    pub cert_dir: Option<PathBuf>,
}

/// A connected registry endpoint.
#[derive(Debug)]
pub struct Registry {
    /// The registry's name as references spell it (`docker.io`, `127.0.0.1:5000`).
    pub name: String,
    /// `https://host[:port]` or `http://host[:port]`.
    base: String,
    agent: ureq::Agent,
    auth: Authenticator,
}

impl Registry {
    /// Connects to `host` (`host[:port]` of the API; see [`name::api_host`]) for the registry
    /// named `registry`: picks the scheme (HTTPS; plain HTTP only when `insecure` and HTTPS
    /// fails, as Docker does for insecure and loopback registries) and learns the
    /// authentication scheme from `GET /v2/`.
    pub fn connect(registry: &str, host: &str, opts: &ConnectOptions) -> Result<Registry> {
        let files = match &opts.cert_dir {
            Some(dir) => {
                let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or(".");
                let parent = dir.parent().map(PathBuf::from).unwrap_or_default();
                crate::config::certs::tls_files(name, &[parent])?
            }
            None => crate::config::certs::tls_files(host, &opts.certs_dirs)?,
        };
        let tls = HostTls {
            ca_files: files.ca_files,
            client_pair: files.client_pairs.into_iter().next(),
        };
        let agent = http::agent_for(&tls, 10)?;
        let auth = Authenticator::new(registry, opts.credential.clone(), http::agent()?);
        let mut reg = Registry {
            name: name::canonical(registry).to_string(),
            base: format!("https://{host}"),
            agent,
            auth,
        };
        match reg.ping() {
            Ok(()) => Ok(reg),
            Err(https_err @ Error::Transport { .. }) if opts.insecure => {
                reg.base = format!("http://{host}");
                match reg.ping() {
                    Ok(()) => Ok(reg),
                    // Neither spoke the API: the HTTPS failure says more (a certificate
                    // error rather than HTTP's "400" to a TLS handshake).
                    Err(_) => Err(https_err),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// `GET /v2/`: checks the registry speaks the API, and learns its challenge.
    fn ping(&self) -> Result<()> {
        let url = format!("{}/v2/", self.base);
        // A busy registry (5xx, 429) is asked again; a transport error is not: it is how a
        // plain-HTTP registry answers the HTTPS attempt, and the fallback must be quick.
        let resp =
            with_retries(false, || self.agent.get(&url).call()).map_err(|e| Error::Transport {
                url: url.clone(),
                reason: http::describe(&e),
            })?;
        let status = resp.status().as_u16();
        if status == 401 {
            let h = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok());
            self.auth.challenged(h, &[]);
            return Ok(());
        }
        if (200..300).contains(&status) {
            return Ok(());
        }
        Err(Error::Transport {
            url,
            reason: format!(
                "the registry answered {status} to GET /v2/: not an OCI distribution registry?"
            ),
        })
    }

    /// Checks the credentials as `login` does: a token request with them, or `GET /v2/` with
    /// basic authentication.
    pub fn verify_login(&self) -> Result<()> {
        if self.auth.wants_basic() {
            let resp = self.send("GET", "/v2/", &[], &[], Body::Empty)?;
            let status = resp.status().as_u16();
            if status == 401 {
                return Err(Error::Unauthorized(
                    "unauthorized: incorrect username or password".into(),
                ));
            }
            return Ok(());
        }
        self.auth.verify_login()
    }

    /// The URL of `path` (which starts with `/v2/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}
