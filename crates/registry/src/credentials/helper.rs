//! Docker's credential-helper protocol: a program `docker-credential-<name>` on the search
//! path, run with one argument:
//!
//! - `get`: the server URL on stdin; prints `{"ServerURL","Username","Secret"}`. A helper
//!   with nothing stored exits non-zero saying "credentials not found".
//! - `store`: `{"ServerURL","Username","Secret"}` on stdin.
//! - `erase`: the server URL on stdin.
//!
//! An identity token travels with the username `<token>`. Output is read up to a bound, and
//! error messages name the helper but never carry the secret.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Credential;
use crate::error::{Error, Result};

/// The username a helper stores an identity token under.
const TOKEN_USERNAME: &str = "<token>";
/// How much of a helper's stdout is read.
const MAX_STDOUT: u64 = 1 << 20;
/// How much of a helper's stderr is read.
const MAX_STDERR: u64 = 64 << 10;
/// How much of a helper's message goes into an error.
const MAX_MESSAGE: usize = 300;

/// A credential helper: `docker-credential-<name>`, looked up on `search_path` (the process's
/// `PATH` when `None`).
pub(super) struct Helper<'a> {
    /// The helper's name (`pass`, `secretservice`, `desktop`, ...).
    pub name: &'a str,
    /// Where to look for it, `PATH`-style.
    pub search_path: Option<&'a OsStr>,
}

/// What helpers read and print.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// What a helper run produced.
struct Outcome {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Outcome {
    /// Whether the helper said it has nothing for the server.
    fn not_found(&self) -> bool {
        [&self.stdout, &self.stderr].iter().any(|out| {
            let text = String::from_utf8_lossy(out).to_ascii_lowercase();
            text.contains("credentials not found") || text.contains("could not be found")
        })
    }
}

impl Helper<'_> {
    /// The credentials the helper holds for `server_url`, or `None` if it has none.
    pub fn get(&self, server_url: &str) -> Result<Option<Credential>> {
        let out = self.run("get", server_url.as_bytes())?;
        if !out.status.success() {
            if out.not_found() {
                return Ok(None);
            }
            return Err(self.failed("get", &out, None));
        }
        let wire: Wire = serde_json::from_slice(&out.stdout)
            .map_err(|_| self.error("get printed something that is not credentials JSON"))?;
        if wire.username.is_empty() && wire.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(if wire.username == TOKEN_USERNAME {
            Credential::IdentityToken {
                username: String::new(),
                token: wire.secret,
            }
        } else {
            Credential::Basic {
                username: wire.username,
                password: wire.secret,
            }
        }))
    }

    /// Stores `cred` for `server_url`.
    pub fn store(&self, server_url: &str, cred: &Credential) -> Result<()> {
        let (username, secret) = match cred {
            Credential::Basic { username, password } => (username.as_str(), password.as_str()),
            Credential::IdentityToken { token, .. } => (TOKEN_USERNAME, token.as_str()),
        };
        let wire = Wire {
            server_url: server_url.to_string(),
            username: username.to_string(),
            secret: secret.to_string(),
        };
        let input = serde_json::to_vec(&wire)
            .map_err(|e| self.error(&format!("cannot encode credentials: {e}")))?;
        let out = self.run("store", &input)?;
        if !out.status.success() {
            return Err(self.failed("store", &out, Some(secret)));
        }
        Ok(())
    }

    /// Erases what the helper holds for `server_url`; `false` if it said it had nothing.
    pub fn erase(&self, server_url: &str) -> Result<bool> {
        let out = self.run("erase", server_url.as_bytes())?;
        if out.status.success() {
            return Ok(true);
        }
        if out.not_found() {
            return Ok(false);
        }
        Err(self.failed("erase", &out, None))
    }

    /// The helper program: the first executable `docker-credential-<name>` on the path.
    fn program(&self) -> Result<PathBuf> {
        if self.name.is_empty() || self.name.contains(['/', '\0']) {
            return Err(self.error("not a valid helper name"));
        }
        let file = format!("docker-credential-{}", self.name);
        let path: OsString = match self.search_path {
            Some(p) => p.to_os_string(),
            None => std::env::var_os("PATH").unwrap_or_default(),
        };
        std::env::split_paths(&path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(&file))
            .find(|candidate| {
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
            .ok_or_else(|| self.error(&format!("{file} not found in PATH")))
    }

    /// Runs `<program> <action>` with `input` on stdin, collecting bounded output.
    fn run(&self, action: &str, input: &[u8]) -> Result<Outcome> {
        let program = self.program()?;
        let mut child = self.spawn(&program, action)?;
        let stderr = child.stderr.take().map(|e| {
            thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = e.take(MAX_STDERR).read_to_end(&mut buf);
                buf
            })
        });
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading its input is judged by its exit status.
            match stdin.write_all(input) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.error(&format!("cannot write to it: {e}")));
                }
                _ => {}
            }
        }
        let mut stdout = Vec::new();
        let read = match child.stdout.take() {
            Some(o) => o.take(MAX_STDOUT + 1).read_to_end(&mut stdout),
            None => Ok(0),
        };
        if read.is_err() || stdout.len() as u64 > MAX_STDOUT {
            let _ = child.kill();
        }
        let status = child
            .wait()
            .map_err(|e| self.error(&format!("cannot wait for it: {e}")))?;
        let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        if let Err(e) = read {
            return Err(self.error(&format!("cannot read its output: {e}")));
        }
        if stdout.len() as u64 > MAX_STDOUT {
            return Err(self.error(&format!("{action} printed more than {MAX_STDOUT} bytes")));
        }
        Ok(Outcome {
            status,
            stdout,
            stderr,
        })
    }

    /// Starts the helper. A script written moments ago by another thread can briefly be
    /// "text file busy" (a concurrent fork still holds it open for writing): retry a little.
    fn spawn(&self, program: &Path, action: &str) -> Result<Child> {
        const ETXTBSY: i32 = 26;
        let mut attempts = 0;
        loop {
            let spawned = Command::new(program)
                .arg(action)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            match spawned {
                Err(e) if e.raw_os_error() == Some(ETXTBSY) && attempts < 20 => {
                    attempts += 1;
                    thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(self.error(&format!("cannot run it: {e}"))),
                Ok(child) => return Ok(child),
            }
        }
    }

    /// The error for a helper that exited non-zero: its status and first words, with
    /// `secret` (if any) blotted out.
    fn failed(&self, action: &str, out: &Outcome, secret: Option<&str>) -> Error {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut message = [stdout.trim(), stderr.trim()]
            .into_iter()
            .find(|m| !m.is_empty())
            .unwrap_or("")
            .to_string();
        if let Some(secret) = secret.filter(|s| !s.is_empty()) {
            message = message.replace(secret, "<redacted>");
        }
        if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE) {
            message.truncate(cut);
            message.push_str("...");
        }
        let mut reason = format!("{action} failed ({})", out.status);
        if !message.is_empty() {
            reason = format!("{reason}: {message}");
        }
        self.error(&reason)
    }

    fn error(&self, reason: &str) -> Error {
        Error::CredentialHelper {
            helper: self.name.to_string(),
            reason: reason.to_string(),
        }
    }
}
