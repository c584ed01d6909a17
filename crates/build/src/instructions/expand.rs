//! BuildKit's per-instruction variable expansion (the `Expand` methods of its commands and the
//! expansions done while dispatching).

use std::collections::{BTreeMap, BTreeSet};

use berth_dockerfile::expand::{EnvLookup, Lexer};

use super::parse::check_chmod;
use super::{mounts, Command, CommandKind, Copy, InstructionError};

/// `base` with some variables set on top (for `ARG A=1 B=$A`).
struct Overlay<'a> {
    base: &'a dyn EnvLookup,
    vars: BTreeMap<String, String>,
}

impl EnvLookup for Overlay<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        match self.vars.get(name) {
            Some(v) => Some(v.as_str()),
            None => self.base.lookup(name),
        }
    }
}

struct Expander<'a> {
    lexer: &'a Lexer,
    matched: BTreeSet<String>,
}

impl Expander<'_> {
    /// `ProcessWord`.
    fn word(&mut self, w: &str, env: &dyn EnvLookup) -> Result<String, String> {
        let e = self
            .lexer
            .process_word_with_matches(w, env)
            .map_err(|e| e.to_string())?;
        self.matched.extend(e.matched);
        Ok(e.result)
    }

    /// `ProcessWords`.
    fn words(&mut self, w: &str, env: &dyn EnvLookup) -> Result<Vec<String>, String> {
        let e = self
            .lexer
            .process_word_with_matches(w, env)
            .map_err(|e| e.to_string())?;
        self.matched.extend(e.matched);
        Ok(e.words)
    }

    fn opt(&mut self, w: &Option<String>, env: &dyn EnvLookup) -> Result<Option<String>, String> {
        w.as_ref().map(|w| self.word(w, env)).transpose()
    }
}

/// Expands the variables of `cmd` as BuildKit does for its instruction, against `env` (the
/// build environment before the instruction), and returns the expanded command plus the names
/// of the variables that were consulted and set.
///
/// - ADD/COPY: each source, the destination, `--chown`, `--chmod` and ADD's `--checksum`
///   (one word each; `--from` and `--exclude` are not expanded; heredoc bodies are left for
///   the copy step).
/// - ENV, LABEL: every key and value, all against the same `env`.
/// - ARG: default values only; a default sees the defaults declared before it in the same
///   instruction (build-arg overrides are the caller's business).
/// - EXPOSE: with word splitting. FROM: the image and `--platform` (pass the global scope).
/// - STOPSIGNAL, USER, WORKDIR, VOLUME entries: one word each.
/// - RUN: only the `--mount` option values (except `from`).
/// - CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER: unchanged.
pub fn expand_command(
    cmd: &Command,
    lexer: &Lexer,
    env: &dyn EnvLookup,
) -> Result<(Command, BTreeSet<String>), InstructionError> {
    let mut x = Expander {
        lexer,
        matched: BTreeSet::new(),
    };
    let kind =
        expand_kind(&cmd.kind, &mut x, env).map_err(|m| InstructionError::new(&cmd.location, m))?;
    Ok((
        Command {
            location: cmd.location.clone(),
            kind,
        },
        x.matched,
    ))
}

/// `kind` with its variables expanded as BuildKit expands each instruction's.
fn expand_kind(
    kind: &CommandKind,
    x: &mut Expander<'_>,
    env: &dyn EnvLookup,
) -> Result<CommandKind, String> {
    Ok(match kind {
        CommandKind::From {
            image,
            name,
            platform,
        } => expand_from(image, name, platform, x, env)?,
        CommandKind::Run(run) => {
            let mut run = run.clone();
            let mut f = |w: &str| x.word(w, env);
            for m in &mut run.mounts {
                *m = mounts::parse_mount(&m.spec.clone(), Some(&mut f))?;
            }
            CommandKind::Run(run)
        }
        CommandKind::Env(pairs) => CommandKind::Env(expand_pairs(pairs, x, env)?),
        CommandKind::Label(pairs) => CommandKind::Label(expand_pairs(pairs, x, env)?),
        CommandKind::Arg(args) => CommandKind::Arg(expand_args(args, x, env)?),
        CommandKind::Expose(ports) => {
            let mut out = Vec::new();
            for p in ports {
                out.extend(x.words(p, env)?);
            }
            CommandKind::Expose(out)
        }
        CommandKind::Copy(c) => CommandKind::Copy(expand_copy(c, x, env)?),
        CommandKind::Add(c) => CommandKind::Add(expand_copy(c, x, env)?),
        CommandKind::Workdir(p) => CommandKind::Workdir(x.word(p, env)?),
        CommandKind::User(u) => CommandKind::User(x.word(u, env)?),
        CommandKind::StopSignal(s) => CommandKind::StopSignal(x.word(s, env)?),
        CommandKind::Volume(vs) => CommandKind::Volume(expand_volumes(vs, x, env)?),
        CommandKind::Cmd(_)
        | CommandKind::Entrypoint(_)
        | CommandKind::Shell(_)
        | CommandKind::Healthcheck(_)
        | CommandKind::Onbuild(_)
        | CommandKind::Maintainer(_) => kind.clone(),
    })
}

/// FROM: the image (never blank) and `--platform` (never empty) expanded.
fn expand_from(
    image: &str,
    name: &Option<String>,
    platform: &Option<String>,
    x: &mut Expander<'_>,
    env: &dyn EnvLookup,
) -> Result<CommandKind, String> {
    let expanded = x.word(image, env)?;
    if expanded.is_empty() {
        return Err(format!("base name ({image}) should not be blank"));
    }
    let platform = x.opt(platform, env)?;
    if platform.as_deref() == Some("") {
        return Err("empty platform value from expression".into());
    }
    Ok(CommandKind::From {
        image: expanded,
        name: name.clone(),
        platform,
    })
}

/// ENV and LABEL: keys and values expanded.
fn expand_pairs(
    pairs: &[(String, String)],
    x: &mut Expander<'_>,
    env: &dyn EnvLookup,
) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(|(k, v)| Ok((x.word(k, env)?, x.word(v, env)?)))
        .collect()
}

/// ARG: each default expanded with the earlier ones of the same ARG visible.
fn expand_args(
    args: &[(String, Option<String>)],
    x: &mut Expander<'_>,
    env: &dyn EnvLookup,
) -> Result<Vec<(String, Option<String>)>, String> {
    let mut overlay = Overlay {
        base: env,
        vars: BTreeMap::new(),
    };
    let mut out = Vec::with_capacity(args.len());
    for (k, v) in args {
        let v = match v {
            Some(v) => {
                let e = x.word(v, &overlay)?;
                overlay.vars.insert(k.clone(), e.clone());
                Some(e)
            }
            None => None,
        };
        out.push((k.clone(), v));
    }
    Ok(out)
}

/// COPY and ADD: sources, destination and flags expanded; an empty `--chmod` or
/// `--chown` means none, another `--chmod` must be valid.
fn expand_copy(c: &Copy, x: &mut Expander<'_>, env: &dyn EnvLookup) -> Result<Copy, String> {
    let mut c = c.clone();
    for s in &mut c.sources {
        *s = x.word(s, env)?;
    }
    c.dest = x.word(&c.dest, env)?;
    c.chown = x.opt(&c.chown, env)?;
    c.chmod = x.opt(&c.chmod, env)?;
    if let Some(m) = &c.chmod {
        if m.is_empty() {
            c.chmod = None;
        } else {
            check_chmod(m)?;
        }
    }
    if c.chown.as_deref() == Some("") {
        c.chown = None;
    }
    c.checksum = x.opt(&c.checksum, env)?;
    Ok(c)
}

/// VOLUME: each path expanded and trimmed, never empty.
fn expand_volumes(
    vs: &[String],
    x: &mut Expander<'_>,
    env: &dyn EnvLookup,
) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(vs.len());
    for v in vs {
        let e = x.word(v, env)?;
        let t = e.trim();
        if t.is_empty() {
            return Err("VOLUME specified can not be an empty string".into());
        }
        out.push(t.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{parse_command, ShellOrExec};
    use super::*;
    use berth_dockerfile::expand::EnvList;

    fn expand(src: &str, env: &[&str]) -> Result<(CommandKind, BTreeSet<String>), String> {
        let df = berth_dockerfile::parser::parse(src.as_bytes()).unwrap();
        let cmd = parse_command(&df.instructions[0]).map_err(|e| e.to_string())?;
        let env = EnvList::from_entries(env);
        expand_command(&cmd, &Lexer::default(), &env)
            .map(|(c, m)| (c.kind, m))
            .map_err(|e| e.message().to_string())
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn copy_sources_dest_and_flags() {
        let (k, m) = expand(
            "COPY --chown=$U --chmod=${M} --from=build $SRC /$D",
            &["U=app", "SRC=a.txt", "D=dst", "M=0644"],
        )
        .unwrap();
        let CommandKind::Copy(c) = k else { panic!() };
        assert_eq!(c.chown.as_deref(), Some("app"));
        assert_eq!(c.chmod.as_deref(), Some("0644"));
        assert_eq!(c.sources, ["a.txt"]);
        assert_eq!(c.dest, "/dst");
        assert_eq!(c.from.as_deref(), Some("build"));
        assert_eq!(m, set(&["D", "M", "SRC", "U"]));
        // Unset variables expand to nothing and are not reported as matched.
        let (k, m) = expand("ADD --checksum=$SUM \"$X\" /d/", &["SUM=sha256:ab"]).unwrap();
        let CommandKind::Add(c) = k else { panic!() };
        assert_eq!(c.checksum.as_deref(), Some("sha256:ab"));
        assert_eq!(c.sources, [""]);
        assert_eq!(m, set(&["SUM"]));
        assert_eq!(
            expand("COPY --chmod=$M a /b", &["M=nope"]).unwrap_err(),
            "invalid chmod parameter: nope"
        );
    }

    #[test]
    fn env_and_label_use_the_old_environment() {
        let (k, m) = expand("ENV A=$A:x B=$A \"$K\"=\"v w\"", &["A=1", "K=key"]).unwrap();
        assert_eq!(
            k,
            CommandKind::Env(vec![
                ("A".into(), "1:x".into()),
                ("B".into(), "1".into()),
                ("key".into(), "v w".into()),
            ])
        );
        assert_eq!(m, set(&["A", "K"]));
        let (k, _) = expand("LABEL \"a.b\"=\"${V:-d}\"", &[]).unwrap();
        assert_eq!(k, CommandKind::Label(vec![("a.b".into(), "d".into())]));
    }

    #[test]
    fn arg_defaults_see_earlier_args() {
        let (k, m) = expand("ARG B=$A/b C=${B}c D", &["A=1"]).unwrap();
        assert_eq!(
            k,
            CommandKind::Arg(vec![
                ("B".into(), Some("1/b".into())),
                ("C".into(), Some("1/bc".into())),
                ("D".into(), None),
            ])
        );
        assert_eq!(m, set(&["A", "B"]));
        let (k, _) = expand("ARG V=\"x y\"", &[]).unwrap();
        assert_eq!(k, CommandKind::Arg(vec![("V".into(), Some("x y".into()))]));
    }

    #[test]
    fn expose_splits_words() {
        let (k, _) = expand("EXPOSE $PORTS 9000/udp", &["PORTS=80 443"]).unwrap();
        assert_eq!(
            k,
            CommandKind::Expose(vec!["80".into(), "443".into(), "9000/udp".into()])
        );
    }

    #[test]
    fn single_words() {
        let env = ["D=/srv", "U=app", "S=SIGKILL", "V=/data"];
        assert_eq!(
            expand("WORKDIR $D/app", &env).unwrap().0,
            CommandKind::Workdir("/srv/app".into())
        );
        assert_eq!(
            expand("USER $U", &env).unwrap().0,
            CommandKind::User("app".into())
        );
        assert_eq!(
            expand("STOPSIGNAL $S", &env).unwrap().0,
            CommandKind::StopSignal("SIGKILL".into())
        );
        assert_eq!(
            expand("VOLUME $V /x", &env).unwrap().0,
            CommandKind::Volume(vec!["/data".into(), "/x".into()])
        );
        assert_eq!(
            expand("VOLUME $NOPE", &env).unwrap_err(),
            "VOLUME specified can not be an empty string"
        );
        assert_eq!(
            expand("FROM ${IMG}:1 AS b", &["IMG=alpine"]).unwrap().0,
            CommandKind::From {
                image: "alpine:1".into(),
                name: Some("b".into()),
                platform: None
            }
        );
        assert_eq!(
            expand("FROM $NOPE", &[]).unwrap_err(),
            "base name ($NOPE) should not be blank"
        );
        assert!(expand("USER ${U:?must be set}", &[])
            .unwrap_err()
            .starts_with("failed to process"));
    }

    #[test]
    fn run_expands_mounts_only() {
        let (k, m) = expand(
            "RUN --mount=type=cache,target=$T,uid=$ID echo $T",
            &["T=/cache", "ID=42"],
        )
        .unwrap();
        let CommandKind::Run(r) = k else { panic!() };
        assert_eq!(r.command, ShellOrExec::Shell("echo $T".into()));
        assert_eq!(r.mounts[0].target, "/cache");
        assert_eq!(r.mounts[0].uid, Some(42));
        assert_eq!(m, set(&["ID", "T"]));
        assert!(
            expand("RUN --mount=type=cache,target=/x,uid=$ID x", &["ID=z"])
                .unwrap_err()
                .contains("uid")
        );
    }

    #[test]
    fn cmd_is_untouched() {
        let (k, m) = expand("CMD echo $HOME", &["HOME=/root"]).unwrap();
        assert_eq!(k, CommandKind::Cmd(ShellOrExec::Shell("echo $HOME".into())));
        assert!(m.is_empty());
    }
}
