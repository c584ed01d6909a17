//! `run SERVICE [COMMAND...]`: a one-off container of a service, named
//! `<project>-<service>-run-<12 hex>` (or `--name`) and labelled `oneoff=True`. It has the
//! service's configuration with the command line's overrides (command, `--entrypoint`,
//! `-e`, `-l`, `-u`, `-w`, `-v`, `-p`), no restart policy, and the service's ports only
//! with `--service-ports`. Its dependencies are brought up first as `up -d` would (unless
//! `--no-deps`). Attached, its stdio is relayed and its exit code returned; `-d` prints its
//! name; `--rm` removes it once it exited.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{anyhow, bail, Context};
use berth_compose::model::{shell_split, Project, Service};
use berth_engine::spec::parse::{parse_env, parse_env_file, parse_volume};
use berth_engine::spec::{NetworkMode, RunOptions};
use berth_engine::{Engine, Paths};

use super::args::{ProjectOptions, RunArgs};
use super::converge::{self, ConvergeOptions};
use super::images::{self, EnsureFlags};
use super::{convert, exec, project, resources, up};

/// docker compose's label with the one-off container's random ID.
const SLUG: &str = "com.docker.compose.slug";

/// A random 64-hex-digit ID (docker's `stringid.GenerateRandomID`).
fn random_id() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("read /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `<project>-<service>-run-<first 12 digits of slug>`.
pub fn oneoff_name(project: &str, service: &str, slug: &str) -> String {
    format!("{project}-{service}-run-{}", &slug[..slug.len().min(12)])
}

/// The service as the one-off container runs it: `a`'s overrides applied, no restart policy,
/// ports only with `--service-ports`.
fn overridden(s: &Service, a: &RunArgs, tty: bool) -> anyhow::Result<Service> {
    let mut s = s.clone();
    s.tty = tty;
    s.stdin_open = a.interactive;
    s.restart = None;
    if let Some(d) = s.deploy.as_mut() {
        d.restart_policy = None;
    }
    if !a.service_ports {
        s.ports.clear();
    }
    if !a.command.is_empty() {
        s.command = Some(a.command.clone());
    }
    if let Some(ep) = &a.entrypoint {
        s.entrypoint =
            Some(shell_split(ep).map_err(|e| anyhow!("invalid --entrypoint {ep:?}: {e}"))?);
        if a.command.is_empty() {
            s.command = Some(Vec::new());
        }
    }
    if let Some(u) = &a.user {
        s.user = Some(u.clone());
    }
    if let Some(w) = &a.workdir {
        s.working_dir = Some(w.clone());
    }
    let lookup = |k: &str| project::variable(k);
    let mut env = Vec::new();
    for f in &a.env_from_file {
        env.extend(parse_env_file(f, lookup)?);
    }
    for v in &a.env {
        env.extend(parse_env(v, lookup)?);
    }
    for kv in env {
        let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
        s.environment.insert(k.to_string(), v.to_string());
    }
    for l in &a.label {
        let (k, v) = l
            .split_once('=')
            .ok_or_else(|| anyhow!("label must be set as KEY=VALUE"))?;
        s.labels.insert(k.to_string(), v.to_string());
    }
    Ok(s)
}

/// Creates the dependencies of `service` (images, networks, volumes, containers) and starts
/// them as `up -d` would, then waits for the conditions `service` has on them.
fn bring_up_dependencies(
    paths: &Paths,
    project: &Project,
    service: &str,
    a: &RunArgs,
) -> anyhow::Result<()> {
    let deps: Vec<String> = up::selection(project, &[service.to_string()], false)?
        .into_iter()
        .filter(|d| d != service)
        .collect();
    if deps.is_empty() {
        return Ok(());
    }
    let mut e = Engine::open(paths.clone())?;
    let flags = EnsureFlags {
        build: a.build,
        no_build: false,
        pull: a.pull.clone(),
    };
    let ids = images::ensure(&mut e, project, &deps, &flags)?;
    resources::ensure_networks(paths, project, &resources::used_networks(project, &deps))?;
    resources::ensure_volumes(&e, project, &resources::used_volumes(project, &deps))?;
    drop(e);
    converge::converge(paths, project, &deps, &ids, &ConvergeOptions::default())?;
    let e = Engine::open(paths.clone())?;
    if let Some(s) = project.services.get(service) {
        for (dep, d) in &s.depends_on {
            if deps.contains(dep) {
                converge::wait_condition(&e, project, dep, &d.condition)?;
            }
        }
    }
    Ok(())
}

/// The run options of the one-off container `name` of `s` (already overridden), labelled
/// `lbls`.
fn run_options(
    paths: &Paths,
    project: &Project,
    s: &Service,
    name: &str,
    lbls: BTreeMap<String, String>,
    a: &RunArgs,
) -> anyhow::Result<convert::ContainerPlan> {
    let dir = converge::files_dir(paths, &project.name);
    let mut plan = convert::plan(project, s, name, lbls, &dir)?;
    let o: &mut RunOptions = &mut plan.opts;
    for v in &a.volume {
        let m = parse_volume(v)?;
        o.mounts
            .retain(|x| x.target.trim_end_matches('/') != m.target.trim_end_matches('/'));
        o.mounts.push(m);
    }
    if matches!(o.network, NetworkMode::Default | NetworkMode::Named(_)) {
        o.publish.extend(a.publish.iter().cloned());
    }
    o.rm = a.rm;
    o.detach = a.detach;
    o.console_size = if o.tty {
        crate::docker::run::window_size()
    } else {
        None
    };
    if !a.use_aliases {
        o.network_aliases.clear();
        for n in &mut plan.extra_networks {
            n.aliases.clear();
        }
    }
    Ok(plan)
}

/// `run`.
pub fn run(paths: &Paths, o: &ProjectOptions, a: RunArgs) -> anyhow::Result<i32> {
    if a.service_ports && !a.publish.is_empty() {
        bail!("--service-ports and --publish are incompatible");
    }
    let project = project::load(o, std::slice::from_ref(&a.service))?;
    let original = project
        .services
        .get(&a.service)
        .ok_or_else(|| anyhow!("no such service: {}", a.service))?
        .clone();
    {
        let e = Engine::open(paths.clone())?;
        up::orphans(&e, &project, a.remove_orphans, None)?;
    }
    if !a.no_deps {
        bring_up_dependencies(paths, &project, &a.service, &a)?;
    }
    let mut e = Engine::open(paths.clone())?;
    let flags = EnsureFlags {
        build: a.build,
        no_build: false,
        pull: a.pull.clone(),
    };
    let image_id = images::ensure(&mut e, &project, std::slice::from_ref(&a.service), &flags)?
        .remove(&a.service)
        .ok_or_else(|| anyhow!("service {}: no image", a.service))?;
    let mine = std::slice::from_ref(&a.service);
    resources::ensure_networks(paths, &project, &resources::used_networks(&project, mine))?;
    resources::ensure_volumes(&e, &project, &resources::used_volumes(&project, mine))?;

    let tty = exec::wants_tty(a.no_tty);
    let s = overridden(&original, &a, tty)?;
    let slug = random_id()?;
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| oneoff_name(&project.name, &a.service, &slug));
    let hash = project.config_hash(&original.name);
    let mut lbls = convert::container_labels(&project, &s, 1, true, &hash, &image_id);
    lbls.insert(SLUG.to_string(), slug);
    let plan = run_options(paths, &project, &s, &name, lbls, &a)?;
    let r = e.create_container_to_start(&s.image_name(&project.name), &plan.opts)?;
    for n in &plan.extra_networks {
        if let Err(err) = e.connect_network(&n.name, &r.id, &n.aliases, n.ip.as_deref()) {
            let _ = e.remove_container(&r, true, true);
            return Err(err.into());
        }
    }
    let r = e.container(&r.id)?;
    if a.detach {
        e.start_container(&r)?;
        println!("{}", r.name);
        return Ok(0);
    }
    let code = match e.spawn_monitor(&r) {
        Ok(_) => crate::docker::run::attach_and_start(&e, &r, a.interactive, true, None),
        Err(err) => Err(err.into()),
    };
    // Removed once it exited (not when the user detached from it).
    if a.rm && !matches!(code, Ok(None)) {
        let _ = e.remove_container(&r, true, true);
    }
    Ok(code?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oneoff_names_take_twelve_digits() {
        let slug = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(oneoff_name("p", "web", slug), "p-web-run-0123456789ab");
        let id = random_id().unwrap();
        assert_eq!(id.len(), 64);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn overrides_apply_to_the_service() {
        let mut s = Service {
            name: "tool".into(),
            restart: Some("always".into()),
            command: Some(vec!["echo".into(), "x".into()]),
            ..Default::default()
        };
        s.environment.insert("A".into(), "1".into());
        s.ports
            .extend(berth_compose::model::parse_port_spec("8080:80").unwrap());
        let a = RunArgs {
            service: "tool".into(),
            entrypoint: Some("/bin/sh -c".into()),
            env: vec!["B=2".into(), "A=3".into()],
            label: vec!["k=v".into()],
            user: Some("1000".into()),
            interactive: true,
            ..Default::default()
        };
        let o = overridden(&s, &a, false).unwrap();
        assert_eq!(o.restart, None);
        assert!(o.ports.is_empty());
        assert_eq!(
            o.entrypoint,
            Some(vec!["/bin/sh".to_string(), "-c".to_string()])
        );
        assert_eq!(o.command, Some(Vec::new()));
        assert_eq!(o.environment["A"], "3");
        assert_eq!(o.environment["B"], "2");
        assert_eq!(o.labels["k"], "v");
        assert_eq!(o.user.as_deref(), Some("1000"));
        let a = RunArgs {
            service_ports: true,
            command: vec!["true".into()],
            label: vec!["bad".into()],
            ..Default::default()
        };
        assert!(overridden(&s, &a, false).is_err());
        let a = RunArgs {
            service_ports: true,
            command: vec!["true".into()],
            ..Default::default()
        };
        let o = overridden(&s, &a, false).unwrap();
        assert_eq!(o.ports.len(), 1);
        assert_eq!(o.command, Some(vec!["true".to_string()]));
    }
}
