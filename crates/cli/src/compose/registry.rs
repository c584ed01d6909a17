//! `pull` and `push`: the services' images from and to their registries, with docker
//! compose's progress lines (` Image bb:1  Pulling`, ` Image bb:1  Pulled`) on standard
//! error, its skip rules (services without an `image:`, `pull_policy: never|build`,
//! `--policy missing` for images present, `--ignore-buildable`; `push` only pushes images
//! the project builds) and `--ignore-pull-failures` / `--ignore-push-failures`.

use std::collections::BTreeSet;

use anyhow::{anyhow, bail};
use berth_compose::model::{Project, Service};
use berth_engine::{Engine, Paths};

use super::args::{ProjectOptions, PullArgs, PushArgs};
use super::images::{image_id, pull as pull_image};
use super::{progress, project, up};
use crate::docker::registry::push_names;

/// How `pull` treats one service's image.
#[derive(Debug, PartialEq)]
enum PullAction {
    /// Pull it.
    Pull,
    /// Skip it, saying why.
    Skip(&'static str),
}

/// What `pull` does with `s` under `policy` (`--policy`, else the service's `pull_policy`)
/// when its image is `present` or not.
fn pull_action(
    s: &Service,
    policy: Option<&str>,
    present: bool,
    ignore_buildable: bool,
) -> PullAction {
    if s.image.is_none() {
        return PullAction::Skip("Skipped - No image to be pulled");
    }
    match policy.or(s.pull_policy.as_deref()) {
        Some("never" | "build") => return PullAction::Skip("Skipped"),
        Some("missing" | "if_not_present") if present => {
            return PullAction::Skip("Skipped - Image is already present locally")
        }
        _ => {}
    }
    if s.build.is_some() && ignore_buildable {
        return PullAction::Skip("Skipped - Image can be built");
    }
    PullAction::Pull
}

/// `pull`.
pub fn pull(paths: &Paths, o: &ProjectOptions, a: PullArgs) -> anyhow::Result<i32> {
    let policy = match a.policy.as_deref() {
        None => None,
        Some(p @ ("missing" | "always")) => Some(p),
        Some(p) => bail!("invalid --policy option {p:?}"),
    };
    let project = project::load(o, &a.services)?;
    let selected = up::selection(&project, &a.services, !a.include_deps)?;
    let mut e = Engine::open(paths.clone())?;
    let mut seen = BTreeSet::new();
    let mut must_build = Vec::new();
    let mut errors = Vec::new();
    for name in &selected {
        let Some(s) = project.services.get(name) else {
            continue;
        };
        let image = s.image_name(&project.name);
        let present = image_id(&e, &image).is_some();
        match pull_action(s, policy, present, a.ignore_buildable) {
            PullAction::Skip(why) => {
                if !a.quiet {
                    match s.image {
                        Some(_) => progress::event("Image", &image, why),
                        None => progress::event("Service", name, why),
                    }
                }
                continue;
            }
            PullAction::Pull => {}
        }
        if !seen.insert(image.clone()) {
            continue;
        }
        if !a.quiet {
            progress::event("Image", &image, "Pulling");
        }
        match pull_image(&mut e, &image, true) {
            Ok(()) => {
                if !a.quiet {
                    progress::event("Image", &image, "Pulled");
                }
            }
            Err(err) => {
                if !a.quiet {
                    progress::event("Image", &image, "Error");
                }
                if s.build.is_some() {
                    must_build.push(name.clone());
                } else if !a.ignore_pull_failures {
                    return Err(err);
                }
                if a.ignore_pull_failures {
                    progress::warn_line(&format!("{image}: {err:#}"));
                }
                errors.push(err);
            }
        }
    }
    if !must_build.is_empty() {
        eprintln!(
            "WARNING: Some service image(s) must be built from source by running:\n    docker compose build {}",
            must_build.join(" ")
        );
    }
    match errors.into_iter().next() {
        Some(err) if !a.ignore_pull_failures => Err(err),
        _ => Ok(0),
    }
}

/// The names `push` pushes for `s`: its image and its build's extra tags.
pub(super) fn push_tags(project: &Project, s: &Service) -> Vec<String> {
    let mut tags = vec![s.image_name(&project.name)];
    if let Some(b) = &s.build {
        tags.extend(b.tags.iter().cloned());
    }
    tags
}

/// Pushes `tag` with docker compose's progress lines (none when `quiet`).
pub(super) fn push_image(e: &mut Engine, tag: &str, quiet: bool) -> anyhow::Result<()> {
    if !quiet {
        progress::event("Image", tag, "Pushing");
    }
    match push_names(e, std::slice::from_ref(&tag.to_string()), true, true) {
        Ok(()) => {
            if !quiet {
                progress::event("Image", tag, "Pushed");
            }
            Ok(())
        }
        Err(err) => {
            if !quiet {
                progress::event("Image", tag, "Error");
            }
            Err(err)
        }
    }
}

/// `push`.
pub fn push(paths: &Paths, o: &ProjectOptions, a: PushArgs) -> anyhow::Result<i32> {
    let project = project::load(o, &a.services)?;
    let selected = up::selection(&project, &a.services, !a.include_deps)?;
    let mut e = Engine::open(paths.clone())?;
    for name in &selected {
        let s = project
            .services
            .get(name)
            .ok_or_else(|| anyhow!("no such service: {name}"))?;
        // As docker compose: only the images the project builds and names.
        if s.build.is_none() || s.image.is_none() {
            if !a.quiet {
                progress::event("Service", name, "Skipped");
            }
            continue;
        }
        for tag in push_tags(&project, s) {
            if let Err(err) = push_image(&mut e, &tag, a.quiet) {
                if !a.ignore_push_failures {
                    return Err(err);
                }
                progress::warn_line(&format!("Pushing {name}: {err:#}"));
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(image: Option<&str>, build: bool, policy: Option<&str>) -> Service {
        Service {
            name: "s".into(),
            image: image.map(String::from),
            build: build.then(Default::default),
            pull_policy: policy.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn pull_skips_as_compose_does() {
        use PullAction::*;
        assert_eq!(
            pull_action(&svc(None, true, None), None, false, false),
            Skip("Skipped - No image to be pulled")
        );
        assert_eq!(
            pull_action(&svc(Some("bb"), false, None), None, true, false),
            Pull
        );
        assert_eq!(
            pull_action(&svc(Some("bb"), false, None), Some("missing"), true, false),
            Skip("Skipped - Image is already present locally")
        );
        assert_eq!(
            pull_action(&svc(Some("bb"), false, None), Some("missing"), false, false),
            Pull
        );
        assert_eq!(
            pull_action(&svc(Some("bb"), false, Some("never")), None, false, false),
            Skip("Skipped")
        );
        assert_eq!(
            pull_action(
                &svc(Some("bb"), false, Some("never")),
                Some("always"),
                true,
                false
            ),
            Pull
        );
        assert_eq!(
            pull_action(&svc(Some("bb"), true, None), None, false, true),
            Skip("Skipped - Image can be built")
        );
    }
}
