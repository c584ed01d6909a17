//! AST instruction -> [`Command`] (BuildKit's `instructions/parse.go`).

mod kinds;

use berth_dockerfile::parser::{Heredoc, Instruction};

use super::flags::{FlagType, Flags};
use super::mounts;
use super::{Command, CommandKind, Copy, InstructionError, Location, Run, ShellOrExec};

use FlagType::{Bool, String as Str, Strings};

/// The instruction keywords, lower-case.
const INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

const COPY_FLAGS: &[(&str, FlagType)] = &[
    ("from", Str),
    ("chown", Str),
    ("chmod", Str),
    ("link", Bool),
    ("parents", Bool),
    ("exclude", Strings),
];
const ADD_FLAGS: &[(&str, FlagType)] = &[
    ("chown", Str),
    ("chmod", Str),
    ("link", Bool),
    ("checksum", Str),
    ("keep-git-dir", Bool),
    ("exclude", Strings),
    ("unpack", Bool),
];
const RUN_FLAGS: &[(&str, FlagType)] = &[("mount", Strings), ("network", Str), ("security", Str)];
const FROM_FLAGS: &[(&str, FlagType)] = &[("platform", Str)];
const HEALTHCHECK_FLAGS: &[(&str, FlagType)] = &[
    ("interval", Str),
    ("timeout", Str),
    ("start-period", Str),
    ("start-interval", Str),
    ("retries", Str),
];

/// Turns an AST instruction into a typed command, checking its flags and arguments the way
/// BuildKit's instruction layer does.
///
/// Values are kept as written (quotes and `$VAR` included) for the instructions that
/// [`super::expand_command`] processes; run that before using ENV, ARG, LABEL, COPY, … values.
pub fn parse_command(inst: &Instruction) -> Result<Command, InstructionError> {
    let location = Location::of(inst);
    let kind = parse_kind(inst).map_err(|m| InstructionError::new(&location, m))?;
    Ok(Command { location, kind })
}

fn flags(inst: &Instruction, allowed: &[(&str, FlagType)]) -> Result<Flags, String> {
    Flags::parse(&inst.flags, allowed)
}

fn at_least_one(inst: &Instruction, name: &str) -> Result<(), String> {
    if inst.args.is_empty() {
        Err(format!("{name} requires at least one argument"))
    } else {
        Ok(())
    }
}

fn exactly_one(inst: &Instruction, name: &str) -> Result<String, String> {
    match inst.args.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("{name} requires exactly one argument")),
    }
}

fn shell_or_exec(inst: &Instruction) -> ShellOrExec {
    if inst.json {
        ShellOrExec::Exec(inst.args.clone())
    } else {
        ShellOrExec::Shell(inst.args.join(" "))
    }
}

fn key_values(inst: &Instruction, name: &str) -> Result<Vec<(String, String)>, String> {
    at_least_one(inst, name)?;
    if !inst.args.len().is_multiple_of(3) {
        return Err(format!("Bad input to {name}, too many arguments"));
    }
    inst.key_values()
        .into_iter()
        .map(|(k, v, _)| {
            if k.is_empty() {
                Err(format!("{name} names can not be blank"))
            } else {
                Ok((k.to_string(), v.to_string()))
            }
        })
        .collect()
}

/// Whether a stage name is valid: `^[a-z][a-z0-9-_.]*$` after lower-casing.
fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '_' | '.'))
}

/// Checks a `--chmod` value that has no variables: octal up to 07777, or symbolic
/// (`u+x`, `u=rwX,go=rX`, `g=u`).
pub(crate) fn check_chmod(v: &str) -> Result<(), String> {
    if v.contains('$') {
        return Ok(());
    }
    let octal = !v.is_empty()
        && v.chars().all(|c| ('0'..='7').contains(&c))
        && u32::from_str_radix(v, 8).is_ok_and(|m| m <= 0o7777);
    if octal || (!v.is_empty() && v.split(',').all(symbolic_clause)) {
        Ok(())
    } else {
        Err(format!("invalid chmod parameter: {v}"))
    }
}

/// One symbolic chmod clause: `[ugoa]*([-+=]([rwxXst]*|[ugo]))+`.
fn symbolic_clause(clause: &str) -> bool {
    let rest = clause.trim_start_matches(['u', 'g', 'o', 'a']);
    if rest.is_empty() {
        return false;
    }
    let mut chars = rest.chars().peekable();
    while let Some(op) = chars.next() {
        if !matches!(op, '+' | '-' | '=') {
            return false;
        }
        if matches!(chars.peek(), Some('u' | 'g' | 'o')) {
            chars.next();
            continue;
        }
        while matches!(chars.peek(), Some('r' | 'w' | 'x' | 'X' | 's' | 't')) {
            chars.next();
        }
    }
    true
}

/// The delimiter name of a heredoc source word (`<<EOF`, `<<-"EOF"`, `3<<EOF`), if it is one.
pub(crate) fn heredoc_word(word: &str) -> Option<String> {
    let w = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let w = w.strip_prefix("<<")?;
    let w = w.strip_prefix('-').unwrap_or(w).trim_start();
    let name: String = w.chars().filter(|c| *c != '\'' && *c != '"').collect();
    let name = name.replace('\\', "");
    (!name.is_empty()).then_some(name)
}

/// COPY/ADD: sources (heredocs apart), destination and flags.
fn parse_copy(inst: &Instruction, add: bool) -> Result<Copy, String> {
    let name = if add { "ADD" } else { "COPY" };
    let f = flags(inst, if add { ADD_FLAGS } else { COPY_FLAGS })?;
    let mut args = rejoin_heredoc_words(inst);
    if args.len() < 2 {
        return Err(format!(
            "{name} requires at least two arguments, but only one was provided. Destination could not be determined"
        ));
    }
    let dest = args.pop().unwrap_or_default();
    let (sources, heredocs) = split_heredocs(inst, name, &dest, args)?;
    let from = f.string("from");
    if let Some(fr) = &from {
        if fr.contains('$') {
            return Err(format!(
                "{name} --from={fr}: variable expansion is not supported, define a new stage with FROM using ARG instead"
            ));
        }
    }
    let chmod = f.string("chmod");
    if let Some(c) = &chmod {
        check_chmod(c)?;
    }
    let checksum = f.string("checksum");
    if checksum.is_some() && sources.len() + heredocs.len() != 1 {
        return Err("checksum can't be specified for multiple sources".into());
    }
    Ok(Copy {
        sources,
        dest,
        heredocs,
        from,
        chown: f.string("chown"),
        chmod,
        link: f.bool("link"),
        parents: f.bool("parents"),
        excludes: f.strings("exclude"),
        checksum,
        keep_git_dir: f.bool("keep-git-dir"),
        unpack: f.opt_bool("unpack"),
    })
}

/// The arguments with `<< EOF` (whitespace between `<<` and the word) rejoined into one
/// word (not in JSON form).
fn rejoin_heredoc_words(inst: &Instruction) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let mut it = inst.args.iter().peekable();
    while let Some(a) = it.next() {
        let bare = a.trim_start_matches(|c: char| c.is_ascii_digit());
        if !inst.json && (bare == "<<" || bare == "<<-") && it.peek().is_some() {
            args.push(format!(
                "{a}{}",
                it.next().map(String::as_str).unwrap_or("")
            ));
        } else {
            args.push(a.clone());
        }
    }
    args
}

/// The sources apart from the heredocs they name; a heredoc cannot be the destination.
fn split_heredocs(
    inst: &Instruction,
    name: &str,
    dest: &str,
    args: Vec<String>,
) -> Result<(Vec<String>, Vec<Heredoc>), String> {
    let heredoc_of = |w: &str| -> Option<Heredoc> {
        if inst.json || inst.heredocs.is_empty() {
            return None;
        }
        let n = heredoc_word(w)?;
        inst.heredocs.iter().find(|h| h.name == n).cloned()
    };
    if heredoc_of(dest).is_some() {
        return Err(format!("{name} cannot accept a heredoc as a destination"));
    }
    let mut sources = Vec::new();
    let mut heredocs: Vec<Heredoc> = Vec::new();
    for src in args {
        match heredoc_of(&src) {
            Some(h) => heredocs.push(h),
            None => sources.push(src),
        }
    }
    Ok((sources, heredocs))
}

fn parse_run(inst: &Instruction) -> Result<Run, String> {
    let f = flags(inst, RUN_FLAGS)?;
    if inst.args.is_empty() {
        return Err("RUN requires at least one argument".into());
    }
    let network = f.string("network");
    if let Some(n) = &network {
        if !matches!(n.as_str(), "default" | "none" | "host") {
            return Err(format!("unsupported network mode \"{n}\""));
        }
    }
    let security = f.string("security");
    if let Some(s) = &security {
        if !matches!(s.as_str(), "sandbox" | "insecure") {
            return Err(format!("unsupported security mode \"{s}\""));
        }
    }
    let mounts = f
        .strings("mount")
        .iter()
        .map(|spec| mounts::parse_mount(spec, None))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Run {
        command: shell_or_exec(inst),
        heredocs: inst.heredocs.clone(),
        mounts,
        network,
        security,
    })
}

/// The instructions that take no flags (checked before their arguments).
const NO_FLAG_INSTRUCTIONS: &[&str] = &[
    "cmd",
    "entrypoint",
    "env",
    "label",
    "expose",
    "workdir",
    "user",
    "maintainer",
    "volume",
    "shell",
    "onbuild",
];

/// One instruction's flags and arguments as its [`CommandKind`].
fn parse_kind(inst: &Instruction) -> Result<CommandKind, String> {
    let kw = inst.keyword.as_str();
    if NO_FLAG_INSTRUCTIONS.contains(&kw) {
        flags(inst, &[])?;
    }
    Ok(match kw {
        "from" => kinds::from(inst)?,
        "run" => CommandKind::Run(parse_run(inst)?),
        "cmd" => CommandKind::Cmd(shell_or_exec(inst)),
        "entrypoint" => CommandKind::Entrypoint(shell_or_exec(inst)),
        "env" => CommandKind::Env(key_values(inst, "ENV")?),
        "label" => CommandKind::Label(key_values(inst, "LABEL")?),
        "arg" => kinds::arg(inst)?,
        "expose" => CommandKind::Expose(at_least_one(inst, "EXPOSE").map(|_| inst.args.clone())?),
        "copy" => CommandKind::Copy(parse_copy(inst, false)?),
        "add" => CommandKind::Add(parse_copy(inst, true)?),
        "workdir" => CommandKind::Workdir(exactly_one(inst, "WORKDIR")?),
        "user" => CommandKind::User(exactly_one(inst, "USER")?),
        "maintainer" => CommandKind::Maintainer(exactly_one(inst, "MAINTAINER")?),
        "stopsignal" => CommandKind::StopSignal(exactly_one(inst, "STOPSIGNAL")?),
        "volume" => kinds::volume(inst)?,
        "shell" => kinds::shell(inst)?,
        "healthcheck" => kinds::healthcheck(inst)?,
        "onbuild" => kinds::onbuild(inst)?,
        _ => return Err(kinds::unknown_instruction(inst)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::MountKind;
    use super::*;

    fn cmd(src: &str) -> Result<Command, InstructionError> {
        let df = berth_dockerfile::parser::parse(src.as_bytes()).expect("parse");
        parse_command(df.instructions.last().expect("one instruction"))
    }

    fn kind(src: &str) -> CommandKind {
        cmd(src).unwrap().kind
    }

    fn err(src: &str) -> String {
        cmd(src).unwrap_err().message().to_string()
    }

    #[test]
    fn from_forms() {
        assert_eq!(
            kind("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build"),
            CommandKind::From {
                image: "golang:1.22".into(),
                name: Some("build".into()),
                platform: Some("$BUILDPLATFORM".into()),
            }
        );
        assert_eq!(
            kind("FROM alpine"),
            CommandKind::From {
                image: "alpine".into(),
                name: None,
                platform: None
            }
        );
        assert_eq!(
            err("FROM a b c"),
            "FROM requires either one or three arguments"
        );
        assert_eq!(
            err("FROM a AS"),
            "FROM requires either one or three arguments"
        );
        assert!(err("FROM a AS 1x").starts_with("invalid name for build stage"));
        assert_eq!(
            err("FROM --platfrm=x a"),
            "unknown flag: platfrm (did you mean platform?)"
        );
        assert_eq!(err("FROM --plat=x a"), "unknown flag: plat");
    }

    #[test]
    fn run_forms() {
        let CommandKind::Run(r) = kind(
            "RUN --mount=type=cache,target=/root/.cache --network=none --security=insecure make",
        ) else {
            panic!()
        };
        assert_eq!(r.command, ShellOrExec::Shell("make".into()));
        assert_eq!(r.mounts[0].kind, MountKind::Cache);
        assert_eq!(r.network.as_deref(), Some("none"));
        assert_eq!(r.security.as_deref(), Some("insecure"));
        let CommandKind::Run(r) = kind("RUN [\"echo\", \"$HOME\"]") else {
            panic!()
        };
        assert_eq!(
            r.command,
            ShellOrExec::Exec(vec!["echo".into(), "$HOME".into()])
        );
        let CommandKind::Run(r) = kind("RUN <<EOF\necho hi\nEOF\n") else {
            panic!()
        };
        assert_eq!(r.heredocs[0].content, "echo hi\n");
        assert_eq!(
            err("RUN --network=bridge x"),
            "unsupported network mode \"bridge\""
        );
        assert_eq!(err("RUN --foo x"), "unknown flag: foo");
        assert_eq!(
            err("RUN --mount=target=/x,bogus=1 x"),
            "unexpected key 'bogus' in 'bogus=1'"
        );
        assert!(err("RUN --mount=type=cache x").contains("target is required"));
    }

    #[test]
    fn cmd_entrypoint_shell() {
        assert_eq!(
            kind("CMD echo hi"),
            CommandKind::Cmd(ShellOrExec::Shell("echo hi".into()))
        );
        assert_eq!(kind("CMD []"), CommandKind::Cmd(ShellOrExec::Exec(vec![])));
        assert_eq!(
            kind("ENTRYPOINT [\"a\",\"b\"]"),
            CommandKind::Entrypoint(ShellOrExec::Exec(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            kind("SHELL [\"/bin/bash\", \"-c\"]"),
            CommandKind::Shell(vec!["/bin/bash".into(), "-c".into()])
        );
        assert_eq!(
            err("SHELL /bin/bash -c"),
            "SHELL requires the arguments to be in JSON form"
        );
        assert_eq!(err("SHELL []"), "SHELL requires at least one argument");
        assert_eq!(err("CMD --x echo"), "unknown flag: x");
    }

    #[test]
    fn env_label_arg() {
        assert_eq!(
            kind("ENV A=1 B=\"x y\""),
            CommandKind::Env(vec![
                ("A".into(), "1".into()),
                ("B".into(), "\"x y\"".into())
            ])
        );
        assert_eq!(
            kind("ENV A hello world"),
            CommandKind::Env(vec![("A".into(), "hello world".into())])
        );
        assert_eq!(
            kind("LABEL a=b c=d"),
            CommandKind::Label(vec![("a".into(), "b".into()), ("c".into(), "d".into())])
        );
        assert_eq!(
            kind("ARG A B=2"),
            CommandKind::Arg(vec![("A".into(), None), ("B".into(), Some("2".into()))])
        );
        assert_eq!(err("ARG"), "ARG requires at least one argument");
        assert_eq!(err("ENV =x"), "ENV names can not be blank");
    }

    #[test]
    fn copy_add() {
        let CommandKind::Copy(c) = kind(
            "COPY --from=build --chown=1:1 --chmod=755 --link --parents --exclude=*.md a b /dst/",
        ) else {
            panic!()
        };
        assert_eq!(c.sources, ["a", "b"]);
        assert_eq!(c.dest, "/dst/");
        assert_eq!(c.from.as_deref(), Some("build"));
        assert_eq!(c.chown.as_deref(), Some("1:1"));
        assert_eq!(c.chmod.as_deref(), Some("755"));
        assert!(c.link && c.parents);
        assert_eq!(c.excludes, ["*.md"]);
        let CommandKind::Add(c) =
            kind("ADD --checksum=sha256:abc --keep-git-dir --unpack=false https://x/y.tgz /y")
        else {
            panic!()
        };
        assert_eq!(c.checksum.as_deref(), Some("sha256:abc"));
        assert!(c.keep_git_dir);
        assert_eq!(c.unpack, Some(false));
        let CommandKind::Copy(c) = kind("COPY <<EOF <<'B' x /dst/\nhello\nEOF\nraw\nB\n") else {
            panic!()
        };
        assert_eq!(c.sources, ["x"]);
        assert_eq!(c.heredocs.len(), 2);
        assert_eq!(c.heredocs[1].name, "B");
        assert!(!c.heredocs[1].expand);
        let CommandKind::Copy(c) = kind("COPY [\"a b\", \"/c d/\"]") else {
            panic!()
        };
        assert_eq!((c.sources[0].as_str(), c.dest.as_str()), ("a b", "/c d/"));
        assert_eq!(
            err("COPY a"),
            "COPY requires at least two arguments, but only one was provided. Destination could not be determined"
        );
        assert_eq!(err("COPY --checksum=x a /b"), "unknown flag: checksum");
        assert_eq!(err("ADD --parents a /b"), "unknown flag: parents");
        assert_eq!(err("COPY --chmod=xyz a /b"), "invalid chmod parameter: xyz");
        assert!(cmd("COPY --chmod=u+x,go=rX a /b").is_ok());
        assert!(cmd("COPY --chmod=$MODE a /b").is_ok());
        assert!(err("COPY --from=$X a /b").contains("define a new stage"));
    }

    #[test]
    fn single_argument_instructions() {
        assert_eq!(kind("WORKDIR /app"), CommandKind::Workdir("/app".into()));
        assert_eq!(kind("USER app:app"), CommandKind::User("app:app".into()));
        assert_eq!(
            kind("STOPSIGNAL SIGTERM"),
            CommandKind::StopSignal("SIGTERM".into())
        );
        assert_eq!(
            kind("MAINTAINER me <m@x>"),
            CommandKind::Maintainer("me <m@x>".into())
        );
        assert_eq!(err("WORKDIR"), "WORKDIR requires exactly one argument");
        assert_eq!(err("USER"), "USER requires exactly one argument");
        assert_eq!(
            err("STOPSIGNAL"),
            "STOPSIGNAL requires exactly one argument"
        );
        assert_eq!(
            kind("VOLUME [\"/a\", \"/b\"]"),
            CommandKind::Volume(vec!["/a".into(), "/b".into()])
        );
        assert_eq!(
            kind("VOLUME /a /b"),
            CommandKind::Volume(vec!["/a".into(), "/b".into()])
        );
        assert_eq!(
            err("VOLUME [\"\"]"),
            "VOLUME specified can not be an empty string"
        );
        assert_eq!(
            kind("EXPOSE 80 443/tcp"),
            CommandKind::Expose(vec!["80".into(), "443/tcp".into()])
        );
        assert_eq!(err("EXPOSE"), "EXPOSE requires at least one argument");
    }

    #[test]
    fn healthcheck() {
        let CommandKind::Healthcheck(Some(h)) = kind(
            "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --start-interval=1s --retries=3 CMD curl -f http://x/",
        ) else {
            panic!()
        };
        assert_eq!(h.test, ["CMD-SHELL", "curl -f http://x/"]);
        assert_eq!(h.interval, 30_000_000_000);
        assert_eq!(h.timeout, 90_000_000_000);
        assert_eq!(h.start_period, 500_000_000);
        assert_eq!(h.start_interval, 1_000_000_000);
        assert_eq!(h.retries, 3);
        let CommandKind::Healthcheck(Some(h)) = kind("HEALTHCHECK CMD [\"true\"]") else {
            panic!()
        };
        assert_eq!(h.test, ["CMD", "true"]);
        assert_eq!((h.interval, h.retries), (0, 0));
        assert_eq!(kind("HEALTHCHECK NONE"), CommandKind::Healthcheck(None));
        assert_eq!(
            kind("HEALTHCHECK --interval=5s none"),
            CommandKind::Healthcheck(None)
        );
        assert_eq!(
            err("HEALTHCHECK NONE x"),
            "HEALTHCHECK NONE takes no arguments"
        );
        assert_eq!(
            err("HEALTHCHECK --interval=5 CMD x"),
            "time: missing unit in duration \"5\""
        );
        assert_eq!(
            err("HEALTHCHECK --interval=10us CMD x"),
            "Interval \"interval\" cannot be less than 1ms"
        );
        assert_eq!(
            err("HEALTHCHECK --retries=-1 CMD x"),
            "--retries cannot be negative (-1)"
        );
        assert!(err("HEALTHCHECK --retries=x CMD x").contains("invalid syntax"));
        assert!(err("HEALTHCHECK FOO x").starts_with("Unknown type"));
        assert_eq!(
            err("HEALTHCHECK CMD"),
            "Missing command after HEALTHCHECK CMD"
        );
        assert_eq!(err("HEALTHCHECK --foo=1 CMD x"), "unknown flag: foo");
    }

    #[test]
    fn onbuild() {
        assert_eq!(
            kind("ONBUILD RUN echo hi"),
            CommandKind::Onbuild("RUN echo hi".into())
        );
        assert_eq!(
            kind("onbuild copy a /b"),
            CommandKind::Onbuild("copy a /b".into())
        );
        assert_eq!(
            kind("ONBUILD RUN <<EOF\necho hi\nEOF\n"),
            CommandKind::Onbuild("RUN <<EOF\necho hi\nEOF".into())
        );
        assert_eq!(
            err("ONBUILD ONBUILD RUN x"),
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        );
        assert_eq!(
            err("ONBUILD FROM x"),
            "FROM isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(
            err("ONBUILD MAINTAINER x"),
            "MAINTAINER isn't allowed as an ONBUILD trigger"
        );
    }

    #[test]
    fn unknown_instruction_and_location() {
        assert_eq!(err("FOO bar"), "unknown instruction: FOO");
        assert_eq!(
            err("COPPY a /b"),
            "unknown instruction: COPPY (did you mean copy?)"
        );
        let e = cmd("FROM alpine\n\nCOPY --chmod=xyz a /b\n").unwrap_err();
        assert_eq!(e.location().line, 3);
        assert_eq!(
            e.to_string(),
            "Dockerfile:3: invalid chmod parameter: xyz\n  >>> COPY --chmod=xyz a /b"
        );
    }
}
