//! Arguments of `pull`, `push`, `login` and `logout` (Docker's flags, plus podman's
//! `--cert-dir` and `--tls-verify`).

use std::path::PathBuf;

use clap::Args;

/// How to reach a registry beyond its configuration (podman's flags).
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryFlags {
    /// A directory of CA certificates (*.crt) and a client certificate (*.cert, *.key) for
    /// this registry, instead of certs.d.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Require HTTPS and verify certificates (false: plain HTTP is allowed).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
}

/// `pull`.
#[derive(Args, Debug)]
pub struct PullArgs {
    /// Download all tagged images in the repository.
    #[arg(short, long)]
    pub all_tags: bool,
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Set platform if server is multi-platform capable (os/arch[/variant]).
    #[arg(long)]
    pub platform: Option<String>,
    /// Skip image verification (accepted; berth always verifies digests).
    #[arg(long, hide = true)]
    pub disable_content_trust: bool,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// NAME[:TAG|@DIGEST].
    pub name: String,
}

/// `push`.
#[derive(Args, Debug)]
pub struct PushArgs {
    /// Push all tags of the repository.
    #[arg(short, long)]
    pub all_tags: bool,
    /// Suppress verbose output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Skip image signing (accepted).
    #[arg(long, hide = true)]
    pub disable_content_trust: bool,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// NAME[:TAG].
    pub name: String,
}

/// `login`.
#[derive(Args, Debug)]
pub struct LoginArgs {
    /// Username.
    #[arg(short, long)]
    pub username: Option<String>,
    /// Password.
    #[arg(short, long)]
    pub password: Option<String>,
    /// Take the password from stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Registry flags.
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// The registry (default: Docker Hub).
    pub server: Option<String>,
}

/// `logout`.
#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// The registry (default: Docker Hub).
    pub server: Option<String>,
}
