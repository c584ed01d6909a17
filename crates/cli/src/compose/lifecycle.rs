//! `start`, `stop`, `restart`, `kill`, `pause`, `unpause` and `rm` on a project's service
//! containers, in dependency order (starts) or its reverse (stops).

use berth_compose::model::Project;
use berth_engine::{Engine, Paths};

use super::args::{KillArgs, ProjectOptions, RestartArgs, RmArgs, ServicesArgs, TimeoutArgs};
use super::labels::{self, ProjectContainer};
use super::{down, graph, progress, project};

/// The project (when a file is found) and its name.
fn open(o: &ProjectOptions) -> anyhow::Result<(Option<Project>, String)> {
    let p = project::load_or_name(o, &[])?;
    let name = match &p {
        Some(p) => p.name.clone(),
        None => project::name_only(o).unwrap_or_default(),
    };
    Ok((p, name))
}

fn containers(
    paths: &Paths,
    name: &str,
    services: &[String],
) -> anyhow::Result<Vec<ProjectContainer>> {
    let e = Engine::open(paths.clone())?;
    labels::service_containers(&e, name, services, false)
}

/// Starts `list` in dependency order.
fn start_in_order(
    paths: &Paths,
    project: Option<&Project>,
    list: &[ProjectContainer],
) -> anyhow::Result<()> {
    let mut services: Vec<String> = Vec::new();
    match project {
        Some(p) => {
            for s in p.start_order(&[]) {
                if list.iter().any(|c| c.service == s) {
                    services.push(s);
                }
            }
            for c in list {
                if !services.contains(&c.service) {
                    services.push(c.service.clone());
                }
            }
        }
        None => {
            for c in list {
                if !services.contains(&c.service) {
                    services.push(c.service.clone());
                }
            }
        }
    }
    let errors = graph::walk(
        &services,
        |s| {
            project
                .and_then(|p| p.services.get(s))
                .map(|s| s.depends_on.keys().cloned().collect())
                .unwrap_or_default()
        },
        |svc| {
            let e = Engine::open(paths.clone())?;
            let e = &e;
            for c in list.iter().filter(|c| c.service == svc) {
                let st = e.state(&c.rec);
                if st.is_running() {
                    continue;
                }
                progress::container(&c.rec.name, "Starting");
                e.start_container(&c.rec)?;
                progress::container(&c.rec.name, "Started");
            }
            Ok(())
        },
    );
    graph::first_error(errors)
}

/// `start`.
pub fn start(paths: &Paths, o: &ProjectOptions, a: ServicesArgs) -> anyhow::Result<i32> {
    let (p, name) = open(o)?;
    let list = containers(paths, &name, &a.services)?;
    if list.is_empty() {
        anyhow::bail!(
            "service(s) {} have no container to start",
            a.services.join(", ")
        );
    }
    start_in_order(paths, p.as_ref(), &list)?;
    Ok(0)
}

/// `stop`.
pub fn stop(paths: &Paths, o: &ProjectOptions, a: TimeoutArgs) -> anyhow::Result<i32> {
    let (p, name) = open(o)?;
    let list: Vec<_> = containers(paths, &name, &a.services)?
        .into_iter()
        .filter(|c| c.is_running())
        .collect();
    down::in_stop_order(paths, p.as_ref(), &list, |e, c| {
        progress::container(&c.rec.name, "Stopping");
        e.stop_container(&c.rec, a.timeout, None)?;
        progress::container(&c.rec.name, "Stopped");
        Ok(())
    })?;
    Ok(0)
}

/// `restart`.
pub fn restart(paths: &Paths, o: &ProjectOptions, a: RestartArgs) -> anyhow::Result<i32> {
    let (p, name) = open(o)?;
    let list = containers(paths, &name, &a.services)?;
    down::in_stop_order(paths, p.as_ref(), &list, |e, c| {
        if c.is_running() {
            progress::container(&c.rec.name, "Restarting");
            e.stop_container(&c.rec, a.timeout, None)?;
        }
        Ok(())
    })?;
    start_in_order(paths, p.as_ref(), &list)?;
    Ok(0)
}

/// `kill`.
pub fn kill(paths: &Paths, o: &ProjectOptions, a: KillArgs) -> anyhow::Result<i32> {
    let (_, name) = open(o)?;
    let e = Engine::open(paths.clone())?;
    for c in labels::service_containers(&e, &name, &a.services, false)? {
        if !c.is_running() {
            continue;
        }
        progress::container(&c.rec.name, "Killing");
        e.kill_container(&c.rec, &a.signal)?;
        progress::container(&c.rec.name, "Killed");
    }
    Ok(0)
}

/// `pause` (`paused`) and `unpause`.
pub fn pause(
    paths: &Paths,
    o: &ProjectOptions,
    a: ServicesArgs,
    paused: bool,
) -> anyhow::Result<i32> {
    let (_, name) = open(o)?;
    let e = Engine::open(paths.clone())?;
    for c in labels::service_containers(&e, &name, &a.services, false)? {
        if !c.is_running() {
            continue;
        }
        e.set_paused(&c.rec, paused)?;
        progress::container(&c.rec.name, if paused { "Paused" } else { "Unpaused" });
    }
    Ok(0)
}

/// `rm`.
pub fn rm(paths: &Paths, o: &ProjectOptions, a: RmArgs) -> anyhow::Result<i32> {
    let (p, name) = open(o)?;
    let list = containers(paths, &name, &a.services)?;
    if a.stop {
        let running: Vec<_> = list.iter().filter(|c| c.is_running()).cloned().collect();
        down::in_stop_order(paths, p.as_ref(), &running, |e, c| {
            progress::container(&c.rec.name, "Stopping");
            e.stop_container(&c.rec, None, None)?;
            progress::container(&c.rec.name, "Stopped");
            Ok(())
        })?;
    }
    let e = Engine::open(paths.clone())?;
    let stopped: Vec<_> = list
        .into_iter()
        .filter(|c| !e.state(&c.rec).is_running())
        .collect();
    if stopped.is_empty() {
        eprintln!("No stopped containers");
        return Ok(0);
    }
    let names: Vec<&str> = stopped.iter().map(|c| c.rec.name.as_str()).collect();
    eprintln!("Going to remove {}", names.join(", "));
    for c in &stopped {
        progress::container(&c.rec.name, "Removing");
        e.remove_container(&c.rec, false, a.volumes)?;
        progress::container(&c.rec.name, "Removed");
    }
    Ok(0)
}
