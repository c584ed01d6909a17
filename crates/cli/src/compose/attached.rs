//! Attached `up`: every attached service's output with prefixes until all its containers
//! have exited; Ctrl-C stops the project gracefully, a second Ctrl-C kills it;
//! `--abort-on-container-exit` / `--exit-code-from` stop everything when one exits.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use berth_compose::model::Project;
use berth_engine::{Engine, Paths};
use berth_monitor::log_reader::LogsOptions;
use nix::sys::signal::{SigSet, Signal};

use super::args::UpArgs;
use super::labels::{self, ProjectContainer};
use super::logs::{display_name, print_line, stream, PrefixStyle};
use super::{down, progress};

/// Which services `up` attaches to: `--attach`, else those named (with their dependencies
/// under `--attach-dependencies`), else all; minus `--no-attach`.
fn attached_services(selected: &[String], a: &UpArgs) -> Vec<String> {
    let base: Vec<String> = if !a.attach.is_empty() {
        a.attach.clone()
    } else if !a.services.is_empty() && !a.attach_dependencies {
        a.services.clone()
    } else {
        selected.to_vec()
    };
    base.into_iter()
        .filter(|s| !a.no_attach.contains(s))
        .collect()
}

/// Stops (or with `kill` kills) every container of the selection, in reverse dependency order.
fn stop_all(
    paths: &Paths,
    project: &Project,
    selected: &[String],
    kill: bool,
    timeout: Option<i64>,
) {
    let Ok(e) = Engine::open(paths.clone()) else {
        return;
    };
    let Ok(list) = labels::service_containers(&e, &project.name, selected, false) else {
        return;
    };
    let list: Vec<ProjectContainer> = list.into_iter().filter(|c| c.is_running()).collect();
    let _ = down::in_stop_order(paths, Some(project), &list, |e, c| {
        if kill {
            let _ = e.kill_container(&c.rec, "SIGKILL");
            progress::container(&c.rec.name, "Killed");
        } else {
            progress::container(&c.rec.name, "Stopping");
            e.stop_container(&c.rec, timeout, None)?;
            progress::container(&c.rec.name, "Stopped");
        }
        Ok(())
    });
}

/// Follows the attached services after `up` converged them; returns `up`'s exit code.
pub fn follow_up(
    paths: &Paths,
    project: &Project,
    selected: &[String],
    a: &UpArgs,
    since: SystemTime,
) -> anyhow::Result<i32> {
    let e = Engine::open(paths.clone())?;
    let services = attached_services(selected, a);
    let list = labels::service_containers(&e, &project.name, &services, false)?;
    drop(e);
    let names: Vec<String> = list
        .iter()
        .map(|c| display_name(&project.name, &c.rec))
        .collect();
    let style = PrefixStyle::new(&names, a.no_color, a.no_log_prefix, "auto");
    print_line(&format!("Attaching to {}", names.join(", ")));
    let interrupted = stop_on_signals(paths, project, selected, a.timeout)?;
    let exits = Exits::default();
    let opts = LogsOptions {
        follow: true,
        tail: None,
        since: Some(since),
        until: None,
        timestamps: a.timestamps,
    };
    std::thread::scope(|scope| {
        for (i, (c, n)) in list.iter().zip(&names).enumerate() {
            let prefix = style.prefix(n, i);
            let (opts, exits) = (&opts, &exits);
            scope.spawn(move || {
                let _ = stream(paths, &c.rec, &prefix, opts);
                let code = Engine::open(paths.clone())
                    .map(|e| e.state(&c.rec).exit_code)
                    .unwrap_or(0);
                print_line(&format!("{n} exited with code {code}"));
                if exits.exited(a, &c.service, code) {
                    eprintln!("Aborting on container exit...");
                    stop_all(paths, project, selected, false, a.timeout);
                }
            });
        }
    });
    Ok(exits.up_code(interrupted.load(Ordering::SeqCst)))
}

/// Blocks SIGINT and SIGTERM and waits for them on a thread: the first stops the
/// selection (in the background), the next ones kill it. Returns whether one came.
fn stop_on_signals(
    paths: &Paths,
    project: &Project,
    selected: &[String],
    timeout: Option<i64>,
) -> anyhow::Result<Arc<AtomicBool>> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block()?;
    let interrupted = Arc::new(AtomicBool::new(false));
    let (flag, paths, project, selected) = (
        interrupted.clone(),
        paths.clone(),
        project.clone(),
        selected.to_vec(),
    );
    std::thread::spawn(move || {
        let mut count = 0;
        while let Ok(_sig) = set.wait() {
            count += 1;
            flag.store(true, Ordering::SeqCst);
            if count == 1 {
                eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
                let (paths, project, selected) = (paths.clone(), project.clone(), selected.clone());
                std::thread::spawn(move || stop_all(&paths, &project, &selected, false, timeout));
            } else {
                stop_all(&paths, &project, &selected, true, None);
            }
        }
    });
    Ok(interrupted)
}

/// How the attached containers' exits decide `up`'s exit code and its abort.
#[derive(Default)]
struct Exits {
    exit_code: AtomicI32,
    code_set: AtomicBool,
    aborting: AtomicBool,
}

impl Exits {
    /// Records that a container of `service` exited with `code`: its code becomes `up`'s
    /// when it is the first chosen one (`--exit-code-from`'s service, or any under the
    /// abort flags). Returns true when this exit starts the abort.
    fn exited(&self, a: &UpArgs, service: &str, code: i32) -> bool {
        let abort = a.abort_on_container_exit || a.exit_code_from.is_some();
        let chosen = match &a.exit_code_from {
            Some(s) => s == service,
            None => abort || (a.abort_on_container_failure && code != 0),
        };
        if chosen && !self.code_set.swap(true, Ordering::SeqCst) {
            self.exit_code.store(code, Ordering::SeqCst);
        }
        let stop_now = abort || (a.abort_on_container_failure && code != 0);
        stop_now && !self.aborting.swap(true, Ordering::SeqCst)
    }

    /// `up`'s exit code: 130 when interrupted (and not aborting), else the chosen one.
    fn up_code(&self, interrupted: bool) -> i32 {
        if interrupted && !self.aborting.load(Ordering::SeqCst) {
            return 130;
        }
        self.exit_code.load(Ordering::SeqCst)
    }
}
