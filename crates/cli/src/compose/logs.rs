//! Service logs with docker compose's prefixes (`web-1  | `, coloured on a terminal): the
//! `logs` command, and the followers attached `up` runs.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use berth_engine::containers::state::state_of;
use berth_engine::containers::ContainerRecord;
use berth_engine::{Engine, Paths};
use berth_monitor::log_reader::{read_logs, LogsOptions};

use super::args::{LogsArgs, ProjectOptions};
use super::{labels, project};

/// Serialises whole lines from many followers.
static OUT: Mutex<()> = Mutex::new(());

/// docker compose's prefix colours, in order of use.
const COLOURS: [&str; 12] = [
    "36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91",
];

/// How prefixes look.
#[derive(Debug, Clone)]
pub struct PrefixStyle {
    /// The widest name, for padding.
    pub width: usize,
    /// Colour the prefixes.
    pub colour: bool,
    /// No prefixes at all.
    pub none: bool,
}

impl PrefixStyle {
    /// The style for `names` (colour when stdout is a terminal, unless turned off).
    pub fn new(names: &[String], no_color: bool, no_prefix: bool, ansi: &str) -> Self {
        let colour = match ansi {
            "never" => false,
            "always" => true,
            _ => {
                !no_color
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
            }
        } && !no_color;
        PrefixStyle {
            width: names.iter().map(String::len).max().unwrap_or(0),
            colour,
            none: no_prefix,
        }
    }

    /// The prefix for the `index`th container, called `name`.
    pub fn prefix(&self, name: &str, index: usize) -> String {
        if self.none {
            return String::new();
        }
        let padded = format!("{name:<w$}  |", w = self.width);
        if self.colour {
            format!("\x1b[{}m{padded}\x1b[0m ", COLOURS[index % COLOURS.len()])
        } else {
            format!("{padded} ")
        }
    }
}

/// The name logs show for a container: its name without the `<project>-` prefix.
pub fn display_name(project: &str, r: &ContainerRecord) -> String {
    r.name
        .strip_prefix(&format!("{project}-"))
        .unwrap_or(&r.name)
        .to_string()
}

/// Writes whole lines with a prefix to standard output or error.
struct PrefixWriter {
    prefix: String,
    stderr: bool,
    partial: Vec<u8>,
}

impl PrefixWriter {
    fn emit(&mut self, line: &[u8]) -> std::io::Result<()> {
        let _g = OUT.lock();
        let mut buf = Vec::with_capacity(self.prefix.len() + line.len() + 1);
        buf.extend_from_slice(self.prefix.as_bytes());
        buf.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            buf.push(b'\n');
        }
        if self.stderr {
            std::io::stderr().lock().write_all(&buf)
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()
        }
    }
}

impl Write for PrefixWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(data);
        while let Some(i) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=i).collect();
            self.emit(&line)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line)?;
        }
        Ok(())
    }
}

/// Prints a line as the log prefixing does (for "exited with code" and the like).
pub fn print_line(line: &str) {
    let _g = OUT.lock();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Writes container `r`'s logs with `prefix`; with `opts.follow`, until it stops running.
pub fn stream(
    paths: &Paths,
    r: &ContainerRecord,
    prefix: &str,
    opts: &LogsOptions,
) -> anyhow::Result<()> {
    let dir = paths.container(&r.id);
    let runtime_root = paths.runtime();
    let id = r.id.clone();
    let stop = move || {
        let s = state_of(&dir, &runtime_root, &id);
        !s.is_running() && s.status != "restarting"
    };
    let mut out = PrefixWriter {
        prefix: prefix.to_string(),
        stderr: false,
        partial: Vec::new(),
    };
    let mut err = PrefixWriter {
        prefix: prefix.to_string(),
        stderr: true,
        partial: Vec::new(),
    };
    read_logs(&r.monitor.log.path, opts, &mut out, &mut err, stop)?;
    out.flush()?;
    err.flush()?;
    Ok(())
}

/// `logs`.
pub fn logs(paths: &Paths, o: &ProjectOptions, a: LogsArgs) -> anyhow::Result<i32> {
    let name = match project::load_or_name(o, &[])? {
        Some(p) => p.name,
        None => project::name_only(o).unwrap_or_default(),
    };
    let e = Engine::open(paths.clone())?;
    let mut list = labels::service_containers(&e, &name, &a.services, true)?;
    if let Some(i) = a.index {
        list.retain(|c| c.number == i);
    }
    let opts = crate::docker::containers::logs_options(
        a.follow,
        a.tail.as_deref(),
        a.since.as_deref(),
        a.until.as_deref(),
        a.timestamps,
    )?;
    let names: Vec<String> = list.iter().map(|c| display_name(&name, &c.rec)).collect();
    let style = PrefixStyle::new(&names, a.no_color, a.no_log_prefix, &o.ansi);
    std::thread::scope(|scope| {
        let handles: Vec<_> = list
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(i, (c, n))| {
                let prefix = style.prefix(n, i);
                let opts = &opts;
                scope.spawn(move || stream(paths, &c.rec, &prefix, opts))
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a log follower panicked"))??;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(0)
}
