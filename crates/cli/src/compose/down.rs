//! `down`: the project's containers stopped and removed in reverse dependency order (the
//! services of one level in parallel), then its networks; with `-v` its volumes, with
//! `--rmi` its images. Works from `-p NAME` alone when there is no compose file.

use std::collections::BTreeSet;

use berth_compose::model::Project;
use berth_engine::{Engine, Paths};

use super::args::{DownArgs, ProjectOptions};
use super::labels::{self, ProjectContainer};
use super::{converge, graph, progress, project, resources};

/// Services whose containers must stop before `service`'s (those that depend on it).
pub fn dependents(project: Option<&Project>, service: &str) -> Vec<String> {
    project
        .map(|p| {
            p.services
                .values()
                .filter(|s| s.depends_on.contains_key(service))
                .map(|s| s.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `step` on each container of `list`, service by service in reverse dependency order.
pub fn in_stop_order(
    paths: &Paths,
    project: Option<&Project>,
    list: &[ProjectContainer],
    step: impl Fn(&Engine, &ProjectContainer) -> anyhow::Result<()> + Sync,
) -> anyhow::Result<()> {
    let services: Vec<String> = list
        .iter()
        .map(|c| c.service.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let errors = graph::walk(
        &services,
        |s| dependents(project, s),
        |svc| {
            let e = Engine::open(paths.clone())?;
            let mine: Vec<&ProjectContainer> = list.iter().filter(|c| c.service == svc).collect();
            std::thread::scope(|scope| {
                let handles: Vec<_> = mine
                    .iter()
                    .map(|c| {
                        let step = &step;
                        scope.spawn(move || {
                            let e = Engine::open(paths.clone())?;
                            step(&e, c)
                        })
                    })
                    .collect();
                for h in handles {
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
                }
                drop(e);
                Ok(())
            })
        },
    );
    graph::first_error(errors)
}

/// `down`.
pub fn down(paths: &Paths, o: &ProjectOptions, a: DownArgs) -> anyhow::Result<i32> {
    let project = project::load_or_name(o, &[])?;
    let name = match (&project, project::name_only(o)) {
        (Some(p), _) => p.name.clone(),
        (None, Some(n)) => n,
        (None, None) => anyhow::bail!("no configuration file provided: not found"),
    };
    let mut e = Engine::open(paths.clone())?;
    let mut list = labels::project_containers(&e, &name, true)?;
    if !a.services.is_empty() {
        list.retain(|c| a.services.contains(&c.service));
    }
    if let Some(p) = &project {
        let (orphans, keep): (Vec<_>, Vec<_>) = list.into_iter().partition(|c| {
            !p.services.contains_key(&c.service) && !p.disabled.contains(&c.service)
        });
        list = keep;
        if a.remove_orphans {
            list.extend(orphans);
        } else if !orphans.is_empty() {
            let names: Vec<&str> = orphans.iter().map(|c| c.rec.name.as_str()).collect();
            progress::warn_line(&format!(
                "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                names.join(" ")
            ));
        }
    }
    // Stops in reverse dependency order; removals (which wait for each monitor to finish)
    // then all at once.
    let timeout = a.timeout;
    in_stop_order(paths, project.as_ref(), &list, |e, c| {
        if c.is_running() {
            progress::container(&c.rec.name, "Stopping");
            e.stop_container(&c.rec, timeout, None)?;
            progress::container(&c.rec.name, "Stopped");
        }
        Ok(())
    })?;
    graph::each(&list, |c| {
        let e = Engine::open(paths.clone())?;
        progress::container(&c.rec.name, "Removing");
        e.remove_container(&c.rec, true, true)?;
        progress::container(&c.rec.name, "Removed");
        Ok(())
    })?;
    if a.services.is_empty() {
        resources::remove_networks(paths, &name)?;
        if a.volumes {
            resources::remove_volumes(&e, &name)?;
        }
        let dir = converge::files_dir(paths, &name);
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    if let (Some(mode), Some(p)) = (a.rmi.as_deref(), &project) {
        remove_images(&mut e, p, mode)?;
    }
    Ok(0)
}

/// `--rmi local|all`: the images built for services without an `image:` name, or every
/// service image.
fn remove_images(e: &mut Engine, p: &Project, mode: &str) -> anyhow::Result<()> {
    if mode != "local" && mode != "all" {
        anyhow::bail!("invalid --rmi {mode:?}: must be local or all");
    }
    let images: BTreeSet<String> = p
        .services
        .values()
        .filter(|s| mode == "all" || s.image.is_none())
        .map(|s| s.image_name(&p.name))
        .collect();
    for i in images {
        if e.resolve_image_id(&i).is_err() {
            continue;
        }
        progress::event("Image", &i, "Removing");
        match e.remove_image(&i, false) {
            Ok(_) => progress::event("Image", &i, "Removed"),
            Err(err) => progress::warn_line(&format!("image {i}: {err}")),
        }
    }
    Ok(())
}
