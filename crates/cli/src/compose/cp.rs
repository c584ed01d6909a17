//! `cp`: files between a service's containers and the host, as docker compose copies them:
//! `SERVICE:SRC DEST` copies out of the service's first container (or replica `--index`),
//! `SRC SERVICE:DEST` into every container of the service (or replica `--index`; run
//! containers too with `--all`). `-` is a tar stream on standard input or output; `-a`
//! keeps the uid/gid, `-L` follows a symlink named as the source.

use std::io::{self, Write};
use std::path::Path;

use anyhow::bail;
use berth_engine::containers::copy::{CopyOptions, HostSource, HostTarget};
use berth_engine::{Engine, Paths};

use super::args::{CpArgs, ProjectOptions};
use super::labels::{self, ProjectContainer};
use super::ps::project_name;
use super::{exec, progress};

/// docker compose's `splitCpArg`: an absolute path is local; else `SERVICE:PATH` names a
/// service path, unless there is no colon or the part before it starts with `.`.
fn split_arg(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((svc, path)) if !svc.starts_with('.') => (Some(svc), path),
        _ => (None, arg),
    }
}

/// The containers a copy touches (see the module doc).
fn targets(
    e: &Engine,
    project: &str,
    service: &str,
    a: &CpArgs,
    from: bool,
) -> anyhow::Result<Vec<ProjectContainer>> {
    if let Some(i) = a.index.filter(|i| *i > 0) {
        return Ok(vec![exec::target(e, project, service, Some(i), false)?]);
    }
    let mut list = labels::service_containers(e, project, &[service.to_string()], a.all && !from)?;
    if list.is_empty() {
        bail!("no container found for service {service:?}");
    }
    if from {
        list.truncate(1);
    }
    Ok(list)
}

/// `cp`.
pub fn cp(paths: &Paths, o: &ProjectOptions, a: CpArgs) -> anyhow::Result<i32> {
    let (src_svc, src) = split_arg(&a.source);
    let (dst_svc, dst) = split_arg(&a.destination);
    let opts = CopyOptions {
        archive: a.archive,
        follow_link: a.follow_link,
    };
    let (service, from) = match (src_svc, dst_svc) {
        (Some(_), Some(_)) => bail!("copying between services is not supported"),
        (None, None) => bail!("unknown copy direction"),
        (Some(s), None) => {
            if a.all {
                bail!("cannot use the --all flag when copying from a service");
            }
            (s, true)
        }
        (None, Some(s)) => (s, false),
    };
    let name = project_name(o)?;
    let e = Engine::open(paths.clone())?;
    for c in targets(&e, &name, service, &a, from)? {
        let cname = &c.rec.name;
        let msg = if from {
            format!("copy {cname}:{src} to {dst}")
        } else {
            format!("copy {src} to {cname}:{dst}")
        };
        progress::event(cname, &msg, "Copying");
        if from {
            let src = if src.is_empty() { "/" } else { src };
            if dst == "-" {
                let mut out = io::stdout().lock();
                e.copy_from_container(&c.rec, src, HostTarget::Tar(&mut out), opts)?;
                out.flush()?;
            } else {
                e.copy_from_container(&c.rec, src, HostTarget::Path(Path::new(dst)), opts)?;
            }
        } else {
            let dst = if dst.is_empty() { "/" } else { dst };
            if src == "-" {
                let mut input = io::stdin().lock();
                e.copy_to_container(&c.rec, HostSource::Tar(&mut input), dst, opts)?;
            } else {
                e.copy_to_container(&c.rec, HostSource::Path(Path::new(src)), dst, opts)?;
            }
        }
        progress::event(cname, &msg, "Copied");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_split_as_compose() {
        assert_eq!(split_arg("web:/etc/hosts"), (Some("web"), "/etc/hosts"));
        assert_eq!(split_arg("/tmp/a:b"), (None, "/tmp/a:b"));
        assert_eq!(split_arg("./x:y"), (None, "./x:y"));
        assert_eq!(split_arg("file"), (None, "file"));
        assert_eq!(split_arg("-"), (None, "-"));
        assert_eq!(split_arg("web:"), (Some("web"), ""));
    }
}
