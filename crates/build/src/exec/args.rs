//! ARG values: the global (meta) scope before the first FROM, BuildKit's predefined
//! platform ARGs, and the proxy ARGs that are usable undeclared and kept out of history
//! and cache keys.

use berth_dockerfile::expand::{EnvList, Lexer};

use crate::error::Result;
use crate::instructions::{expand_command, CommandKind};
use crate::options::BuildOptions;
use crate::plan::{at, Plan};

/// Proxy variables: usable without an ARG, never written to history or cache keys.
pub(crate) const PROXY_ARGS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Whether a build arg is one BuildKit knows without an ARG (proxies, platform, BUILDKIT_*).
pub(crate) fn is_builtin(name: &str) -> bool {
    PROXY_ARGS.contains(&name) || predefined(name).is_some() || name.starts_with("BUILDKIT_")
}

/// The host's architecture as OCI names it.
pub(crate) fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// The value of a predefined platform ARG (the build and target platform are the host's).
pub(crate) fn predefined(name: &str) -> Option<String> {
    let arch = host_arch();
    Some(match name {
        "TARGETPLATFORM" | "BUILDPLATFORM" => format!("linux/{arch}"),
        "TARGETOS" | "BUILDOS" => "linux".into(),
        "TARGETARCH" | "BUILDARCH" => arch.into(),
        "TARGETVARIANT" | "BUILDVARIANT" => String::new(),
        _ => return None,
    })
}

/// Resolves the ARGs before the first FROM, in order: a `--build-arg` wins over the
/// default; defaults may use earlier global ARGs. Predefined platform ARGs are in scope.
pub(crate) fn meta_args(
    plan: &Plan,
    opts: &BuildOptions,
    file: &str,
) -> Result<Vec<(String, Option<String>)>> {
    let mut out: Vec<(String, Option<String>)> = [
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
    ]
    .iter()
    .map(|n| (n.to_string(), predefined(n)))
    .collect();
    let lexer = Lexer::new(plan.escape);
    for cmd in &plan.meta_args {
        let env = env_of(&out, &[]);
        let (expanded, _) =
            expand_command(cmd, &lexer, &env).map_err(|e| at(file, &cmd.location, e.message()))?;
        if let CommandKind::Arg(list) = &expanded.kind {
            for (name, default) in list {
                let value = opts.build_args.get(name).cloned().or(default.clone());
                out.retain(|(n, _)| n != name);
                out.push((name.clone(), value));
            }
        }
    }
    Ok(out)
}

/// The environment for expanding words: ARGs with values, then `env` (`K=V`, the image's
/// ENV) over them, as BuildKit does.
pub(crate) fn env_of(args: &[(String, Option<String>)], env: &[String]) -> EnvList {
    let mut list = EnvList::default();
    for (k, v) in args {
        if let Some(v) = v {
            list.set(k, v);
        }
    }
    for e in env {
        match e.split_once('=') {
            Some((k, v)) => list.set(k, v),
            None => list.set(e, ""),
        }
    }
    list
}
