//! [`Authenticator`]: the `Authorization` header for each request, from what the registry's
//! challenge asks for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use super::challenge::{self, Challenge};
use crate::credentials::Credential;
use crate::error::{Error, Result};
use crate::http;

/// The client ID berth gives in OAuth2 token requests.
const CLIENT_ID: &str = "berth";
/// Tokens without `expires_in` live this long (the token spec's default).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Largest token response read.
const MAX_TOKEN_RESPONSE: u64 = 1 << 20;

/// One resource scope of a token request (`repository:library/busybox:pull,push`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(pub String);

impl Scope {
    /// Pull access to a repository.
    pub fn pull(repository: &str) -> Scope {
        Scope(format!("repository:{repository}:pull"))
    }

    /// Pull and push access to a repository.
    pub fn push(repository: &str) -> Scope {
        Scope(format!("repository:{repository}:pull,push"))
    }
}

/// What the registry's challenge asks for.
#[derive(Debug, Clone)]
enum Scheme {
    /// No challenge seen: send nothing.
    None,
    /// HTTP basic.
    Basic,
    /// Bearer tokens from `realm` for `service`.
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct Token {
    value: String,
    renew_at: Instant,
}

/// Authorization for one registry: the credentials (if any), the challenge it sent, and the
/// tokens fetched so far (one per set of scopes).
pub struct Authenticator {
    registry: String,
    credential: Option<Credential>,
    scheme: Mutex<Scheme>,
    tokens: Mutex<HashMap<Vec<Scope>, Token>>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("registry", &self.registry)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Authenticator {
    /// Authorization for `registry` (for messages) with `credential`; token requests go
    /// through `agent`.
    pub fn new(registry: &str, credential: Option<Credential>, agent: ureq::Agent) -> Self {
        Authenticator {
            registry: registry.to_string(),
            credential,
            scheme: Mutex::new(Scheme::None),
            tokens: Mutex::new(HashMap::new()),
            agent,
        }
    }

    /// Whether credentials were given.
    pub fn has_credentials(&self) -> bool {
        self.credential.is_some()
    }

    /// Learns the scheme from a 401 response's `WWW-Authenticate` header. Returns whether
    /// a retry with (new) authorization can help.
    pub fn challenged(&self, header: Option<&str>, scopes: &[Scope]) -> bool {
        let parsed: Vec<Challenge> = header.map(challenge::parse).unwrap_or_default();
        let bearer = parsed.iter().find(|c| c.scheme == "bearer");
        let new = match bearer {
            Some(c) => match c.param("realm") {
                Some(realm) => Scheme::Bearer {
                    realm: realm.to_string(),
                    service: c.param("service").map(String::from),
                },
                None => Scheme::None,
            },
            None if parsed.iter().any(|c| c.scheme == "basic") => Scheme::Basic,
            None => Scheme::None,
        };
        let retry = match (
            &new,
            &*self.scheme.lock().unwrap_or_else(|e| e.into_inner()),
        ) {
            (Scheme::None, _) => false,
            (Scheme::Basic, Scheme::Basic) => false,
            (Scheme::Basic, _) => true,
            (Scheme::Bearer { .. }, _) => true,
        };
        if let Ok(mut t) = self.tokens.lock() {
            let mut key = scopes.to_vec();
            key.sort();
            t.remove(&key);
        }
        *self.scheme.lock().unwrap_or_else(|e| e.into_inner()) = new;
        retry
    }

    /// Whether the registry has asked for basic authentication.
    pub fn wants_basic(&self) -> bool {
        matches!(
            *self.scheme.lock().unwrap_or_else(|e| e.into_inner()),
            Scheme::Basic
        )
    }

    /// The `Authorization` header value for a request needing `scopes`, fetching a token
    /// when the cached one is missing or about to expire.
    pub fn header(&self, scopes: &[Scope]) -> Result<Option<String>> {
        let scheme = self
            .scheme
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match scheme {
            Scheme::None => Ok(None),
            Scheme::Basic => match &self.credential {
                Some(Credential::Basic { username, password }) => {
                    Ok(Some(basic_header(username, password)))
                }
                Some(Credential::IdentityToken { .. }) | None => {
                    Err(Error::Unauthorized("no basic auth credentials".into()))
                }
            },
            Scheme::Bearer { realm, service } => {
                let mut key = scopes.to_vec();
                key.sort();
                key.dedup();
                let now = Instant::now();
                if let Some(t) = self.tokens.lock().ok().and_then(|t| t.get(&key).cloned()) {
                    if t.renew_at > now {
                        return Ok(Some(format!("Bearer {}", t.value)));
                    }
                }
                let token = self.fetch_token(&realm, service.as_deref(), &key)?;
                if let Ok(mut t) = self.tokens.lock() {
                    t.insert(key, token.clone());
                }
                Ok(Some(format!("Bearer {}", token.value)))
            }
        }
    }

    /// Checks the credentials: for a token registry, a token request with them (no scope),
    /// for a basic one the caller retries `/v2/` with the header. Errors say `unauthorized`.
    pub fn verify_login(&self) -> Result<()> {
        let scheme = self
            .scheme
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Scheme::Bearer { realm, service } = scheme {
            self.fetch_token(&realm, service.as_deref(), &[])?;
        }
        Ok(())
    }

    fn fetch_token(&self, realm: &str, service: Option<&str>, scopes: &[Scope]) -> Result<Token> {
        let started = Instant::now();
        let transport = |e: ureq::Error| Error::Transport {
            url: realm.to_string(),
            reason: http::describe(&e),
        };
        let response =
            crate::client::with_retries(true, || self.request_token(realm, service, scopes))
                .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .with_config()
            .limit(MAX_TOKEN_RESPONSE)
            .read_to_vec()
            .map_err(transport)?;
        self.parse_token(realm, status, &body, started)
    }

    /// One token request: an OAuth2 refresh grant with an identity token, else a `GET` with
    /// basic credentials or none.
    fn request_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[Scope],
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        match &self.credential {
            Some(Credential::IdentityToken { token, .. }) => {
                let mut form: Vec<(&str, String)> = vec![
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", token.clone()),
                    ("client_id", CLIENT_ID.into()),
                ];
                if let Some(s) = service {
                    form.push(("service", s.to_string()));
                }
                let scope = scopes
                    .iter()
                    .map(|s| s.0.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                if !scope.is_empty() {
                    form.push(("scope", scope));
                }
                self.agent
                    .post(realm)
                    .send_form(form.iter().map(|(k, v)| (*k, v.as_str())))
            }
            other => {
                let mut req = self.agent.get(realm);
                if let Some(s) = service {
                    req = req.query("service", s);
                }
                for s in scopes {
                    req = req.query("scope", &s.0);
                }
                if let Some(Credential::Basic { username, password }) = other {
                    req = req
                        .query("account", username)
                        .header("Authorization", basic_header(username, password));
                }
                req.call()
            }
        }
    }

    /// The token from a token server's answer.
    fn parse_token(
        &self,
        realm: &str,
        status: u16,
        body: &[u8],
        started: Instant,
    ) -> Result<Token> {
        if status == 401 || status == 403 {
            return Err(Error::Unauthorized(if self.credential.is_some() {
                "unauthorized: incorrect username or password".into()
            } else {
                format!("unauthorized: {} refused an anonymous token", self.registry)
            }));
        }
        if !(200..300).contains(&status) {
            return Err(Error::Transport {
                url: realm.to_string(),
                reason: format!("token server answered {status}"),
            });
        }
        let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
            Error::BadManifest(format!("token server {realm} sent no valid JSON: {e}"))
        })?;
        let value = parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| Error::BadManifest(format!("token server {realm} sent no token")))?;
        let lifetime = parsed
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_LIFETIME);
        // Renew early: a token must not expire between the check and the request's end.
        let margin = (lifetime / 4).min(Duration::from_secs(30));
        Ok(Token {
            value,
            renew_at: started + lifetime.saturating_sub(margin),
        })
    }
}

/// `Basic base64(user:password)`.
pub fn basic_header(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_encodes() {
        assert_eq!(basic_header("a", "b:c"), "Basic YTpiOmM=");
    }

    #[test]
    fn basic_without_credentials_is_an_error() {
        let a = Authenticator::new("r", None, http::agent().unwrap());
        assert!(a.challenged(Some(r#"Basic realm="x""#), &[]));
        let e = a.header(&[]).unwrap_err();
        assert!(e.to_string().contains("no basic auth credentials"));
    }
}
