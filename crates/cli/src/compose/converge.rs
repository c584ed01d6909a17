//! `up`'s and `create`'s core: each service's containers brought to what the file says, in
//! dependency order with services of one level in parallel. A container whose config hash
//! (the service's resolved model), image ID and dependencies are unchanged is left
//! alone; a changed one is recreated; missing replicas are created and surplus ones removed.
//! Before a service starts, its dependencies' conditions hold: started, healthy, or
//! completed successfully.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use berth_compose::model::{Project, Service, SERVICE_COMPLETED_SUCCESSFULLY, SERVICE_HEALTHY};
use berth_engine::containers::ContainerRecord;
use berth_engine::spec::{MountKind, MountSpec};
use berth_engine::{Engine, Paths};

use super::labels::{self, ProjectContainer};
use super::{convert, graph, progress};

mod start;

use start::Convergence;

/// How `up` / `create` treat existing containers.
#[derive(Debug, Default, Clone)]
pub struct ConvergeOptions {
    /// `--force-recreate`.
    pub force_recreate: bool,
    /// `--no-recreate`.
    pub no_recreate: bool,
    /// `--always-recreate-deps`: dependents of a recreated service are recreated too.
    pub always_recreate_deps: bool,
    /// `--no-start` / `create`.
    pub no_start: bool,
    /// `-t`: stop timeout for recreated and surplus containers.
    pub timeout: Option<i64>,
    /// `--scale SERVICE=N`.
    pub scale: BTreeMap<String, u64>,
    /// `-V`: recreated containers get new anonymous volumes instead of the old ones'.
    pub renew_anon_volumes: bool,
}

/// Whether container `c` no longer matches service `s`: its config hash (the normalised
/// model, as `config --hash` prints it), the image ID it runs, or its dependencies differ.
pub fn outdated(c: &ProjectContainer, project: &Project, s: &Service, image_id: &str) -> bool {
    c.label(labels::CONFIG_HASH) != Some(project.config_hash(&s.name).as_str())
        || c.label(labels::IMAGE) != Some(format!("sha256:{image_id}").as_str())
        || c.label(labels::DEPENDS_ON).unwrap_or_default() != convert::depends_on_label(s)
}

/// Where a project's secret and config files are written.
pub fn files_dir(paths: &Paths, project: &str) -> PathBuf {
    paths.root.join("compose").join(project)
}

/// Converges `services` (in start order); `images` maps each to its image ID. Every
/// service's containers are created (or recreated) at once; they then start in dependency
/// order, each service once its dependencies' conditions hold.
pub fn converge(
    paths: &Paths,
    project: &Project,
    services: &[String],
    images: &BTreeMap<String, String>,
    opts: &ConvergeOptions,
) -> anyhow::Result<()> {
    let run = Convergence {
        paths,
        project,
        services,
        images,
        opts,
        forced: forced_services(paths, project, services, images, opts)?,
        converged: Default::default(),
    };
    // A service in another's network namespace (`network_mode: service:x`) is created once
    // x has started: its namespace is resolved at creation.
    let joins_another = |name: &str| {
        project
            .services
            .get(name)
            .and_then(|s| s.network_mode.as_deref())
            .is_some_and(|m| m.starts_with("service:"))
    };
    let early: Vec<String> = services
        .iter()
        .filter(|s| opts.no_start || !joins_another(s))
        .cloned()
        .collect();
    graph::each(&early, |name| {
        let s = run.service(name)?;
        let mut e = Engine::open(paths.clone())?;
        run.create(&mut e, s)?;
        Ok(())
    })?;
    if opts.no_start {
        return Ok(());
    }
    let depends_on = |s: &str| {
        project
            .services
            .get(s)
            .map(|s| s.depends_on.keys().cloned().collect())
            .unwrap_or_default()
    };
    graph::first_error(graph::walk(services, depends_on, |name| run.start(name)))
}

/// The services to recreate even if unchanged: with `--always-recreate-deps`, those that
/// depend (directly or not) on a service that will be recreated.
fn forced_services(
    paths: &Paths,
    project: &Project,
    services: &[String],
    images: &BTreeMap<String, String>,
    opts: &ConvergeOptions,
) -> anyhow::Result<Vec<String>> {
    if !opts.always_recreate_deps || opts.no_recreate {
        return Ok(Vec::new());
    }
    let e = Engine::open(paths.clone())?;
    let existing = labels::project_containers(&e, &project.name, false)?;
    let mut recreated: Vec<String> = Vec::new();
    let mut forced = Vec::new();
    // `services` is in start order: dependencies come first.
    for name in services {
        let (Some(s), Some(image_id)) = (project.services.get(name), images.get(name)) else {
            continue;
        };
        let mine = existing.iter().filter(|c| c.service == *name);
        let changed =
            opts.force_recreate || mine.clone().any(|c| outdated(c, project, s, image_id));
        let dep_recreated = s.depends_on.keys().any(|d| recreated.contains(d));
        if dep_recreated {
            forced.push(name.clone());
        }
        if (changed || dep_recreated) && mine.count() > 0 {
            recreated.push(name.clone());
        }
    }
    Ok(forced)
}

/// What converging one service did.
#[derive(Debug, Clone, Default)]
struct Converged {
    /// Containers to start (new, recreated, or stopped).
    to_start: Vec<ContainerRecord>,
    /// Some container was recreated.
    recreated: bool,
}

/// Brings one service's containers in line (created, recreated, surplus ones removed).
fn converge_service(
    e: &mut Engine,
    paths: &Paths,
    project: &Project,
    s: &Service,
    image_id: &str,
    opts: &ConvergeOptions,
    force: bool,
) -> anyhow::Result<Converged> {
    let replicas = replicas(s, opts)?;
    let hash = project.config_hash(&s.name);
    let existing =
        labels::service_containers(e, &project.name, std::slice::from_ref(&s.name), false)?;
    for c in existing
        .iter()
        .filter(|c| c.number == 0 || c.number > replicas)
    {
        stop_and_remove(e, c, opts.timeout)?;
    }
    let mut to_start = Vec::new();
    let mut recreated = false;
    for n in 1..=replicas {
        let current = existing.iter().find(|c| c.number == n);
        let rec = match current {
            Some(c) => {
                let changed = outdated(c, project, s, image_id);
                if !opts.no_recreate && (opts.force_recreate || force || changed) {
                    progress::container(&c.rec.name, "Recreate");
                    let keep = !opts.renew_anon_volumes;
                    let inherit = if keep {
                        anonymous_volumes(c)
                    } else {
                        Vec::new()
                    };
                    stop_and_remove_keeping(e, c, opts.timeout, keep)?;
                    let r = create_one(e, paths, project, s, n, &hash, image_id, &inherit)?;
                    progress::container(&r.name, "Recreated");
                    recreated = true;
                    r
                } else {
                    if c.is_running() {
                        progress::container(&c.rec.name, "Running");
                        continue;
                    }
                    c.rec.clone()
                }
            }
            None => {
                let name = s
                    .container_name
                    .clone()
                    .unwrap_or_else(|| labels::container_name(&project.name, &s.name, n));
                progress::container(&name, "Creating");
                let r = create_one(e, paths, project, s, n, &hash, image_id, &[])?;
                progress::container(&r.name, "Created");
                r
            }
        };
        to_start.push(rec);
    }
    Ok(Converged {
        to_start,
        recreated,
    })
}

/// The service's replica count (`--scale` over the model's); a `container_name` allows one.
fn replicas(s: &Service, opts: &ConvergeOptions) -> anyhow::Result<u32> {
    let replicas = opts
        .scale
        .get(&s.name)
        .copied()
        .unwrap_or_else(|| s.replicas()) as u32;
    if s.container_name.is_some() && replicas > 1 {
        bail!(
            "service {} has a container_name and cannot be scaled to {replicas}",
            s.name
        );
    }
    Ok(replicas)
}

/// A container's anonymous volumes as `(path in the container, volume)`, for the
/// container that replaces it.
fn anonymous_volumes(c: &ProjectContainer) -> Vec<(String, String)> {
    c.rec
        .mounts
        .iter()
        .filter(|m| m.anonymous)
        .filter_map(|m| Some((m.destination.clone(), m.name.clone()?)))
        .collect()
}

/// Creates replica `number` of `s`, joined to all its networks, reusing the anonymous
/// volumes `inherit` (`(path in the container, volume)`) of the container it replaces.
#[allow(clippy::too_many_arguments)]
pub fn create_one(
    e: &mut Engine,
    paths: &Paths,
    project: &Project,
    s: &Service,
    number: u32,
    hash: &str,
    image_id: &str,
    inherit: &[(String, String)],
) -> anyhow::Result<ContainerRecord> {
    let name = s
        .container_name
        .clone()
        .unwrap_or_else(|| labels::container_name(&project.name, &s.name, number));
    let lbls = convert::container_labels(project, s, number, false, hash, image_id);
    let mut plan = convert::plan(project, s, &name, lbls, &files_dir(paths, &project.name))?;
    for (target, volume) in inherit {
        let at =
            |m: &&mut MountSpec| m.target.trim_end_matches('/') == target.trim_end_matches('/');
        match plan.opts.mounts.iter_mut().find(|m| at(m)) {
            Some(m) if m.kind == MountKind::Volume && m.source.is_empty() => {
                m.source = volume.clone();
            }
            Some(_) => {}
            None => plan.opts.mounts.push(MountSpec {
                kind: MountKind::Volume,
                source: volume.clone(),
                target: target.clone(),
                ..Default::default()
            }),
        }
    }
    let image = s.image_name(&project.name);
    let r = e.create_container(&image, &plan.opts)?;
    for n in &plan.extra_networks {
        if let Err(err) = e.connect_network(&n.name, &r.id, &n.aliases, n.ip.as_deref()) {
            let _ = e.remove_container(&r, true, true);
            return Err(err.into());
        }
    }
    Ok(e.container(&r.id)?)
}

/// Stops (with progress) and removes a container and its anonymous volumes.
pub fn stop_and_remove(
    e: &Engine,
    c: &ProjectContainer,
    timeout: Option<i64>,
) -> anyhow::Result<()> {
    let name = &c.rec.name;
    if c.is_running() {
        progress::container(name, "Stopping");
        e.stop_container(&c.rec, timeout, None)?;
        progress::container(name, "Stopped");
    }
    progress::container(name, "Removing");
    e.remove_container(&c.rec, true, true)?;
    progress::container(name, "Removed");
    Ok(())
}

/// Stops and removes a container being recreated (its progress says "Recreate"), keeping
/// its anonymous volumes for the new one when `keep_volumes`.
fn stop_and_remove_keeping(
    e: &Engine,
    c: &ProjectContainer,
    timeout: Option<i64>,
    keep_volumes: bool,
) -> anyhow::Result<()> {
    if c.is_running() {
        e.stop_container(&c.rec, timeout, None)?;
    }
    e.remove_container(&c.rec, true, !keep_volumes)?;
    Ok(())
}

/// How often dependency conditions are polled.
const POLL: Duration = Duration::from_millis(50);

/// Waits until `dep`'s containers meet `condition`.
pub(super) fn wait_condition(
    e: &Engine,
    project: &Project,
    dep: &str,
    condition: &str,
) -> anyhow::Result<()> {
    if condition != SERVICE_HEALTHY && condition != SERVICE_COMPLETED_SUCCESSFULLY {
        return Ok(());
    }
    let containers = labels::service_containers(e, &project.name, &[dep.to_string()], false)?;
    for c in containers {
        progress::container(&c.rec.name, "Waiting");
        loop {
            let st = e.state(&c.rec);
            if condition == SERVICE_HEALTHY {
                let Some(h) = &st.health else {
                    bail!(
                        "dependency failed to start: container {} has no healthcheck configured",
                        c.rec.name
                    );
                };
                match h.status.as_str() {
                    "healthy" => {
                        progress::container(&c.rec.name, "Healthy");
                        break;
                    }
                    "unhealthy" => {
                        progress::container(&c.rec.name, "Error");
                        bail!(
                            "dependency failed to start: container {} is unhealthy",
                            c.rec.name
                        );
                    }
                    _ => {}
                }
                if !st.is_running() && st.status != "restarting" {
                    progress::container(&c.rec.name, "Error");
                    bail!(
                        "dependency failed to start: container {} exited ({})",
                        c.rec.name,
                        st.exit_code
                    );
                }
            } else if !st.is_running() && st.status != "restarting" && st.status != "created" {
                if st.exit_code == 0 {
                    progress::container(&c.rec.name, "Exited");
                    break;
                }
                progress::container(&c.rec.name, "Error");
                bail!(
                    "service {dep:?} didn't complete successfully: exit {}",
                    st.exit_code
                );
            }
            std::thread::sleep(POLL);
        }
    }
    Ok(())
}
