//! The Docker-style command line: `berth run`, `ps`, `images`, ... with Docker's flags,
//! output and exit codes: a bad flag is 125 for every command; `run`/`create` fail with 125
//! (engine error), 126 (cannot execute) or 127 (not found), else the container's own code;
//! other commands fail with 1, as Docker's do.

mod args;
pub(crate) mod build;
mod checkpoint;
pub(crate) mod containers;
mod cp;
mod events;
pub(crate) mod exec_tty;
mod images;
mod networks;
pub(crate) mod output;
pub(crate) mod registry;
mod registry_args;
pub(crate) mod run;
mod run_options;
mod service;
mod stats;
pub mod system;
mod transfer_progress;
mod volumes;

use std::ffi::OsString;

use clap::Parser;

use args::{Cli, Command};
use berth_engine::{Engine, Paths};

/// Parses `args` and runs the command; returns the process exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 125,
            };
            let _ = e.print();
            return code;
        }
    };
    let runs = creates_containers(&cli.command);
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            let code = e
                .downcast_ref::<berth_engine::Error>()
                .map(|e| e.exit_code());
            match code {
                Some(c @ (126 | 127)) => c,
                _ if runs => 125,
                _ => 1,
            }
        }
    }
}

/// Whether the command is `run`/`create` (whose engine errors exit 125, as Docker's).
fn creates_containers(c: &Command) -> bool {
    use args::ContainerCommand as C;
    matches!(
        c,
        Command::Run(_) | Command::Create(_) | Command::Container(C::Run(_) | C::Create(_))
    )
}

/// Opens the engine for the global options.
fn engine(cli: &args::Globals) -> anyhow::Result<Engine> {
    Ok(Engine::open(Paths::new(cli.root.as_deref()))?)
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let g = &cli.globals;
    match cli.command {
        Command::Version(a) => system::version(g, a),
        Command::Info(a) => system::info(g, a),
        Command::Events(a) => events::events(g, a),
        Command::System(c) => system::dispatch(g, c),
        Command::Image(c) => images::dispatch(g, c),
        Command::Images(a) => images::list(g, a),
        Command::Import(a) => images::import(g, a),
        Command::Build(a) => build::build(g, *a),
        Command::Builder(c) => build::builder(g, c),
        Command::Tag(a) => images::tag(g, a),
        Command::Rmi(a) => images::rmi(g, a),
        Command::History(a) => images::history(g, a),
        Command::Save(a) => images::save(g, a),
        Command::Load(a) => images::load(g, a),
        Command::Pull(a) => registry::pull(g, a),
        Command::Push(a) => registry::push(g, a),
        Command::Login(a) => registry::login(g, a),
        Command::Logout(a) => registry::logout(g, a),
        Command::Volume(c) => volumes::dispatch(g, c),
        Command::Network(c) => networks::dispatch(g, c),
        Command::Port(a) => networks::port(g, a),
        Command::Container(c) => containers::dispatch(g, c),
        Command::Run(a) => run::run(g, *a),
        Command::Create(a) => run::create(g, *a),
        Command::Cp(a) => cp::cp(g, a),
        Command::Stats(a) => stats::stats(g, a),
        Command::Compose(c) => Ok(crate::compose::run(g.root.as_deref(), *c)),
        other => containers::dispatch_top(g, other),
    }
}
