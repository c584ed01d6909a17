//! `checkpoint`: saves a running container's processes with CRIU (`criu dump`) into an image
//! directory; unless asked to leave it running, the container is then stopped and deleted,
//! as runc does.

use std::path::{Path, PathBuf};

use super::Globals;
use crate::error::{Error, IoContext, Result};
use crate::state::{self, Status};
use crate::{criu, spec};

/// Options of `checkpoint` (runc's flags).
#[derive(Debug, Clone, Default)]
pub struct CheckpointOptions {
    /// Container id.
    pub id: String,
    /// Where the images go (runc's default: `./checkpoint`).
    pub image_path: Option<PathBuf>,
    /// Where criu's work files and log go (default: the image directory).
    pub work_path: Option<PathBuf>,
    /// Keep the container running after the dump.
    pub leave_running: bool,
    /// Dump established TCP connections.
    pub tcp_established: bool,
    /// Allow external unix sockets.
    pub ext_unix_sk: bool,
    /// Allow a process attached to a terminal outside the container.
    pub shell_job: bool,
    /// Dump file locks.
    pub file_locks: bool,
    /// The criu program (`--criu`), else `criu` on PATH.
    pub criu: Option<PathBuf>,
}

/// The image directory: the option, else `./checkpoint`.
pub fn image_dir(image_path: Option<&Path>) -> PathBuf {
    image_path.map_or_else(|| PathBuf::from("checkpoint"), Path::to_path_buf)
}

/// Flags both `criu dump` and `criu restore` take, from runc's boolean options.
pub fn shared_flags(tcp: bool, ext_unix: bool, shell_job: bool, file_locks: bool) -> Vec<String> {
    [
        (tcp, "--tcp-established"),
        (ext_unix, "--ext-unix-sk"),
        (shell_job, "--shell-job"),
        (file_locks, "--file-locks"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, f)| f.to_string())
    .collect()
}

/// Checkpoints container `id`.
pub fn checkpoint(g: &Globals, o: &CheckpointOptions) -> Result<()> {
    let st = state::load(&g.root, &o.id)?;
    let status = st.status(&state::dir(&g.root, &o.id));
    if !matches!(status, Status::Running | Status::Paused) {
        return Err(Error::BadState {
            id: o.id.clone(),
            status: status.to_string(),
            what: "only a running container can be checkpointed".into(),
        });
    }
    let program = criu::program(o.criu.as_deref())?;
    let images = image_dir(o.image_path.as_deref());
    let work = o.work_path.clone().unwrap_or_else(|| images.clone());
    for d in [&images, &work] {
        std::fs::create_dir_all(d).ctx(|| format!("create {}", d.display()))?;
    }
    let cspec = spec::load(&st.bundle)?;
    let mut args: Vec<String> = vec![
        "--tree".into(),
        st.pid.to_string(),
        "--images-dir".into(),
        images.display().to_string(),
        "--root".into(),
        st.rootfs.display().to_string(),
        "--manage-cgroups".into(),
    ];
    args.extend(criu::external_mounts(&cspec, false));
    args.extend(shared_flags(
        o.tcp_established,
        o.ext_unix_sk,
        o.shell_job,
        o.file_locks,
    ));
    if o.leave_running {
        args.push("--leave-running".into());
    }
    criu::run(&program, "dump", &args, &work, "dump.log")?;
    if !o.leave_running {
        super::delete::delete(g, &o.id, true)?;
    }
    Ok(())
}
