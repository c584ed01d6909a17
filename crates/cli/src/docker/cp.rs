//! `cp`: copy files between a container and the host (or a tar stream on stdin/stdout),
//! with Docker's argument forms: `CONTAINER:SRC DEST`, `SRC CONTAINER:DEST`, `-`.

use std::io::{self, Write};
use std::path::Path;

use berth_engine::containers::copy::{CopyOptions, HostSource, HostTarget};

use super::args::{CpArgs, Globals};
use super::engine;

/// One side of a `cp`: a container path or a host path.
#[derive(Debug, PartialEq)]
enum Side<'a> {
    Container(&'a str, &'a str),
    Host(&'a str),
}

/// Docker's rule: a path starting with `/` or `.` is local; else `NAME:PATH` names a
/// container path, and anything without a colon is local.
fn side(arg: &str) -> Side<'_> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return Side::Host(arg);
    }
    match arg.split_once(':') {
        Some((c, p)) if !c.is_empty() => Side::Container(c, p),
        _ => Side::Host(arg),
    }
}

/// `cp`.
pub fn cp(g: &Globals, a: CpArgs) -> anyhow::Result<i32> {
    let opts = CopyOptions {
        archive: a.archive,
        follow_link: a.follow_link,
    };
    match (side(&a.source), side(&a.destination)) {
        (Side::Container(..), Side::Container(..)) => {
            anyhow::bail!("copying between containers is not supported")
        }
        (Side::Host(_), Side::Host(_)) => {
            anyhow::bail!("must specify at least one container source")
        }
        (Side::Container(c, src), Side::Host(dest)) => {
            let e = engine(g)?;
            let r = e.container(c)?;
            let src = if src.is_empty() { "/" } else { src };
            if dest == "-" {
                let mut out = io::stdout().lock();
                e.copy_from_container(&r, src, HostTarget::Tar(&mut out), opts)?;
                out.flush()?;
            } else {
                e.copy_from_container(&r, src, HostTarget::Path(Path::new(dest)), opts)?;
            }
        }
        (Side::Host(src), Side::Container(c, dest)) => {
            let e = engine(g)?;
            let r = e.container(c)?;
            let dest = if dest.is_empty() { "/" } else { dest };
            if src == "-" {
                let mut input = io::stdin().lock();
                e.copy_to_container(&r, HostSource::Tar(&mut input), dest, opts)?;
            } else {
                e.copy_to_container(&r, HostSource::Path(Path::new(src)), dest, opts)?;
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_follow_docker() {
        assert_eq!(side("c1:/etc"), Side::Container("c1", "/etc"));
        assert_eq!(side("/tmp/a:b"), Side::Host("/tmp/a:b"));
        assert_eq!(side("./x:y"), Side::Host("./x:y"));
        assert_eq!(side("file"), Side::Host("file"));
        assert_eq!(side("-"), Side::Host("-"));
        assert_eq!(side(":x"), Side::Host(":x"));
    }
}
