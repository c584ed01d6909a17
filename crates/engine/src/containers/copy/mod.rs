//! `cp`: files between a container (running or not) and the host or a tar stream, with
//! Docker's path rules. The container side is a [`view::View`] of its overlay rootfs with
//! its volumes and bind mounts on top (so a copy into a volume lands in the volume); both
//! directions move a tar stream from [`tar_out`] into [`extract`].

pub mod export;
pub mod extract;
pub mod stat;
pub mod tar_out;
pub mod view;

#[cfg(test)]
mod tests;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use self::extract::{extract, ExtractOptions};
use self::tar_out::write_tar;
use self::view::{split, MountPoint, Node, View};
use crate::containers::record::ContainerRecord;
use crate::containers::rootfs::{RootfsDirs, RootfsUse};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lock::Lock;

/// `cp`'s flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyOptions {
    /// `-a`: keep the source's uid/gid (else the container's root, or the caller on the host).
    pub archive: bool,
    /// `-L`: follow a symlink named as the source.
    pub follow_link: bool,
}

/// Where `cp` reads from on the host side.
pub enum HostSource<'a> {
    /// A host path.
    Path(&'a Path),
    /// A tar stream (`-`), extracted into the destination directory.
    Tar(&'a mut dyn Read),
}

/// Where `cp` writes to on the host side.
pub enum HostTarget<'a> {
    /// A host path.
    Path(&'a Path),
    /// A tar stream (`-`).
    Tar(&'a mut dyn Write),
}

/// The container's rootfs, mounted for the copy when it was not (and unmounted after, when
/// the container is still stopped), and the container's lock against a concurrent `rm`.
struct Rootfs<'a> {
    _use: RootfsUse<'a>,
    _lock: Lock,
}

impl Engine {
    /// `cp CONTAINER:SRC DEST`: copies `src` out of the container.
    pub fn copy_from_container(
        &self,
        r: &ContainerRecord,
        src: &str,
        target: HostTarget<'_>,
        opts: CopyOptions,
    ) -> Result<()> {
        let (view, _rootfs) = self.container_view(r)?;
        let (node, base, contents) = source_node(&view, src, opts.follow_link)?;
        let src_st = node.stat().map_err(|e| view.err("stat", &node.comps, e))?;
        let src_dir = FileType::from_raw_mode(src_st.st_mode) == FileType::Directory;
        let dest = match target {
            HostTarget::Tar(w) => {
                return write_tar(&view, &node, if contents { "." } else { &base }, w)
            }
            HostTarget::Path(p) => p,
        };
        let (dir, name) = host_destination(dest, src_dir, contents, &base)?;
        let host = View::open(&dir, false, Vec::new())?;
        let owner = if opts.archive {
            None
        } else {
            Some((
                rustix::process::geteuid().as_raw(),
                rustix::process::getegid().as_raw(),
            ))
        };
        pipe(
            |w| write_tar(&view, &node, &name, w),
            |rd| extract(&host, &[], rd, &ExtractOptions { owner }),
        )
    }

    /// `cp SRC CONTAINER:DEST`: copies into the container.
    pub fn copy_to_container(
        &self,
        r: &ContainerRecord,
        source: HostSource<'_>,
        dest: &str,
        opts: CopyOptions,
    ) -> Result<()> {
        let (view, _rootfs) = self.container_view(r)?;
        let owner = if opts.archive { None } else { Some((0, 0)) };
        let xo = ExtractOptions { owner };
        let path = match source {
            HostSource::Tar(rd) => {
                let node = view.resolve(dest.as_bytes(), true, false)?;
                match node.stat() {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {}
                    Ok(_) => {
                        return Err(Error::Invalid(format!(
                            "extraction point is not a directory: {dest}"
                        )))
                    }
                    Err(_) => {
                        return Err(Error::Invalid(format!(
                            "Could not find the file {dest} in container {}",
                            r.name
                        )))
                    }
                }
                return extract(&view, &node_comps(&node), rd, &xo);
            }
            HostSource::Path(p) => p,
        };
        let abs = std::path::absolute(path).map_err(|e| Error::Io {
            what: "resolve",
            path: path.to_path_buf(),
            source: e,
        })?;
        let host = View::open(Path::new("/"), true, Vec::new())?;
        let (node, base, contents) = source_node(&host, &abs_str(&abs, path), opts.follow_link)
            .map_err(|e| not_found_on_host(e, path))?;
        let st = node.stat().map_err(|e| host.err("stat", &node.comps, e))?;
        let src_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        let (dir_comps, name) = container_destination(&view, dest, src_dir, contents, &base)?;
        pipe(
            |w| write_tar(&host, &node, &name, w),
            |rd| extract(&view, &dir_comps, rd, &xo),
        )
    }

    /// The container's filesystem as it sees it (rootfs mounted if needed, mounts on top).
    fn container_view<'a>(&'a self, r: &'a ContainerRecord) -> Result<(View, Rootfs<'a>)> {
        let ctr_dir = self.paths.container(&r.id);
        let lock = Lock::shared(&self.paths.locks(), &r.id)?;
        let merged = RootfsDirs::of(&ctr_dir).merged;
        let rootfs = Rootfs {
            _use: self.use_container_rootfs(r)?,
            _lock: lock,
        };
        let mounts = r
            .mounts
            .iter()
            .filter(|m| m.kind != "tmpfs" && !m.source.is_empty())
            .map(|m| MountPoint {
                at: clean(&m.destination),
                source: PathBuf::from(&m.source),
                read_only: !m.rw,
            })
            .collect();
        let ro = r.host_config["ReadonlyRootfs"].as_bool().unwrap_or(false);
        Ok((View::open(&merged, ro, mounts)?, rootfs))
    }
}

/// Resolves a `cp` source: (node, name for the tar's root, copy only the contents).
/// A trailing `/` or `/.` follows a final symlink and requires a directory.
fn source_node(view: &View, src: &str, follow: bool) -> Result<(Node, String, bool)> {
    let contents = src.ends_with("/.") || src == ".";
    let trailing = src.ends_with('/') || contents;
    let node = view.resolve(src.as_bytes(), follow || trailing, false)?;
    let st = node
        .stat()
        .map_err(|_| Error::Invalid(format!("Could not find the file {src} in container")))?;
    if trailing && FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Err(Error::Invalid(format!("{src}: not a directory")));
    }
    let base = split(src.as_bytes())
        .into_iter()
        .rev()
        .find(|c| c != b"." && c != b"..")
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .unwrap_or_else(|| ".".into());
    // `/` itself, or a path ending in `..`, has no name: copy its contents.
    let contents = contents || base == "." || src.trim_end_matches('/').ends_with("..");
    Ok((node, base, contents))
}

/// Where a copy out lands on the host: (directory to extract into, name of the copy).
fn host_destination(
    dest: &Path,
    src_dir: bool,
    contents: bool,
    base: &str,
) -> Result<(PathBuf, String)> {
    let text = dest.to_string_lossy();
    match std::fs::metadata(dest) {
        Ok(m) if m.is_dir() => Ok((
            dest.to_path_buf(),
            if contents {
                ".".into()
            } else {
                base.to_string()
            },
        )),
        Ok(_) if src_dir => Err(Error::Invalid(format!(
            "cannot copy a directory to a file: {text}"
        ))),
        Ok(_) | Err(_) if text.ends_with('/') && !src_dir => Err(Error::Invalid(format!(
            "destination directory {text} must exist"
        ))),
        _ => {
            let name = dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| Error::Invalid(format!("invalid destination {text}")))?;
            let parent = match dest.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !parent.is_dir() {
                return Err(Error::Invalid(format!(
                    "destination directory {} does not exist",
                    parent.display()
                )));
            }
            Ok((parent, name))
        }
    }
}

/// Where a copy in lands in the container: (directory components, name of the copy).
fn container_destination(
    view: &View,
    dest: &str,
    src_dir: bool,
    contents: bool,
    base: &str,
) -> Result<(Vec<Vec<u8>>, String)> {
    let node = view.resolve(dest.as_bytes(), true, false)?;
    match node.stat() {
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Ok((
            node_comps(&node),
            if contents {
                ".".into()
            } else {
                base.to_string()
            },
        )),
        Ok(_) if src_dir => Err(Error::Invalid(format!(
            "cannot copy a directory to a file: {dest}"
        ))),
        Ok(_) => Ok(name_in_parent(&node)),
        Err(_) if dest.ends_with('/') && !src_dir => Err(Error::Invalid(format!(
            "destination directory {dest} must exist in the container"
        ))),
        Err(_) => {
            let (parent, name) = name_in_parent(&node);
            view.dir(parent.clone(), false).map_err(|_| {
                Error::Invalid(format!("no such directory in the container for {dest}"))
            })?;
            Ok((parent, name))
        }
    }
}

/// A named node's parent components and name.
fn name_in_parent(node: &Node) -> (Vec<Vec<u8>>, String) {
    let mut comps = node.comps.clone();
    let name = comps
        .pop()
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .unwrap_or_else(|| ".".into());
    (comps, name)
}

/// The node's full components (a directory reached as a whole has them already).
fn node_comps(node: &Node) -> Vec<Vec<u8>> {
    node.comps.clone()
}

/// A mount destination as components (`..` and `.` resolved lexically).
fn clean(path: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for c in split(path.as_bytes()) {
        match c.as_slice() {
            b"." => {}
            b".." => {
                out.pop();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The absolute form of a host path, keeping a trailing `/` or `/.` the user typed.
fn abs_str(abs: &Path, given: &Path) -> String {
    let mut s = abs.to_string_lossy().into_owned();
    let g = given.to_string_lossy();
    if g.ends_with("/.") && !s.ends_with("/.") {
        s.push_str("/.");
    } else if g.ends_with('/') && !s.ends_with('/') {
        s.push('/');
    }
    s
}

fn not_found_on_host(e: Error, path: &Path) -> Error {
    match e {
        Error::Invalid(m) if m.starts_with("Could not find") => Error::Invalid(format!(
            "lstat {}: no such file or directory",
            path.display()
        )),
        e => e,
    }
}

/// Runs `produce` (writing a tar) on a thread and `consume` on this one, joined by a pipe.
fn pipe(
    produce: impl FnOnce(&mut dyn Write) -> Result<()> + Send,
    consume: impl FnOnce(&mut dyn Read) -> Result<()>,
) -> Result<()> {
    let (mut rd, mut wr) = std::io::pipe().map_err(|e| Error::Io {
        what: "create",
        path: "pipe".into(),
        source: e,
    })?;
    std::thread::scope(|s| {
        let producer = s.spawn(move || produce(&mut wr));
        let consumed = consume(&mut rd);
        drop(rd);
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(Error::Invalid("the tar writer panicked".into())));
        consumed.and(produced)
    })
}
