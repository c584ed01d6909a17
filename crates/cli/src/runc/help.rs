//! The `--help` texts, laid out as runc's (urfave/cli) are: NAME, USAGE, a description and
//! OPTIONS, from the tables in [`super::flags`].

use super::flags::{CommandSpec, Flag, COMMANDS, GLOBAL};

/// The program name in help texts.
const PROG: &str = "berth-runc";

/// `--help` of the program: what it is, the commands and the global options.
pub fn global() -> String {
    let mut s = format!(
        "NAME:\n   {PROG} - Open Container Initiative runtime\n\n\
         berth's OCI runtime, with runc's command line.\n\n\
         USAGE:\n   {PROG} [global options] command [command options] [arguments...]\n\n\
         VERSION:\n   {}\nspec: {}\n\nCOMMANDS:\n",
        env!("CARGO_PKG_VERSION"),
        berth_runtime::state::OCI_VERSION
    );
    let width = COMMANDS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in COMMANDS {
        s += &format!("   {:<width$}  {}\n", c.name, c.summary);
    }
    s += &format!(
        "   {:<width$}  {}\n",
        "help, h", "Shows a list of commands or help for one command"
    );
    s += "\nGLOBAL OPTIONS:\n";
    let mut flags: Vec<(String, &str)> = GLOBAL.iter().map(|f| (names(f), f.2)).collect();
    flags.push(("--help, -h".into(), "show help"));
    flags.push(("--version, -v".into(), "print the version"));
    s += &options(&flags);
    s
}

/// `<command> --help`.
pub fn command(c: &CommandSpec) -> String {
    let opts = if c.flags.is_empty() {
        ""
    } else {
        " [command options]"
    };
    let mut s = format!(
        "NAME:\n   {PROG} {} - {}\n\nUSAGE:\n   {PROG} {}{opts} {}\n",
        c.name, c.summary, c.name, c.args
    );
    if !c.description.is_empty() {
        s += &format!("\n{}\n", c.description);
    }
    if !c.flags.is_empty() {
        s += "\nOPTIONS:\n";
        let flags: Vec<(String, &str)> = c.flags.iter().map(|f| (names(f), f.2)).collect();
        s += &options(&flags);
    }
    s
}

/// `--bundle value, -b value` for a flag.
fn names(f: &Flag) -> String {
    let value = if f.1 { " value" } else { "" };
    f.0.iter()
        .map(|n| {
            let dashes = if n.len() == 1 { "-" } else { "--" };
            format!("{dashes}{n}{value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Aligned option lines.
fn options(flags: &[(String, &str)]) -> String {
    let width = flags.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    flags
        .iter()
        .map(|(n, h)| format!("   {n:<width$}  {h}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_help_naming_its_flags() {
        for c in COMMANDS {
            let text = command(c);
            assert!(text.starts_with(&format!("NAME:\n   {PROG} {} - ", c.name)));
            for f in c.flags {
                assert!(text.contains(&format!("--{}", f.0[0])), "{text}");
            }
            assert!(global().contains(c.name));
        }
    }
}
