//! One `converge` run: every service's containers created (or recreated) in parallel, then
//! started in dependency order, each once its dependencies' conditions hold.

use std::collections::BTreeMap;
use std::sync::Mutex;

use anyhow::anyhow;
use berth_compose::model::{Project, Service};
use berth_engine::{Engine, Paths};

use super::{converge_service, wait_condition, ConvergeOptions, Converged};
use crate::compose::{labels, progress};

/// What a converge run works from, and what it has done so far per service.
pub(super) struct Convergence<'a> {
    pub paths: &'a Paths,
    pub project: &'a Project,
    /// The services to converge, in start order.
    pub services: &'a [String],
    /// Each service's image ID.
    pub images: &'a BTreeMap<String, String>,
    pub opts: &'a ConvergeOptions,
    /// The services recreated even if unchanged.
    pub forced: Vec<String>,
    /// Each converged service's outcome.
    pub converged: Mutex<BTreeMap<String, Converged>>,
}

impl Convergence<'_> {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> anyhow::Result<&Service> {
        self.project
            .services
            .get(name)
            .ok_or_else(|| anyhow!("no such service: {name}"))
    }

    /// What has been converged so far (a copy, the lock released).
    fn converged(&self) -> BTreeMap<String, Converged> {
        self.converged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Creates (or recreates) service `s`'s containers and records the outcome.
    pub fn create(&self, e: &mut Engine, s: &Service) -> anyhow::Result<Converged> {
        let name = &s.name;
        let image = self
            .images
            .get(name)
            .ok_or_else(|| anyhow!("service {name}: no image"))?;
        let force = self.forced.contains(name);
        let c = converge_service(e, self.paths, self.project, s, image, self.opts, force)?;
        self.converged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone(), c.clone());
        Ok(c)
    }

    /// Starts service `name` once its dependencies' conditions hold (creating its
    /// containers first if that waited for its dependencies).
    pub fn start(&self, name: &str) -> anyhow::Result<()> {
        let s = self.service(name)?;
        let mut e = Engine::open(self.paths.clone())?;
        for (dep, d) in &s.depends_on {
            if self.services.contains(dep) {
                wait_condition(&e, self.project, dep, &d.condition)?;
            }
        }
        let mine = match self.converged().remove(name) {
            Some(c) => c,
            None => self.create(&mut e, s)?,
        };
        for rec in &mine.to_start {
            progress::container(&rec.name, "Starting");
            e.start_container(rec)?;
            progress::container(&rec.name, "Started");
        }
        self.restart_after_recreated_deps(&e, s, &mine)
    }

    /// `depends_on: {x: {restart: true}}`: x was recreated, so restart what runs of `s`
    /// (unless `s` was recreated, or just started, itself).
    fn restart_after_recreated_deps(
        &self,
        e: &Engine,
        s: &Service,
        mine: &Converged,
    ) -> anyhow::Result<()> {
        let all = self.converged();
        let restart = s
            .depends_on
            .iter()
            .any(|(d, dep)| dep.restart && all.get(d).is_some_and(|c| c.recreated));
        if !restart || mine.recreated {
            return Ok(());
        }
        let containers = labels::service_containers(
            e,
            &self.project.name,
            std::slice::from_ref(&s.name),
            false,
        )?;
        for c in containers {
            if mine.to_start.iter().any(|r| r.id == c.rec.id) || !c.is_running() {
                continue;
            }
            progress::container(&c.rec.name, "Restarting");
            e.stop_container(&c.rec, self.opts.timeout, None)?;
            e.start_container(&c.rec)?;
            progress::container(&c.rec.name, "Started");
        }
        Ok(())
    }
}
