//! `build [SERVICES]`: the images of the services that have a `build:` section (those named,
//! with their dependencies under `--with-dependencies`; all when none), with `--build-arg`,
//! `--no-cache`, `--pull` and `-q`; `--push` pushes each named image once built.

use berth_engine::{Engine, Paths};

use super::args::{BuildArgs, ProjectOptions};
use super::images::{self, BuildFlags};
use super::{project, registry, up};

/// `build`.
pub fn build(paths: &Paths, o: &ProjectOptions, a: BuildArgs) -> anyhow::Result<i32> {
    let project = project::load(o, &a.services)?;
    let selected = up::selection(&project, &a.services, !a.with_dependencies)?;
    let flags = BuildFlags {
        args: a.build_arg.clone(),
        no_cache: a.no_cache,
        pull: a.pull,
        quiet: a.quiet,
    };
    let mut e = Engine::open(paths.clone())?;
    for name in &selected {
        let Some(s) = project.services.get(name) else {
            continue;
        };
        if s.build.is_none() {
            continue;
        }
        images::build(&mut e, &project, s, &flags)?;
        if a.push && s.image.is_some() {
            for tag in registry::push_tags(&project, s) {
                registry::push_image(&mut e, &tag, a.quiet)?;
            }
        }
    }
    Ok(0)
}
