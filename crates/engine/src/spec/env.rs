//! The container process's environment, merged as Docker merges it.

/// Docker's default `PATH` for Linux containers.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn key(e: &str) -> &str {
    e.split_once('=').map_or(e, |(k, _)| k)
}

/// The process environment: the image's `env` overlaid by `user_env` (`-e`, a bare `KEY`
/// removing it), on top of Docker's defaults `PATH`, `HOSTNAME` and (with a tty)
/// `TERM=xterm`; `HOME` is added last from `home` when nothing set it (runc does that).
///
/// The order is Docker's: `PATH`, `HOSTNAME`, `TERM`, then the user's variables, then the
/// image's that the user did not override; a default is replaced where it stands.
pub fn process_env(
    image_env: &[String],
    user_env: &[String],
    hostname: &str,
    tty: bool,
    home: &str,
) -> Vec<String> {
    // moby `merge`: user env first, then image entries whose key the user did not name.
    let mut config_env: Vec<&str> = user_env.iter().map(String::as_str).collect();
    for e in image_env {
        if !user_env.iter().any(|u| key(u) == key(e)) {
            config_env.push(e);
        }
    }
    // moby `ReplaceOrAppendEnvValues(defaults, config_env)`.
    let mut env: Vec<Option<String>> = vec![
        Some(format!("PATH={DEFAULT_PATH}")),
        Some(format!("HOSTNAME={hostname}")),
    ];
    if tty {
        env.push(Some("TERM=xterm".to_string()));
    }
    let defaults = env.len();
    for e in config_env {
        let slot = env[..defaults]
            .iter()
            .position(|d| d.as_deref().is_some_and(|d| key(d) == key(e)));
        match (slot, e.contains('=')) {
            (Some(i), true) => env[i] = Some(e.to_string()),
            (Some(i), false) => env[i] = None,
            (None, true) => env.push(Some(e.to_string())),
            (None, false) => {}
        }
    }
    let mut env: Vec<String> = env.into_iter().flatten().collect();
    if !env.iter().any(|e| key(e) == "HOME") {
        env.push(format!("HOME={home}"));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn defaults_only() {
        assert_eq!(
            process_env(&[], &[], "abc", false, "/root"),
            [
                format!("PATH={DEFAULT_PATH}"),
                "HOSTNAME=abc".into(),
                "HOME=/root".into()
            ]
        );
        assert_eq!(process_env(&[], &[], "h", true, "/")[2], "TERM=xterm");
    }

    #[test]
    fn merge() {
        let image = v(&["PATH=/opt/bin:/bin", "LANG=C", "A=image"]);
        let user = v(&["A=user", "B=2", "HOME=/h"]);
        assert_eq!(
            process_env(&image, &user, "h", true, "/root"),
            [
                "PATH=/opt/bin:/bin",
                "HOSTNAME=h",
                "TERM=xterm",
                "A=user",
                "B=2",
                "HOME=/h",
                "LANG=C"
            ]
        );
    }

    #[test]
    fn user_overrides_defaults_and_unsets() {
        let user = v(&["HOSTNAME=mine", "TERM", "PATH=/x"]);
        assert_eq!(
            process_env(&[], &user, "h", true, "/"),
            ["PATH=/x", "HOSTNAME=mine", "HOME=/"]
        );
    }
}
