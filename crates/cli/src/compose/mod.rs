//! `berth compose` (also `docker-compose`, when berth is invoked by that name): docker
//! compose v2's commands on top of the engine, in this process (no daemon). The compose
//! files are loaded and modelled by `berth-compose`; this module turns the model into
//! networks, volumes, images and containers, and reports as docker compose does. Errors
//! exit 1.

pub mod args;
mod attached;
mod config;
mod converge;
mod convert;
mod down;
mod graph;
mod images;
mod labels;
mod lifecycle;
mod logs;
mod progress;
mod project;
mod ps;
mod resources;
mod up;

use berth_engine::Paths;

use args::{ComposeCli, ComposeCommand as C};

/// Runs a parsed `compose` command; returns the exit code.
pub fn run(root: Option<&std::path::Path>, cli: ComposeCli) -> i32 {
    let paths = Paths::new(root);
    match dispatch(&paths, cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

fn dispatch(paths: &Paths, cli: ComposeCli) -> anyhow::Result<i32> {
    let o = &cli.opts;
    match cli.command {
        C::Up(a) => up::up(paths, o, a),
        C::Create(a) => up::create(paths, o, a),
        C::Down(a) => down::down(paths, o, a),
        C::Ps(a) => ps::ps(paths, o, a),
        C::Logs(a) => logs::logs(paths, o, a),
        C::Config(a) => config::config(o, a),
        C::Start(a) => lifecycle::start(paths, o, a),
        C::Stop(a) => lifecycle::stop(paths, o, a),
        C::Restart(a) => lifecycle::restart(paths, o, a),
        C::Kill(a) => lifecycle::kill(paths, o, a),
        C::Pause(a) => lifecycle::pause(paths, o, a, true),
        C::Unpause(a) => lifecycle::pause(paths, o, a, false),
        C::Rm(a) => lifecycle::rm(paths, o, a),
        other => anyhow::bail!("compose {}: not implemented yet", command_name(&other)),
    }
}

/// The subcommand's name, for messages.
fn command_name(c: &C) -> String {
    let dbg = format!("{c:?}");
    dbg.split(['(', ' '])
        .next()
        .unwrap_or_default()
        .to_lowercase()
}
