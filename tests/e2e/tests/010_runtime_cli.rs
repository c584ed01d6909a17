//! The command line itself: `--help` of every command, `--log-format` checked.

use berth_e2e::Test;

const COMMANDS: &[&str] = &[
    "checkpoint",
    "create",
    "delete",
    "events",
    "exec",
    "kill",
    "list",
    "pause",
    "ps",
    "restore",
    "resume",
    "run",
    "spec",
    "start",
    "state",
    "update",
];

#[test]
fn every_command_has_help() {
    let Some(t) = Test::new("cli_help") else {
        return;
    };
    for c in COMMANDS {
        let o = t.rt.cmd(&[c, "--help"]).ok();
        assert!(
            o.stdout.contains("USAGE:") && o.stdout.contains(&format!(" {c} ")),
            "{c} --help:\n{o}"
        );
        let o = t.rt.cmd(&[c, "-h"]).ok();
        assert!(o.stdout.contains("USAGE:"), "{c} -h:\n{o}");
    }
    // Options a command takes are in its help.
    let o = t.rt.cmd(&["create", "--help"]).ok();
    for flag in [
        "--bundle",
        "--console-socket",
        "--pid-file",
        "--preserve-fds",
    ] {
        assert!(o.stdout.contains(flag), "create --help lacks {flag}:\n{o}");
    }
    let o = t.rt.cmd(&["--help"]).ok();
    for c in COMMANDS {
        assert!(o.stdout.contains(c), "--help does not list {c}:\n{o}");
    }
}

#[test]
fn log_format_is_checked() {
    let Some(t) = Test::new("cli_log_format") else {
        return;
    };
    t.rt.cmd(&["--log-format", "bad", "list"])
        .fails()
        .stderr_mentions(&["log-format", "log format"]);
    t.rt.cmd(&["--log-format=yaml", "state", "x"])
        .fails()
        .stderr_mentions(&["log-format", "log format"]);
    t.rt.cmd(&["--log-format", "json", "list"]).ok();
    t.rt.cmd(&["--log-format", "text", "list"]).ok();
    // An error goes to --log in the chosen format.
    let log = t.dir.join("log.json");
    let log_s = log.display().to_string();
    t.rt.cmd(&[
        "--log",
        &log_s,
        "--log-format",
        "json",
        "state",
        "e2e-no-such",
    ])
    .fails();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let line = text.lines().last().unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("--log-format json wrote no JSON ({e}): {text:?}"));
    assert_eq!(v["level"], "error", "{v}");
}
