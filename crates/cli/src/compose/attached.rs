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

    // Signals: the first SIGINT/SIGTERM stops the project, the second kills it.
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block()?;
    let interrupted = Arc::new(AtomicBool::new(false));
    let aborting = Arc::new(AtomicBool::new(false));
    {
        let (interrupted, paths, project, selected) = (
            interrupted.clone(),
            paths.clone(),
            project.clone(),
            selected.to_vec(),
        );
        let timeout = a.timeout;
        std::thread::spawn(move || {
            let mut count = 0;
            while let Ok(_sig) = set.wait() {
                count += 1;
                interrupted.store(true, Ordering::SeqCst);
                if count == 1 {
                    eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
                    let (paths, project, selected) =
                        (paths.clone(), project.clone(), selected.clone());
                    std::thread::spawn(move || {
                        stop_all(&paths, &project, &selected, false, timeout)
                    });
                } else {
                    stop_all(&paths, &project, &selected, true, None);
                }
            }
        });
    }

    let abort = a.abort_on_container_exit || a.exit_code_from.is_some();
    let exit_code = AtomicI32::new(0);
    let code_set = AtomicBool::new(false);
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
            let (opts, exit_code, code_set, aborting) = (&opts, &exit_code, &code_set, &aborting);
            scope.spawn(move || {
                let _ = stream(paths, &c.rec, &prefix, opts);
                let code = Engine::open(paths.clone())
                    .map(|e| e.state(&c.rec).exit_code)
                    .unwrap_or(0);
                print_line(&format!("{n} exited with code {code}"));
                let chosen = match &a.exit_code_from {
                    Some(s) => *s == c.service,
                    None => abort || (a.abort_on_container_failure && code != 0),
                };
                if chosen && !code_set.swap(true, Ordering::SeqCst) {
                    exit_code.store(code, Ordering::SeqCst);
                }
                let stop_now = abort || (a.abort_on_container_failure && code != 0);
                if stop_now && !aborting.swap(true, Ordering::SeqCst) {
                    eprintln!("Aborting on container exit...");
                    stop_all(paths, project, selected, false, a.timeout);
                }
            });
        }
    });
    if interrupted.load(Ordering::SeqCst) && !aborting.load(Ordering::SeqCst) {
        return Ok(130);
    }
    Ok(exit_code.load(Ordering::SeqCst))
}
