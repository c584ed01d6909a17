//! docker compose's names and `com.docker.compose.*` labels, and finding a project's
//! containers by them.

use berth_engine::containers::{ContainerRecord, State};
use berth_engine::Engine;

/// The project a container, network or volume belongs to.
pub const PROJECT: &str = "com.docker.compose.project";
/// The service a container runs.
pub const SERVICE: &str = "com.docker.compose.service";
/// The replica number (from 1).
pub const NUMBER: &str = "com.docker.compose.container-number";
/// `True` for `run` containers.
pub const ONEOFF: &str = "com.docker.compose.oneoff";
/// The service's configuration hash the container was made from.
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// The project directory.
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
/// The compose files, comma-separated.
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
/// The service's dependencies, `name:condition:restart` comma-separated.
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// The image ID the container was made from.
pub const IMAGE: &str = "com.docker.compose.image";
/// The compose version that made it.
pub const VERSION: &str = "com.docker.compose.version";
/// The network's key in the compose file.
pub const NETWORK: &str = "com.docker.compose.network";
/// The volume's key in the compose file.
pub const VOLUME: &str = "com.docker.compose.volume";

/// The compose version berth reports (in labels and `compose version`).
pub const COMPOSE_VERSION: &str = "2.32.0";

/// `<project>-<service>-<n>`, docker compose v2's container name.
pub fn container_name(project: &str, service: &str, number: u32) -> String {
    format!("{project}-{service}-{number}")
}

/// A container of a project, with what its labels say.
#[derive(Clone)]
pub struct ProjectContainer {
    /// Its record.
    pub rec: ContainerRecord,
    /// Its state now.
    pub state: State,
    /// The service.
    pub service: String,
    /// The replica number (0 when the label is missing).
    pub number: u32,
    /// Made by `compose run`.
    pub oneoff: bool,
}

impl ProjectContainer {
    /// The value of label `key`, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        label(&self.rec, key)
    }

    /// Running or paused.
    pub fn is_running(&self) -> bool {
        self.state.is_running() || self.state.status == "restarting"
    }
}

/// The value of label `key` of container `r`.
pub fn label<'a>(r: &'a ContainerRecord, key: &str) -> Option<&'a str> {
    r.config["Labels"][key].as_str()
}

/// The containers of `project` (`run` containers too when `oneoff`), by service and number.
pub fn project_containers(
    e: &Engine,
    project: &str,
    oneoff: bool,
) -> anyhow::Result<Vec<ProjectContainer>> {
    let mut out: Vec<ProjectContainer> = e
        .containers()?
        .into_iter()
        .filter(|(r, _)| label(r, PROJECT) == Some(project))
        .map(|(rec, state)| {
            let service = label(&rec, SERVICE).unwrap_or_default().to_string();
            let number = label(&rec, NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let is_oneoff = label(&rec, ONEOFF) == Some("True");
            ProjectContainer {
                rec,
                state,
                service,
                number,
                oneoff: is_oneoff,
            }
        })
        .filter(|c| oneoff || !c.oneoff)
        .collect();
    out.sort_by(|a, b| {
        (a.service.as_str(), a.number, a.rec.name.as_str()).cmp(&(
            b.service.as_str(),
            b.number,
            b.rec.name.as_str(),
        ))
    });
    Ok(out)
}

/// The project's containers of `services` (all when empty).
pub fn service_containers(
    e: &Engine,
    project: &str,
    services: &[String],
    oneoff: bool,
) -> anyhow::Result<Vec<ProjectContainer>> {
    let mut list = project_containers(e, project, oneoff)?;
    if !services.is_empty() {
        list.retain(|c| services.contains(&c.service));
    }
    Ok(list)
}
