//! `restore`: recreates a container from a `checkpoint` image with CRIU (`criu restore`),
//! under a new state entry for the bundle's configuration; the restored processes run at
//! once (there is no `start`).

use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

use nix::sys::signal::SigSet;

use super::checkpoint::{image_dir, shared_flags};
use super::create::write_pid_file;
use super::run::{forwarding_mask, wait_forwarding};
use super::{delete, Globals};
use crate::cgroups::CgroupManager;
use crate::error::{Error, IoContext, Result};
use crate::hooks::{self, Kind};
use crate::state::{self, ContainerState};
use crate::{criu, spec};

/// Options of `restore` (runc's flags).
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Container id for the restored container.
    pub id: String,
    /// Bundle directory (its config.json and rootfs).
    pub bundle: PathBuf,
    /// Where the images are (runc's default: `./checkpoint`).
    pub image_path: Option<PathBuf>,
    /// Where criu's work files and log go (default: the image directory).
    pub work_path: Option<PathBuf>,
    /// Return once restored instead of waiting for the container.
    pub detach: bool,
    /// Where to write the restored init's pid.
    pub pid_file: Option<PathBuf>,
    /// Restore established TCP connections.
    pub tcp_established: bool,
    /// Allow external unix sockets.
    pub ext_unix_sk: bool,
    /// Allow a shell job.
    pub shell_job: bool,
    /// Restore file locks.
    pub file_locks: bool,
    /// The criu program (`--criu`), else `criu` on PATH.
    pub criu: Option<PathBuf>,
}

/// Restores container `id`; returns its exit code when not detached (else 0).
pub fn restore(g: &Globals, o: &RestoreOptions) -> Result<i32> {
    state::validate_id(&o.id)?;
    let program = criu::program(o.criu.as_deref())?;
    let images = image_dir(o.image_path.as_deref());
    if !images.is_dir() {
        return Err(Error::Criu(format!(
            "no checkpoint image directory {}",
            images.display()
        )));
    }
    let work = o.work_path.clone().unwrap_or_else(|| images.clone());
    let bundle =
        std::fs::canonicalize(&o.bundle).ctx(|| format!("bundle {}", o.bundle.display()))?;
    let cspec = spec::load(&bundle)?;
    let rootfs = spec::rootfs_path(&cspec, &bundle)?;
    std::fs::create_dir_all(&g.root).ctx(|| format!("create state root {}", g.root.display()))?;
    let dir = state::dir(&g.root, &o.id);
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Exists(o.id.clone()))
        }
        Err(e) => return Err(e).ctx(|| format!("create {}", dir.display())),
    }
    let linux = cspec.linux().as_ref();
    let cgroups_path = linux
        .and_then(|l| l.cgroups_path().as_ref())
        .map(|p| p.to_string_lossy().into_owned());
    let cgroup = CgroupManager::new(cgroups_path.as_deref(), &o.id)?;
    let mut st = new_state(&o.id, &bundle, &rootfs, &cspec, &cgroup);
    let pid_path = dir.join("restore.pid");
    let args = criu_args(
        o,
        &cspec,
        &images,
        &rootfs,
        &pid_path,
        cgroups_path.as_deref(),
    );
    let mask = if o.detach {
        SigSet::empty()
    } else {
        // The restored tree is re-parented to us when criu exits, so we can wait for it.
        nix::sys::prctl::set_child_subreaper(true).ctx(|| "become a subreaper".into())?;
        forwarding_mask()
    };
    mask.thread_block().ctx(|| "block signals".into())?;
    let restored = (|| {
        state::save(&g.root, &st)?;
        criu::run(&program, "restore", &args, &work, "restore.log")?;
        let text = std::fs::read_to_string(&pid_path).ctx(|| "read criu's pid file".into())?;
        let pid: i32 = text
            .trim()
            .parse()
            .map_err(|_| Error::Criu(format!("criu's pid file says {text:?}")))?;
        st.pid = pid;
        st.pid_start_time = state::start_time(pid).unwrap_or(0);
        state::save(&g.root, &st)?;
        if let Some(pf) = &o.pid_file {
            write_pid_file(pf, pid)?;
        }
        Ok(pid)
    })();
    let pid = match restored {
        Ok(pid) => pid,
        Err(e) => {
            let _ = mask.thread_unblock();
            let _ = cgroup.destroy();
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    if o.detach {
        return Ok(0);
    }
    let code = wait_forwarding(pid, &mask);
    let _ = mask.thread_unblock();
    delete::delete(g, &o.id, true)?;
    code
}

/// The state of the container being restored (pid 0 until criu has restored it).
fn new_state(
    id: &str,
    bundle: &Path,
    rootfs: &Path,
    cspec: &Spec,
    cgroup: &CgroupManager,
) -> ContainerState {
    ContainerState {
        id: id.to_string(),
        bundle: bundle.to_path_buf(),
        rootfs: rootfs.to_path_buf(),
        pid: 0,
        pid_start_time: 0,
        created: state::now_rfc3339(),
        annotations: cspec.annotations().clone().unwrap_or_default(),
        cgroup: cgroup.paths.clone(),
        poststop: hooks::of(cspec, Kind::Poststop),
        poststart: hooks::of(cspec, Kind::Poststart),
        owner: nix::unistd::geteuid().as_raw(),
        own_pid_namespace: spec::has_namespace(cspec, oci_spec::runtime::LinuxNamespaceType::Pid),
    }
}

/// `criu restore`'s arguments (besides the work dir and log, which [`criu::run`] adds).
fn criu_args(
    o: &RestoreOptions,
    cspec: &Spec,
    images: &Path,
    rootfs: &Path,
    pid_path: &Path,
    cgroups_path: Option<&str>,
) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--images-dir".into(),
        images.display().to_string(),
        "--root".into(),
        rootfs.display().to_string(),
        "--restore-detached".into(),
        "--pidfile".into(),
        pid_path.display().to_string(),
        "--manage-cgroups".into(),
    ];
    if let Some(p) = cgroups_path {
        args.extend(["--cgroup-root".into(), p.to_string()]);
    }
    args.extend(criu::external_mounts(cspec, true));
    args.extend(shared_flags(
        o.tcp_established,
        o.ext_unix_sk,
        o.shell_job,
        o.file_locks,
    ));
    args
}
