//! Image history strings (`created_by`) as BuildKit writes them, and RUN's final argv.

use berth_dockerfile::parser::go_quote;

use super::apply::parse_expose_ports;
use super::healthcheck::format_go_duration;
use super::parse::heredoc_word;
use super::{effective_shell, Command, CommandKind, Copy, Run, ShellOrExec};

/// Whether the instruction makes a filesystem layer (RUN, COPY, ADD, WORKDIR); the others get
/// `empty_layer: true` history entries. (BuildKit skips the WORKDIR layer when the path is `/`.)
pub fn creates_layer(kind: &CommandKind) -> bool {
    matches!(
        kind,
        CommandKind::Run(_) | CommandKind::Copy(_) | CommandKind::Add(_) | CommandKind::Workdir(_)
    )
}

/// The argv a RUN executes with `shell` (empty = `/bin/sh -c`), with BuildKit's heredoc rules:
/// a command that is exactly one heredoc word runs the (tab-stripped) body, or
/// `/dev/pipes/<NAME>` when the body starts with `#!` (the caller must provide that file);
/// otherwise each heredoc is appended as `"\n" + body + NAME` and the shell handles it.
pub fn run_argv(run: &Run, shell: &[String]) -> Vec<String> {
    let text = match &run.command {
        ShellOrExec::Exec(v) => return v.clone(),
        ShellOrExec::Shell(s) => s,
    };
    let mut argv = effective_shell(shell);
    if run.heredocs.is_empty() {
        argv.push(text.clone());
        return argv;
    }
    let single = run.heredocs.len() == 1
        && !text.trim().contains(char::is_whitespace)
        && heredoc_word(text.trim()).is_some();
    if single {
        let h = &run.heredocs[0];
        let body = h.chomped_content();
        if body.starts_with("#!") {
            argv.push(format!("/dev/pipes/{}", h.name));
        } else {
            argv.push(body);
        }
    } else {
        let mut s = text.clone();
        for h in &run.heredocs {
            s.push('\n');
            s.push_str(&h.content);
            s.push_str(&h.name);
        }
        argv.push(s);
    }
    argv
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
fn go_q_list(v: &[String]) -> String {
    let parts: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", parts.join(" "))
}

/// Go's `%q` of an int: a quoted character literal.
fn go_q_rune(n: u32) -> String {
    match char::from_u32(n) {
        Some(c) if (' '..='~').contains(&c) && c != '\'' && c != '\\' => format!("'{c}'"),
        Some('\'') => "'\\''".into(),
        Some('\\') => "'\\\\'".into(),
        _ if n < 0x80 => format!("'\\x{n:02x}'"),
        Some(c) if !c.is_control() => format!("'{c}'"),
        _ => format!("'\\u{n:04x}'"),
    }
}

/// The history `created_by` BuildKit writes for `cmd` (an expanded command), given the SHELL
/// in effect (empty = `/bin/sh -c`) and, for RUN, the build args in scope with their values
/// (BuildKit's `runCommandString` prefix `|N K=V …`).
///
/// Layer-making steps end in ` # buildkit`. WORKDIR should be given the normalized absolute
/// path (see [`super::normalize_workdir`]). FROM gets no history entry in BuildKit; this
/// returns `FROM <image>` for it anyway.
pub fn history_created_by(
    cmd: &Command,
    shell: &[String],
    build_args_used: &[(String, String)],
) -> String {
    match &cmd.kind {
        CommandKind::From { image, .. } => format!("FROM {image}"),
        CommandKind::Run(run) => run_created_by(run, shell, build_args_used),
        CommandKind::Cmd(c) => format!("CMD {}", go_q_list(&c.to_argv(shell))),
        CommandKind::Entrypoint(c) => format!("ENTRYPOINT {}", go_q_list(&c.to_argv(shell))),
        CommandKind::Env(p) => key_values("ENV", p),
        CommandKind::Label(p) => key_values("LABEL", p),
        CommandKind::Arg(args) => {
            let mut s = "ARG".to_string();
            for (k, v) in args {
                match v {
                    Some(v) => s.push_str(&format!(" {k}={v}")),
                    None => s.push_str(&format!(" {k}")),
                }
            }
            s
        }
        CommandKind::Expose(specs) => {
            let ports = parse_expose_ports(specs).unwrap_or_else(|_| specs.clone());
            let items: Vec<String> = ports.iter().map(|p| format!("{p}:{{}}")).collect();
            format!("EXPOSE map[{}]", items.join(" "))
        }
        CommandKind::Copy(c) | CommandKind::Add(c) => copy_created_by(cmd.kind.name(), c),
        CommandKind::Workdir(p) => format!("WORKDIR {p}"),
        CommandKind::User(u) => format!("USER {u}"),
        CommandKind::Volume(v) => format!("VOLUME [{}]", v.join(" ")),
        CommandKind::Shell(v) => format!("SHELL [{}]", v.join(" ")),
        CommandKind::StopSignal(s) => format!("STOPSIGNAL {s}"),
        CommandKind::Healthcheck(h) => healthcheck_created_by(h.as_ref()),
        CommandKind::Onbuild(t) => format!("ONBUILD {t}"),
        CommandKind::Maintainer(m) => format!("MAINTAINER {m}"),
    }
}

/// `NAME k=v k=v` (ENV, LABEL).
fn key_values(name: &str, pairs: &[(String, String)]) -> String {
    let mut s = name.to_string();
    for (k, v) in pairs {
        s.push_str(&format!(" {k}={v}"));
    }
    s
}

/// `RUN |N K=V … argv # buildkit`: the build args used (each once, its last value), then
/// the command.
fn run_created_by(run: &Run, shell: &[String], build_args_used: &[(String, String)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (k, v) in build_args_used {
        match seen.iter_mut().find(|(sk, _)| sk == k) {
            Some(e) => e.1 = v.clone(),
            None => seen.push((k.clone(), v.clone())),
        }
    }
    if !seen.is_empty() {
        parts.push(format!("|{}", seen.len()));
        parts.extend(seen.iter().map(|(k, v)| format!("{k}={v}")));
    }
    parts.extend(run_argv(run, shell));
    format!("RUN {} # buildkit", parts.join(" "))
}

/// `COPY src… <<heredoc… dest # buildkit` (or ADD).
fn copy_created_by(name: &str, c: &Copy) -> String {
    let mut s = name.to_string();
    for src in &c.sources {
        s.push(' ');
        s.push_str(src);
    }
    for h in &c.heredocs {
        s.push_str(" <<");
        s.push_str(&h.name);
    }
    s.push(' ');
    s.push_str(&c.dest);
    s.push_str(" # buildkit");
    s
}

/// `HEALTHCHECK &{[test] "interval" "timeout" "start" "start-interval" 'retries'}` as Go
/// prints the struct (`NONE` for none).
fn healthcheck_created_by(h: Option<&berth_store::oci::Healthcheck>) -> String {
    let h = h.cloned().unwrap_or_else(|| berth_store::oci::Healthcheck {
        test: vec!["NONE".into()],
        ..Default::default()
    });
    format!(
        "HEALTHCHECK &{{{} {} {} {} {} {}}}",
        go_q_list(&h.test),
        go_quote(&format_go_duration(h.interval)),
        go_quote(&format_go_duration(h.timeout)),
        go_quote(&format_go_duration(h.start_period)),
        go_quote(&format_go_duration(h.start_interval)),
        go_q_rune(h.retries),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{expand_command, parse_command};
    use super::*;
    use berth_dockerfile::expand::{EnvList, Lexer};

    fn cmd(src: &str) -> Command {
        let df = berth_dockerfile::parser::parse(src.as_bytes()).unwrap();
        let c = parse_command(&df.instructions[0]).unwrap();
        let env = EnvList::from_entries(["P=8080"]);
        expand_command(&c, &Lexer::default(), &env).unwrap().0
    }

    fn h(src: &str) -> String {
        history_created_by(&cmd(src), &[], &[])
    }

    #[test]
    fn run_strings() {
        assert_eq!(h("RUN echo hi"), "RUN /bin/sh -c echo hi # buildkit");
        assert_eq!(
            history_created_by(
                &cmd("RUN make"),
                &[],
                &[
                    ("A".into(), "1".into()),
                    ("B".into(), "2".into()),
                    ("A".into(), "3".into())
                ]
            ),
            "RUN |2 A=3 B=2 /bin/sh -c make # buildkit"
        );
        assert_eq!(
            history_created_by(&cmd("RUN x"), &["bash".into(), "-c".into()], &[]),
            "RUN bash -c x # buildkit"
        );
        assert_eq!(h("RUN [\"a\", \"b\"]"), "RUN a b # buildkit");
    }

    #[test]
    fn run_heredoc_argv() {
        let CommandKind::Run(r) = cmd("RUN <<EOF\necho hi\nEOF\n").kind else {
            panic!()
        };
        assert_eq!(run_argv(&r, &[]), ["/bin/sh", "-c", "echo hi\n"]);
        let CommandKind::Run(r) = cmd("RUN <<-EOF\n\techo hi\n\tEOF\n").kind else {
            panic!()
        };
        assert_eq!(run_argv(&r, &[]), ["/bin/sh", "-c", "echo hi\n"]);
        let CommandKind::Run(r) = cmd("RUN <<EOF\n#!/usr/bin/env python\nprint(1)\nEOF\n").kind
        else {
            panic!()
        };
        assert_eq!(run_argv(&r, &[]), ["/bin/sh", "-c", "/dev/pipes/EOF"]);
        let CommandKind::Run(r) = cmd("RUN cat <<A > a\nx\nA\n").kind else {
            panic!()
        };
        assert_eq!(run_argv(&r, &[]), ["/bin/sh", "-c", "cat <<A > a\nx\nA"]);
    }

    #[test]
    fn metadata_strings() {
        assert_eq!(h("COPY a b /c/"), "COPY a b /c/ # buildkit");
        assert_eq!(h("COPY <<EOF /c\nx\nEOF\n"), "COPY <<EOF /c # buildkit");
        assert_eq!(h("ADD --chown=1 u /d"), "ADD u /d # buildkit");
        assert_eq!(h("WORKDIR /app"), "WORKDIR /app");
        assert_eq!(h("ENV A=b C=\"d e\""), "ENV A=b C=d e");
        assert_eq!(h("CMD [\"x\"]"), "CMD [\"x\"]");
        assert_eq!(
            h("CMD echo \"hi\""),
            "CMD [\"/bin/sh\" \"-c\" \"echo \\\"hi\\\"\"]"
        );
        assert_eq!(h("LABEL a=b"), "LABEL a=b");
        assert_eq!(h("EXPOSE 80 $P/udp"), "EXPOSE map[80/tcp:{} 8080/udp:{}]");
        assert_eq!(h("USER u"), "USER u");
        assert_eq!(h("ENTRYPOINT [\"a\"]"), "ENTRYPOINT [\"a\"]");
        assert_eq!(h("ARG X=1 Y"), "ARG X=1 Y");
        assert_eq!(h("VOLUME /data /x"), "VOLUME [/data /x]");
        assert_eq!(h("STOPSIGNAL SIGTERM"), "STOPSIGNAL SIGTERM");
        assert_eq!(h("SHELL [\"/bin/bash\", \"-c\"]"), "SHELL [/bin/bash -c]");
        assert_eq!(h("MAINTAINER x"), "MAINTAINER x");
        assert_eq!(h("ONBUILD RUN make"), "ONBUILD RUN make");
        assert_eq!(
            h("HEALTHCHECK --interval=30s --retries=3 CMD x"),
            "HEALTHCHECK &{[\"CMD-SHELL\" \"x\"] \"30s\" \"0s\" \"0s\" \"0s\" '\\x03'}"
        );
        assert_eq!(
            h("HEALTHCHECK NONE"),
            "HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" \"0s\" '\\x00'}"
        );
    }

    #[test]
    fn layers() {
        assert!(creates_layer(&cmd("RUN x").kind));
        assert!(creates_layer(&cmd("COPY a b").kind));
        assert!(creates_layer(&cmd("ADD a b").kind));
        assert!(creates_layer(&cmd("WORKDIR /a").kind));
        assert!(!creates_layer(&cmd("ENV a=b").kind));
        assert!(!creates_layer(&cmd("CMD x").kind));
    }
}
