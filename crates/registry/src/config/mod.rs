//! Registry configuration files: `registries.conf` (search registries, insecure and blocked
//! registries, mirrors and location rewrites) and the per-registry TLS files of `certs.d`.

pub mod certs;
pub mod registries_conf;

pub use certs::{certs_dirs, tls_files, TlsFiles};
pub use registries_conf::{
    Endpoint, Mirror, PullFromMirror, RegistriesConf, Registry, ShortNameMode,
};
