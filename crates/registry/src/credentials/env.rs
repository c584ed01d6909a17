//! Where Docker and podman keep credentials, from the environment.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::AuthFiles;

impl AuthFiles {
    /// The files Docker and podman would use: Docker's config directory is `$DOCKER_CONFIG`,
    /// else `$HOME/.docker` (`/root/.docker` without a `HOME`); podman's file is
    /// `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else
    /// `/run/containers/<uid>/auth.json`. Helpers are looked up on the process's `PATH`.
    pub fn from_env() -> AuthFiles {
        let uid = std::fs::metadata("/proc/self").ok().map(|m| m.uid());
        from_vars(|name| std::env::var_os(name), uid)
    }
}

/// [`AuthFiles::from_env`] with the environment and the effective uid supplied.
fn from_vars(var: impl Fn(&str) -> Option<OsString>, uid: Option<u32>) -> AuthFiles {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let docker_config_dir = set("DOCKER_CONFIG").unwrap_or_else(|| {
        set("HOME")
            .unwrap_or_else(|| PathBuf::from("/root"))
            .join(".docker")
    });
    let podman_auth_file = set("REGISTRY_AUTH_FILE")
        .or_else(|| set("XDG_RUNTIME_DIR").map(|d| d.join("containers/auth.json")))
        .or_else(|| uid.map(|uid| PathBuf::from(format!("/run/containers/{uid}/auth.json"))));
    AuthFiles {
        docker_config_dir,
        podman_auth_file,
        helper_path: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn files(vars: &[(&str, &str)], uid: Option<u32>) -> AuthFiles {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        from_vars(|name| vars.get(name).cloned(), uid)
    }

    #[test]
    fn explicit_variables_win() {
        let f = files(
            &[
                ("DOCKER_CONFIG", "/cfg"),
                ("HOME", "/home/u"),
                ("REGISTRY_AUTH_FILE", "/a/auth.json"),
                ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ],
            Some(1000),
        );
        assert_eq!(f.docker_config_dir, PathBuf::from("/cfg"));
        assert_eq!(f.podman_auth_file, Some(PathBuf::from("/a/auth.json")));
        assert_eq!(f.helper_path, None);
    }

    #[test]
    fn fallbacks() {
        let f = files(
            &[("HOME", "/home/u"), ("XDG_RUNTIME_DIR", "/run/user/1000")],
            Some(1000),
        );
        assert_eq!(f.docker_config_dir, PathBuf::from("/home/u/.docker"));
        assert_eq!(
            f.podman_auth_file,
            Some(PathBuf::from("/run/user/1000/containers/auth.json"))
        );
        let f = files(&[("DOCKER_CONFIG", ""), ("XDG_RUNTIME_DIR", "")], Some(0));
        assert_eq!(f.docker_config_dir, PathBuf::from("/root/.docker"));
        assert_eq!(
            f.podman_auth_file,
            Some(PathBuf::from("/run/containers/0/auth.json"))
        );
        assert_eq!(files(&[], None).podman_auth_file, None);
    }

    #[test]
    fn from_env_finds_a_uid() {
        assert!(AuthFiles::from_env().podman_auth_file.is_some());
    }
}
