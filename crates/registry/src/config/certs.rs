//! Per-registry TLS files as Docker and podman read them: `<certs dir>/<host[:port]>/` holds
//! CA certificates (`*.crt`) and client certificates (`*.cert`, each with the `*.key` of the
//! same name). See docker's "Verify repository client certificates" and podman's
//! containers-certs.d(5).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Docker's certificates directory.
pub const DOCKER_CERTS_DIR: &str = "/etc/docker/certs.d";
/// podman's (containers') certificates directory.
pub const CONTAINERS_CERTS_DIR: &str = "/etc/containers/certs.d";

/// The TLS files configured for one registry host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA certificates (`*.crt`) to trust for the host besides the system's roots.
    pub ca_files: Vec<PathBuf>,
    /// Client certificates (`*.cert`) with their keys (the `*.key` of the same name).
    pub client_pairs: Vec<(PathBuf, PathBuf)>,
}

/// The directories searched for `<host[:port]>/` folders: Docker's, then podman's.
pub fn certs_dirs() -> Vec<PathBuf> {
    vec![
        PathBuf::from(DOCKER_CERTS_DIR),
        PathBuf::from(CONTAINERS_CERTS_DIR),
    ]
}

/// The TLS files for `host` (`host[:port]`, exactly as the folder is named: Docker does not
/// fall back from `host:443` to `host`): from `<dir>/<host>/` of each of `dirs` in order,
/// each folder's files sorted by name. A missing folder is fine.
///
/// As in Docker, a `.cert` without the `.key` of the same name (or a `.key` without its
/// `.cert`) is an error naming both files. A `host` that could leave the directory (empty,
/// `.`, `..`, or holding a `/`, `\` or NUL) is an error.
pub fn tls_files(host: &str, dirs: &[PathBuf]) -> Result<TlsFiles> {
    if host.is_empty() || host == "." || host == ".." || host.contains(['/', '\\', '\0']) {
        return Err(Error::Invalid(format!(
            "invalid registry host {host:?} for a certificates directory"
        )));
    }
    let mut files = TlsFiles::default();
    for dir in dirs {
        read_host_dir(&dir.join(host), &mut files)?;
    }
    Ok(files)
}

/// Adds the files of one `<dir>/<host>/` folder to `files`.
fn read_host_dir(dir: &Path, files: &mut TlsFiles) -> Result<()> {
    let io_err = |source: io::Error| Error::Io {
        what: "reading certificates directory",
        path: dir.to_path_buf(),
        source,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(e)),
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err)?;
        // Names that are not UTF-8 cannot end in the suffixes looked for.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // Symbolic links to files are followed (CA files are often links); folders skipped.
        if fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        names.push(name);
    }
    names.sort();
    let has = |n: &str| names.iter().any(|x| x == n);
    for name in &names {
        if name.ends_with(".crt") {
            files.ca_files.push(dir.join(name));
        } else if let Some(stem) = name.strip_suffix(".cert") {
            let key = format!("{stem}.key");
            if !has(&key) {
                return Err(Error::BadConfig {
                    path: dir.to_path_buf(),
                    reason: format!(
                        "missing key {key} for client certificate {name}. \
                         CA certificates must use the extension .crt"
                    ),
                });
            }
            files.client_pairs.push((dir.join(name), dir.join(key)));
        } else if let Some(stem) = name.strip_suffix(".key") {
            let cert = format!("{stem}.cert");
            if !has(&cert) {
                return Err(Error::BadConfig {
                    path: dir.to_path_buf(),
                    reason: format!("missing client certificate {cert} for key {name}"),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, names: &[&str]) {
        fs::create_dir_all(dir).unwrap();
        for n in names {
            fs::write(dir.join(n), "x").unwrap();
        }
    }

    #[test]
    fn default_dirs_docker_first() {
        assert_eq!(
            certs_dirs(),
            [
                PathBuf::from("/etc/docker/certs.d"),
                PathBuf::from("/etc/containers/certs.d")
            ]
        );
    }

    #[test]
    fn reads_cas_and_pairs_sorted_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let host = tmp.path().join("docker/registry.local:5000");
        touch(
            &host,
            &[
                "z-ca.crt",
                "a-ca.crt",
                "client.cert",
                "client.key",
                "b.cert",
                "b.key",
                "README",
            ],
        );
        fs::create_dir(host.join("sub.crt")).unwrap();
        let files = tls_files("registry.local:5000", &[tmp.path().join("docker")]).unwrap();
        assert_eq!(
            files.ca_files,
            [host.join("a-ca.crt"), host.join("z-ca.crt")]
        );
        assert_eq!(
            files.client_pairs,
            [
                (host.join("b.cert"), host.join("b.key")),
                (host.join("client.cert"), host.join("client.key"))
            ]
        );
    }

    #[test]
    fn both_dirs_in_order_and_missing_ones_are_fine() {
        let tmp = tempfile::tempdir().unwrap();
        let docker = tmp.path().join("docker");
        let containers = tmp.path().join("containers");
        touch(&docker.join("r.io"), &["docker.crt"]);
        touch(&containers.join("r.io"), &["podman.crt", "c.cert", "c.key"]);
        let dirs = [
            docker.clone(),
            tmp.path().join("absent"),
            containers.clone(),
        ];
        let files = tls_files("r.io", &dirs).unwrap();
        assert_eq!(
            files.ca_files,
            [
                docker.join("r.io/docker.crt"),
                containers.join("r.io/podman.crt")
            ]
        );
        assert_eq!(files.client_pairs.len(), 1);
        assert_eq!(tls_files("other.io", &dirs).unwrap(), TlsFiles::default());
    }

    #[test]
    fn the_port_is_part_of_the_folder_name() {
        let tmp = tempfile::tempdir().unwrap();
        touch(&tmp.path().join("r.io"), &["ca.crt"]);
        let dirs = [tmp.path().to_path_buf()];
        assert!(tls_files("r.io:443", &dirs).unwrap().ca_files.is_empty());
        assert_eq!(tls_files("r.io", &dirs).unwrap().ca_files.len(), 1);
    }

    #[test]
    fn cert_without_key_names_both() {
        let tmp = tempfile::tempdir().unwrap();
        touch(&tmp.path().join("r.io"), &["client.cert", "ca.crt"]);
        let err = tls_files("r.io", &[tmp.path().to_path_buf()]).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::BadConfig { .. }), "{msg}");
        assert!(msg.contains("missing key client.key for client certificate client.cert"));
        assert!(msg.contains("r.io"), "{msg}");
    }

    #[test]
    fn key_without_cert_names_both() {
        let tmp = tempfile::tempdir().unwrap();
        touch(
            &tmp.path().join("r.io"),
            &["client.key", "other.cert", "other.key"],
        );
        let msg = tls_files("r.io", &[tmp.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("missing client certificate client.cert for key client.key"));
    }

    #[test]
    fn hosts_cannot_leave_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        touch(&tmp.path().join("certs"), &[]);
        touch(tmp.path(), &["evil.crt"]);
        let dirs = [tmp.path().join("certs")];
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0b"] {
            assert!(
                matches!(tls_files(bad, &dirs), Err(Error::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        touch(tmp.path(), &["r.io"]);
        let err = tls_files("r.io", &[tmp.path().to_path_buf()]).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
