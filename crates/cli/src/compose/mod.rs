//! `berth compose` (also `docker-compose`, when berth is invoked by that name): docker
//! compose v2's commands on top of the engine, in this process (no daemon). The compose
//! files are loaded and modelled by `berth-compose`; this module turns the model into
//! networks, volumes, images and containers, and reports as docker compose does. Errors
//! exit 1.

pub mod args;
mod attached;
mod build;
mod config;
mod converge;
mod convert;
mod cp;
mod down;
mod events;
mod exec;
mod graph;
mod images;
mod info;
mod labels;
mod lifecycle;
mod logs;
mod progress;
mod project;
mod ps;
mod registry;
mod resources;
mod run;
mod up;
mod wait;

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
        C::Exec(a) => exec::exec(paths, o, a),
        C::Run(a) => run::run(paths, o, *a),
        C::Build(a) => build::build(paths, o, a),
        C::Pull(a) => registry::pull(paths, o, a),
        C::Push(a) => registry::push(paths, o, a),
        C::Top(a) => info::top(paths, o, a),
        C::Images(a) => info::images(paths, o, a),
        C::Port(a) => info::port(paths, o, a),
        C::Events(a) => events::events(paths, o, a),
        C::Ls(a) => info::ls(paths, o, a),
        C::Cp(a) => cp::cp(paths, o, a),
        C::Wait(a) => wait::wait(paths, o, a),
        C::Version(a) => info::version(a),
    }
}

/// `docker-compose [OPTIONS] COMMAND`: berth invoked by that name.
#[derive(clap::Parser, Debug)]
#[command(
    name = "docker-compose",
    version = labels::COMPOSE_VERSION,
    about = "Define and run multi-container applications (berth compose)",
    disable_help_subcommand = true
)]
struct DockerCompose {
    /// State root (default /var/lib/berth; also BERTH_ROOT).
    #[arg(long)]
    root: Option<std::path::PathBuf>,
    #[command(flatten)]
    cli: ComposeCli,
}

/// The entry point when berth runs as `docker-compose`.
pub fn main_as_docker_compose(args: Vec<std::ffi::OsString>) -> i32 {
    use clap::Parser;
    match DockerCompose::try_parse_from(args) {
        Ok(d) => run(d.root.as_deref(), d.cli),
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            code
        }
    }
}
