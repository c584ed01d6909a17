//! Registry credentials where Docker and podman keep them: Docker's `config.json` (its
//! `credHelpers`, `credsStore` and `auths`), credential helpers (`docker-credential-*`), and
//! podman's `auth.json`.
//!
//! Lookup follows Docker: the helper `credHelpers` names for the registry, else the
//! `credsStore` helper; if the helper has nothing, the `auths` entry in `config.json`; and
//! only if Docker's configuration has nothing, podman's `auth.json` (whose keys may be scoped
//! to a repository). `login` stores where Docker would (the helper, else `config.json`), and
//! `logout` erases from everywhere the registry is found.

mod auth_file;
mod docker_config;
mod entry;
mod env;
mod helper;
mod key;
mod podman;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

pub use key::{credential_key, DOCKER_HUB_KEY};

use auth_file::AuthFile;
use helper::Helper;

use crate::error::Result;

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A username and password (or personal access token), sent as HTTP basic auth or
    /// exchanged for a bearer token.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth2 refresh token (Docker's "identity token"), exchanged for bearer tokens.
    IdentityToken {
        /// The username it was issued to (may be empty).
        username: String,
        /// The refresh token.
        token: String,
    },
}

impl Credential {
    /// The username (possibly empty).
    pub fn username(&self) -> &str {
        match self {
            Credential::Basic { username, .. } | Credential::IdentityToken { username, .. } => {
                username
            }
        }
    }
}

/// Shows the username only: secrets never reach logs.
impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = format_args!("<redacted>");
        match self {
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &redacted)
                .finish(),
            Credential::IdentityToken { username, .. } => f
                .debug_struct("IdentityToken")
                .field("username", username)
                .field("token", &redacted)
                .finish(),
        }
    }
}

/// Where [`AuthFiles::store`] put a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredIn {
    /// In the credential helper `docker-credential-<name>`.
    Helper(String),
    /// In this file (Docker's `config.json`).
    File(PathBuf),
}

/// The credential files Docker and podman use (see [`AuthFiles::from_env`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFiles {
    /// Docker's configuration directory, holding `config.json`.
    pub docker_config_dir: PathBuf,
    /// Podman's `auth.json`, if its location is known.
    pub podman_auth_file: Option<PathBuf>,
    /// Where credential helpers are looked for (`PATH`-style); `None` means the process's
    /// `PATH` at the time of the call.
    pub helper_path: Option<OsString>,
}

impl AuthFiles {
    /// Docker's `config.json`.
    pub fn docker_config_file(&self) -> PathBuf {
        self.docker_config_dir.join("config.json")
    }

    /// The credentials for `registry` (`docker.io`, `quay.io`, `localhost:5000`), if any are
    /// stored. Same as [`AuthFiles::lookup_for`] with no repository.
    pub fn lookup(&self, registry: &str) -> Result<Option<Credential>> {
        self.lookup_for(registry, "")
    }

    /// The credentials for `repository` (`library/busybox`; may be empty) in `registry`.
    /// The repository only matters for podman's repository-scoped keys.
    ///
    /// Missing files are not errors; a file that is not JSON, a malformed entry, or a helper
    /// that cannot be run or fails is.
    pub fn lookup_for(&self, registry: &str, repository: &str) -> Result<Option<Credential>> {
        let docker = AuthFile::load(&self.docker_config_file())?;
        if let Some(name) = docker_config::helper_for(&docker, registry)? {
            if let Some(cred) = self.helper(&name).get(&credential_key(registry))? {
                return Ok(Some(cred));
            }
        }
        if let Some(cred) = docker_config::find(&docker, registry)? {
            return Ok(Some(cred));
        }
        if let Some(path) = &self.podman_auth_file {
            let podman = AuthFile::load(path)?;
            return podman::find(&podman, registry, repository);
        }
        Ok(None)
    }

    /// Saves `cred` for `registry` (`login`): through the credential helper `config.json`
    /// assigns to the registry if there is one, else in `config.json`'s `auths` (keeping the
    /// rest of the file; written atomically, mode 0600).
    pub fn store(&self, registry: &str, cred: &Credential) -> Result<StoredIn> {
        let mut docker = AuthFile::load(&self.docker_config_file())?;
        if let Some(name) = docker_config::helper_for(&docker, registry)? {
            self.helper(&name).store(&credential_key(registry), cred)?;
            return Ok(StoredIn::Helper(name));
        }
        docker_config::set(&mut docker, registry, cred)?;
        docker.save()?;
        Ok(StoredIn::File(docker.path))
    }

    /// Forgets the credentials for `registry` (`logout`): from its credential helper, and
    /// every equivalent key in `config.json`'s and podman's `auths`. Whether anything was
    /// removed.
    pub fn erase(&self, registry: &str) -> Result<bool> {
        let mut removed = false;
        let mut docker = AuthFile::load(&self.docker_config_file())?;
        if let Some(name) = docker_config::helper_for(&docker, registry)? {
            removed |= self.helper(&name).erase(&credential_key(registry))?;
        }
        if docker_config::remove(&mut docker, registry)? {
            docker.save()?;
            removed = true;
        }
        if let Some(path) = &self.podman_auth_file {
            let mut podman = AuthFile::load(path)?;
            if podman::remove(&mut podman, registry)? {
                podman.save()?;
                removed = true;
            }
        }
        Ok(removed)
    }

    fn helper<'a>(&'a self, name: &'a str) -> Helper<'a> {
        Helper {
            name,
            search_path: self.helper_path.as_deref(),
        }
    }
}
