//! Loading the project a `compose` command works on: the files, `.env`, profiles
//! (`--profile` and `COMPOSE_PROFILES`), warnings printed as docker compose prints them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use berth_compose::load::{load_with_warnings, LoadOptions};
use berth_compose::loaded::Loaded;
use berth_compose::model::{project_for, Project};

use super::args::ProjectOptions;

/// The load options for the command line's project options.
fn load_options(o: &ProjectOptions) -> anyhow::Result<LoadOptions> {
    let stdin = if o.files.iter().any(|f| f.as_os_str() == "-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("read the compose file from standard input")?;
        Some(s)
    } else {
        None
    };
    let environment: BTreeMap<String, String> = std::env::vars().collect();
    Ok(LoadOptions {
        files: o.files.clone(),
        stdin,
        project_directory: o.project_directory.clone(),
        project_name: o.project_name.clone(),
        env_files: o.env_files.clone(),
        environment,
        working_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
    })
}

/// The active profiles: `--profile`, else `COMPOSE_PROFILES` (from the environment or `.env`).
fn profiles(o: &ProjectOptions, loaded: &Loaded) -> Vec<String> {
    if !o.profiles.is_empty() {
        return o.profiles.clone();
    }
    loaded
        .environment
        .get("COMPOSE_PROFILES")
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The interpolation environment of the loaded project (`.env` files under the process
/// environment): where `environment:`-sourced secrets and configs are read from.
static ENVIRONMENT: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();

/// The value of `name` in the loaded project's interpolation environment.
pub fn variable(name: &str) -> Option<String> {
    ENVIRONMENT
        .get()
        .and_then(|e| e.get(name).cloned())
        .or_else(|| std::env::var(name).ok())
}

/// Loads the project, enabling `services` named on the command line whatever their profiles.
pub fn load(o: &ProjectOptions, services: &[String]) -> anyhow::Result<Project> {
    let (loaded, warnings) = load_with_warnings(&load_options(o)?)?;
    for w in &warnings {
        super::progress::warn_line(w);
    }
    let project = project_for(&loaded, &profiles(o, &loaded), services)?;
    let _ = ENVIRONMENT.set(loaded.environment.clone());
    for w in &project.warnings {
        super::progress::warn_line(w);
    }
    Ok(project)
}

/// The project name alone, for commands that can work without a compose file (`down -p`,
/// `ps -p`, `logs -p`): from `-p` or `COMPOSE_PROJECT_NAME` when no file is found.
pub fn load_or_name(o: &ProjectOptions, services: &[String]) -> anyhow::Result<Option<Project>> {
    match load(o, services) {
        Ok(l) => Ok(Some(l)),
        Err(e) => {
            let no_file = e
                .downcast_ref::<berth_compose::Error>()
                .is_some_and(|e| matches!(e, berth_compose::Error::Invalid(m) if m.starts_with("no configuration file")));
            let named =
                o.project_name.is_some() || std::env::var_os("COMPOSE_PROJECT_NAME").is_some();
            if no_file && named {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// The project name from `-p` or `COMPOSE_PROJECT_NAME`, normalised.
pub fn name_only(o: &ProjectOptions) -> Option<String> {
    o.project_name
        .clone()
        .or_else(|| std::env::var("COMPOSE_PROJECT_NAME").ok())
        .map(|n| {
            n.to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                .collect()
        })
}
