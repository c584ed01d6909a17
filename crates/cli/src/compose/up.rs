//! `up` and `create`: images, networks and volumes first, then every service converged in
//! dependency order; `up` then follows the services' logs (attached) or returns (`-d`),
//! optionally waiting for them to be running or healthy (`--wait`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use berth_compose::model::{Project, SERVICE_COMPLETED_SUCCESSFULLY};
use berth_engine::{Engine, Paths};

use super::args::{CreateArgs, ProjectOptions, UpArgs};
use super::converge::{self, ConvergeOptions};
use super::images::{self, EnsureFlags};
use super::{attached, labels, progress, project, resources};

/// `--scale SERVICE=N` values.
pub fn parse_scale(values: &[String]) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for v in values {
        let (s, n) = v
            .split_once('=')
            .ok_or_else(|| anyhow!("invalid --scale {v:?}: expected SERVICE=NUM"))?;
        let n: u64 = n
            .parse()
            .map_err(|_| anyhow!("invalid --scale {v:?}: {n:?} is not a number"))?;
        out.insert(s.to_string(), n);
    }
    Ok(out)
}

/// The services a command acts on: those named (all when none), with their dependencies
/// unless `no_deps`, in start order.
pub fn selection(
    project: &Project,
    named: &[String],
    no_deps: bool,
) -> anyhow::Result<Vec<String>> {
    for n in named {
        if !project.services.contains_key(n) {
            bail!("no such service: {n}");
        }
    }
    if no_deps && !named.is_empty() {
        let order = project.start_order(named);
        return Ok(order.into_iter().filter(|s| named.contains(s)).collect());
    }
    Ok(project.start_order(named))
}

/// Everything `up` and `create` share: images, resources, orphans, convergence.
struct Prepare<'a> {
    ensure: EnsureFlags,
    converge: ConvergeOptions,
    remove_orphans: bool,
    services: &'a [String],
    no_deps: bool,
}

fn prepare(paths: &Paths, project: &Project, p: Prepare<'_>) -> anyhow::Result<Vec<String>> {
    for s in p.converge.scale.keys() {
        if !project.services.contains_key(s) {
            bail!("no such service: {s}");
        }
    }
    let selected = selection(project, p.services, p.no_deps)?;
    let mut e = Engine::open(paths.clone())?;
    let image_ids = images::ensure(&mut e, project, &selected, &p.ensure)?;
    orphans(&e, project, p.remove_orphans, p.converge.timeout)?;
    resources::ensure_networks(
        paths,
        project,
        &resources::used_networks(project, &selected),
    )?;
    resources::ensure_volumes(&e, project, &resources::used_volumes(project, &selected))?;
    drop(e);
    converge::converge(paths, project, &selected, &image_ids, &p.converge)?;
    Ok(selected)
}

/// Warns about (or with `remove` removes) containers of services the file no longer has.
pub(super) fn orphans(
    e: &Engine,
    project: &Project,
    remove: bool,
    timeout: Option<i64>,
) -> anyhow::Result<()> {
    let list: Vec<_> = labels::project_containers(e, &project.name, false)?
        .into_iter()
        .filter(|c| {
            !project.services.contains_key(&c.service) && !project.disabled.contains(&c.service)
        })
        .collect();
    if list.is_empty() {
        return Ok(());
    }
    if remove {
        for c in &list {
            converge::stop_and_remove(e, c, timeout)?;
        }
    } else {
        let names: Vec<&str> = list.iter().map(|c| c.rec.name.as_str()).collect();
        progress::warn_line(&format!(
            "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
            names.join(" ")
        ));
    }
    Ok(())
}

/// `up`.
pub fn up(paths: &Paths, o: &ProjectOptions, a: UpArgs) -> anyhow::Result<i32> {
    let project = project::load(o, &a.services)?;
    if a.no_start && (a.wait || a.abort_on_container_exit) {
        bail!("--no-start is incompatible with --wait and --abort-on-container-exit");
    }
    let started = std::time::SystemTime::now();
    let selected = prepare(
        paths,
        &project,
        Prepare {
            ensure: EnsureFlags {
                build: a.build,
                no_build: a.no_build,
                pull: a.pull.clone(),
            },
            converge: ConvergeOptions {
                force_recreate: a.force_recreate,
                no_recreate: a.no_recreate,
                always_recreate_deps: a.always_recreate_deps,
                no_start: a.no_start,
                timeout: a.timeout,
                scale: parse_scale(&a.scale)?,
                renew_anon_volumes: a.renew_anon_volumes,
            },
            remove_orphans: a.remove_orphans,
            services: &a.services,
            no_deps: a.no_deps,
        },
    )?;
    if a.no_start {
        return Ok(0);
    }
    if a.wait {
        return wait_ready(paths, &project, &selected, a.wait_timeout);
    }
    if a.detach {
        return Ok(0);
    }
    attached::follow_up(paths, &project, &selected, &a, started)
}

/// `create`: `up --no-start`.
pub fn create(paths: &Paths, o: &ProjectOptions, a: CreateArgs) -> anyhow::Result<i32> {
    let up_args = UpArgs {
        build: a.build,
        no_build: a.no_build,
        pull: a.pull,
        force_recreate: a.force_recreate,
        no_recreate: a.no_recreate,
        remove_orphans: a.remove_orphans,
        scale: a.scale,
        services: a.services,
        no_start: true,
        ..Default::default()
    };
    up(paths, o, up_args)
}

/// `--wait`: every container of `services` running (and healthy when it has a healthcheck);
/// a one-shot other services wait on may have exited with 0.
fn wait_ready(
    paths: &Paths,
    project: &Project,
    services: &[String],
    timeout: Option<u64>,
) -> anyhow::Result<i32> {
    let e = Engine::open(paths.clone())?;
    let deadline = timeout.map(|t| Instant::now() + Duration::from_secs(t));
    let one_shot = |svc: &str| {
        project.services.values().any(|s| {
            s.depends_on
                .get(svc)
                .is_some_and(|d| d.condition == SERVICE_COMPLETED_SUCCESSFULLY)
        })
    };
    for c in labels::service_containers(&e, &project.name, services, false)? {
        progress::container(&c.rec.name, "Waiting");
        loop {
            let st = e.state(&c.rec);
            let running = st.is_running() || st.status == "restarting";
            match st.health.as_ref().map(|h| h.status.as_str()) {
                Some("healthy") => break,
                Some("unhealthy") => {
                    progress::container(&c.rec.name, "Error");
                    bail!("container {} is unhealthy", c.rec.name);
                }
                None if running => break,
                _ => {}
            }
            if !running {
                if st.exit_code == 0 && one_shot(&c.service) {
                    break;
                }
                progress::container(&c.rec.name, "Error");
                bail!("container {} exited ({})", c.rec.name, st.exit_code);
            }
            if deadline.is_some_and(|d| Instant::now() > d) {
                bail!("timeout waiting for container {} to be ready", c.rec.name);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        progress::container(
            &c.rec.name,
            if e.state(&c.rec).health.is_some() {
                "Healthy"
            } else {
                "Running"
            },
        );
    }
    Ok(0)
}
