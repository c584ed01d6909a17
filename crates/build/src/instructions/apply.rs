//! What metadata instructions do to the image configuration (BuildKit's `dispatch*`).

use std::collections::BTreeMap;

use berth_store::oci::{Healthcheck, ImageConfig};

use super::CommandKind;
#[cfg(doc)]
use super::InstructionError;

/// Per-stage state that changes how later instructions apply (BuildKit's `dispatchState`).
/// Start a fresh one at every FROM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageFlags {
    /// A CMD appeared earlier in this stage: ENTRYPOINT then keeps the CMD instead of
    /// clearing the one inherited from the base.
    pub cmd_set: bool,
}

/// Applies an already expanded metadata instruction to `img`:
/// CMD/ENTRYPOINT (shell form wrapped in the image's SHELL, default `/bin/sh -c`; ENTRYPOINT
/// clears an inherited CMD unless `flags.cmd_set`), ENV (replace in place or append), LABEL,
/// EXPOSE (`80/tcp` keys, ranges expanded), WORKDIR (relative paths joined onto the current
/// one, then cleaned), USER, VOLUME, SHELL, STOPSIGNAL, HEALTHCHECK (`NONE` -> test `["NONE"]`),
/// ONBUILD (trigger text appended) and MAINTAINER (`author`). FROM, RUN, COPY, ADD and ARG do
/// nothing here.
///
/// `shell` is the SHELL in effect; when empty, the image's `Shell`, else `/bin/sh -c`, is used.
/// Errors (a bad EXPOSE port, an unknown STOPSIGNAL) are bare messages; attach the command's
/// location with [`InstructionError::new`].
pub fn apply_to_config(
    kind: &CommandKind,
    img: &mut ImageConfig,
    flags: &mut StageFlags,
    shell: &[String],
) -> Result<(), String> {
    let shell = if shell.is_empty() {
        img.config.shell.clone().unwrap_or_default()
    } else {
        shell.to_vec()
    };
    let cfg = &mut img.config;
    match kind {
        CommandKind::Cmd(c) => {
            let argv = c.to_argv(&shell);
            cfg.cmd = (!argv.is_empty()).then_some(argv);
            cfg.extra
                .insert("ArgsEscaped".into(), serde_json::Value::Bool(true));
            flags.cmd_set = true;
        }
        CommandKind::Entrypoint(c) => {
            let argv = c.to_argv(&shell);
            cfg.entrypoint = (!argv.is_empty()).then_some(argv);
            if !flags.cmd_set {
                cfg.cmd = None;
            }
        }
        CommandKind::Env(pairs) => set_env(cfg.env.get_or_insert_with(Vec::new), pairs),
        CommandKind::Label(pairs) => cfg
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(pairs.iter().cloned()),
        CommandKind::Expose(specs) => {
            let ports = parse_expose_ports(specs)?;
            add_empty_objects(&mut cfg.exposed_ports, ports);
        }
        CommandKind::Workdir(p) => {
            let cur = cfg.working_dir.clone().unwrap_or_default();
            cfg.working_dir = Some(normalize_workdir(&cur, p));
        }
        CommandKind::User(u) => cfg.user = Some(u.clone()),
        CommandKind::Volume(vs) => add_empty_objects(&mut cfg.volumes, vs.iter().cloned()),
        CommandKind::Shell(s) => cfg.shell = Some(s.clone()),
        CommandKind::StopSignal(s) => {
            check_signal(s)?;
            cfg.stop_signal = Some(s.clone());
        }
        CommandKind::Healthcheck(h) => {
            cfg.healthcheck = Some(h.clone().unwrap_or_else(|| Healthcheck {
                test: vec!["NONE".into()],
                ..Healthcheck::default()
            }));
        }
        CommandKind::Onbuild(t) => cfg.on_build.get_or_insert_with(Vec::new).push(t.clone()),
        CommandKind::Maintainer(m) => img.author = Some(m.clone()),
        CommandKind::From { .. }
        | CommandKind::Run(_)
        | CommandKind::Copy(_)
        | CommandKind::Add(_)
        | CommandKind::Arg(_) => {}
    }
    Ok(())
}

/// ENV: each `k=v` replaces the entry for `k` in place, or is appended.
fn set_env(env: &mut Vec<String>, pairs: &[(String, String)]) {
    for (k, v) in pairs {
        let entry = format!("{k}={v}");
        match env
            .iter_mut()
            .find(|e| e.split_once('=').map_or(e.as_str(), |(ek, _)| ek) == k)
        {
            Some(e) => *e = entry,
            None => env.push(entry),
        }
    }
}

/// Adds each key with an empty object (`ExposedPorts`, `Volumes`).
fn add_empty_objects(
    map: &mut Option<BTreeMap<String, serde_json::Value>>,
    keys: impl IntoIterator<Item = String>,
) {
    let map = map.get_or_insert_with(BTreeMap::new);
    for k in keys {
        map.insert(k, serde_json::json!({}));
    }
}

/// BuildKit's `NormalizeWorkdir` for Linux: a relative `path` is joined onto `current`
/// (`/` when empty), and the result is cleaned like Go's `path.Clean`.
pub fn normalize_workdir(current: &str, path: &str) -> String {
    let current = if current.is_empty() { "/" } else { current };
    if path.starts_with('/') {
        clean(path)
    } else {
        clean(&format!("{current}/{path}"))
    }
}

/// Go's `path.Clean`.
fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Docker's `nat.ParsePortSpecs` as EXPOSE uses it: `port[/proto]`, ranges `8000-8002`,
/// `ip:host:container` forms (only the container port kept). Returns the sorted, deduplicated
/// `port/proto` keys.
pub fn parse_expose_ports(specs: &[String]) -> Result<Vec<String>, String> {
    let mut out = std::collections::BTreeSet::new();
    for spec in specs {
        let (port_part, proto) = match spec.split_once('/') {
            None => (spec.as_str(), "tcp".to_string()),
            Some((p, "")) => (p, "tcp".to_string()),
            Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        };
        if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            return Err(format!("invalid proto: {proto}"));
        }
        let container = port_part.rsplit(':').next().unwrap_or(port_part);
        let bad = || format!("invalid containerPort: {container}");
        if container.is_empty() {
            return Err(bad());
        }
        let (start, end) = match container.split_once('-') {
            Some((a, b)) => (
                a.parse::<u16>().map_err(|_| bad())?,
                b.parse::<u16>().map_err(|_| bad())?,
            ),
            None => {
                let p = container.parse::<u16>().map_err(|_| bad())?;
                (p, p)
            }
        };
        if end < start {
            return Err(format!(
                "invalid range specified for container port: {container}"
            ));
        }
        for p in start..=end {
            out.insert(format!("{p}/{proto}"));
        }
    }
    Ok(out.into_iter().collect())
}

/// Linux signal names accepted by Docker's `signal.ParseSignal`.
const SIGNALS: &[&str] = &[
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "UNUSED", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/// Docker's `signal.ParseSignal`: a non-zero number, or a name with optional `SIG` prefix
/// (also `RTMIN+n` / `RTMAX-n`).
fn check_signal(s: &str) -> Result<(), String> {
    if let Ok(n) = s.parse::<u64>() {
        return if n == 0 {
            Err(format!("Invalid signal: {s}"))
        } else {
            Ok(())
        };
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    let rt = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| n.is_empty() || n.parse::<u8>().is_ok_and(|v| v <= 15))
    };
    if SIGNALS.contains(&name) || rt("RTMIN") || rt("RTMIN+") || rt("RTMAX-") || name == "RTMAX" {
        Ok(())
    } else {
        Err(format!("Invalid signal: {s}"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_command, Location};
    use super::*;

    fn run(img: &mut ImageConfig, flags: &mut StageFlags, src: &str) -> Result<(), String> {
        let df = berth_dockerfile::parser::parse(src.as_bytes()).unwrap();
        for inst in &df.instructions {
            let cmd = parse_command(inst).map_err(|e| e.to_string())?;
            apply_to_config(&cmd.kind, img, flags, &[])?;
        }
        Ok(())
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn base() -> ImageConfig {
        let mut img = ImageConfig::default();
        img.config.cmd = Some(strings(&["/bin/sh"]));
        img
    }

    #[test]
    fn entrypoint_resets_inherited_cmd() {
        let mut img = base();
        run(
            &mut img,
            &mut StageFlags::default(),
            "ENTRYPOINT [\"/app\"]",
        )
        .unwrap();
        assert_eq!(img.config.entrypoint, Some(strings(&["/app"])));
        assert_eq!(img.config.cmd, None);
    }

    #[test]
    fn entrypoint_keeps_same_stage_cmd() {
        let mut img = base();
        let mut flags = StageFlags::default();
        run(&mut img, &mut flags, "CMD [\"--help\"]\nENTRYPOINT app run").unwrap();
        assert!(flags.cmd_set);
        assert_eq!(img.config.cmd, Some(strings(&["--help"])));
        assert_eq!(
            img.config.entrypoint,
            Some(strings(&["/bin/sh", "-c", "app run"]))
        );
        assert_eq!(img.config.extra["ArgsEscaped"], true);
    }

    #[test]
    fn shell_form_uses_current_shell() {
        let mut img = ImageConfig::default();
        run(
            &mut img,
            &mut StageFlags::default(),
            "SHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nCMD echo hi",
        )
        .unwrap();
        assert_eq!(img.config.shell, Some(strings(&["/bin/bash", "-eu", "-c"])));
        assert_eq!(
            img.config.cmd,
            Some(strings(&["/bin/bash", "-eu", "-c", "echo hi"]))
        );
    }

    #[test]
    fn env_replaces_in_place_and_labels_merge() {
        let mut img = ImageConfig::default();
        img.config.env = Some(strings(&["PATH=/bin", "A=0"]));
        img.config.labels = Some(BTreeMap::from([("x".to_string(), "1".to_string())]));
        run(
            &mut img,
            &mut StageFlags::default(),
            "ENV B=2 A=1 PATH=/usr/bin\nLABEL y=2 x=3",
        )
        .unwrap();
        assert_eq!(
            img.config.env,
            Some(strings(&["PATH=/usr/bin", "A=1", "B=2"]))
        );
        let labels = img.config.labels.unwrap();
        assert_eq!((labels["x"].as_str(), labels["y"].as_str()), ("3", "2"));
    }

    #[test]
    fn expose_ports() {
        let mut img = ImageConfig::default();
        run(
            &mut img,
            &mut StageFlags::default(),
            "EXPOSE 80 53/UDP 8000-8002 127.0.0.1:8080:9090/tcp",
        )
        .unwrap();
        let keys: Vec<_> = img.config.exposed_ports.unwrap().into_keys().collect();
        assert_eq!(
            keys,
            ["53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp", "9090/tcp"]
        );
        let mut img = ImageConfig::default();
        let e = |s: &str| run(&mut ImageConfig::default(), &mut StageFlags::default(), s);
        assert_eq!(e("EXPOSE 80/xyz").unwrap_err(), "invalid proto: xyz");
        assert_eq!(e("EXPOSE abc").unwrap_err(), "invalid containerPort: abc");
        assert_eq!(
            e("EXPOSE 70000").unwrap_err(),
            "invalid containerPort: 70000"
        );
        assert!(e("EXPOSE 9-3").unwrap_err().starts_with("invalid range"));
        run(&mut img, &mut StageFlags::default(), "EXPOSE 0").unwrap();
    }

    #[test]
    fn workdir_joins_and_cleans() {
        let mut img = ImageConfig::default();
        let mut f = StageFlags::default();
        run(&mut img, &mut f, "WORKDIR a").unwrap();
        assert_eq!(img.config.working_dir.as_deref(), Some("/a"));
        run(&mut img, &mut f, "WORKDIR b/../c/./").unwrap();
        assert_eq!(img.config.working_dir.as_deref(), Some("/a/c"));
        run(&mut img, &mut f, "WORKDIR /x//y/..").unwrap();
        assert_eq!(img.config.working_dir.as_deref(), Some("/x"));
        assert_eq!(normalize_workdir("/", "../.."), "/");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean(""), ".");
    }

    #[test]
    fn other_metadata() {
        let mut img = ImageConfig::default();
        run(
            &mut img,
            &mut StageFlags::default(),
            "USER app\nVOLUME /data /cache\nSTOPSIGNAL sigquit\nMAINTAINER me\nONBUILD RUN make\n\
             HEALTHCHECK --interval=5s CMD true",
        )
        .unwrap();
        let c = &img.config;
        assert_eq!(c.user.as_deref(), Some("app"));
        assert_eq!(c.volumes.as_ref().unwrap().len(), 2);
        assert_eq!(c.stop_signal.as_deref(), Some("sigquit"));
        assert_eq!(img.author.as_deref(), Some("me"));
        assert_eq!(c.on_build, Some(strings(&["RUN make"])));
        let h = c.healthcheck.as_ref().unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "true"]);
        assert_eq!(h.interval, 5_000_000_000);
        run(&mut img, &mut StageFlags::default(), "HEALTHCHECK NONE").unwrap();
        assert_eq!(img.config.healthcheck.as_ref().unwrap().test, ["NONE"]);
        let e = run(&mut img, &mut StageFlags::default(), "STOPSIGNAL SIGFOO").unwrap_err();
        assert_eq!(e, "Invalid signal: SIGFOO");
        assert!(check_signal("9").is_ok());
        assert!(check_signal("0").is_err());
        assert!(check_signal("SIGRTMIN+3").is_ok());
        let _ = Location::default();
    }
}
