//! `create`: sets up the container up to (not including) the user program, which waits for
//! `start`.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use berth_sys::CloneResult;
use nix::fcntl::{open, OFlag};
use nix::sys::signal::{kill, Signal};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use oci_spec::runtime::Spec;

use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, IoContext, Result};
use crate::hooks::{self, Kind};
use crate::init::{self, InitContext};
use crate::state::{self, ContainerState, Status, EXEC_FIFO};
use crate::sync::{self, Channel, Msg};
use crate::{capabilities, namespaces, seccomp, spec};

/// Options of `create` (runc's flags).
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// Container id.
    pub id: String,
    /// Bundle directory.
    pub bundle: PathBuf,
    /// Where to write the init's pid.
    pub pid_file: Option<PathBuf>,
    /// Unix socket to receive the pty master.
    pub console_socket: Option<PathBuf>,
    /// Use MS_MOVE + chroot instead of pivot_root.
    pub no_pivot: bool,
    /// Do not create a session keyring.
    pub no_new_keyring: bool,
    /// Extra fds (from 3) to pass to the process.
    pub preserve_fds: u32,
    /// The host's sd_notify socket (runc's CLI passes its `NOTIFY_SOCKET`): the container
    /// gets a socket of its own, proxied by `start` (see [`crate::notify`]).
    pub notify_socket: Option<String>,
}

/// The result of a successful create.
#[derive(Debug)]
pub struct Created {
    /// The container's state.
    pub state: ContainerState,
}

/// Creates a container. On any error everything done so far is undone.
pub fn create(g: &Globals, o: &CreateOptions) -> Result<Created> {
    state::validate_id(&o.id)?;
    let bundle =
        std::fs::canonicalize(&o.bundle).ctx(|| format!("bundle {}", o.bundle.display()))?;
    let mut spec = spec::load(&bundle)?;
    spec::validate(&spec, &bundle)?;
    crate::rootfs::absolutize_sources(&mut spec, &bundle);
    let rootfs = spec::rootfs_path(&spec, &bundle)?;
    std::fs::create_dir_all(&g.root).ctx(|| format!("create state root {}", g.root.display()))?;
    let dir = state::dir(&g.root, &o.id);
    match std::fs::create_dir(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Exists(o.id.clone()))
        }
        Err(e) => {
            return Err(Error::Io {
                what: format!("create {}", dir.display()),
                source: e,
            })
        }
    }
    let mut cleanup = Cleanup {
        dir: dir.clone(),
        cgroup: None,
        pid: None,
        poststop: None,
    };
    if o.notify_socket.is_some() {
        crate::notify::setup(&mut spec, &dir)?;
    }
    let listen_fds = crate::activation::listen_fds();
    crate::activation::add_env(&mut spec, listen_fds);
    crate::activation::check_open(3 + listen_fds, o.preserve_fds)?;
    let o = &CreateOptions {
        preserve_fds: listen_fds + o.preserve_fds,
        ..o.clone()
    };
    let created = build(g, o, &spec, &bundle, &rootfs, &dir, &mut cleanup)?;
    cleanup.disarm();
    Ok(created)
}

/// Undoes a failed create: kills the child, removes the cgroup and the state directory,
/// then runs the poststop hooks (the spec: a failed prestart, createRuntime or
/// createContainer hook stops the container and continues the lifecycle at its
/// destruction, whose last step is poststop).
struct Cleanup {
    dir: PathBuf,
    cgroup: Option<CgroupManager>,
    pid: Option<i32>,
    /// The poststop hooks and the state they get, once the container has a state.
    poststop: Option<(Vec<oci_spec::runtime::Hook>, Vec<u8>)>,
}

impl Cleanup {
    fn disarm(&mut self) {
        self.cgroup = None;
        self.pid = None;
        self.dir = PathBuf::new();
        self.poststop = None;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(Pid::from_raw(pid), None);
        }
        if let Some(cg) = self.cgroup.take() {
            let _ = cg.destroy();
        }
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some((list, json)) = self.poststop.take() {
            hooks::run_all_warn(Kind::Poststop, &list, &json);
        }
    }
}

fn build(
    g: &Globals,
    o: &CreateOptions,
    spec: &Spec,
    bundle: &Path,
    rootfs: &Path,
    dir: &Path,
    cleanup: &mut Cleanup,
) -> Result<Created> {
    let linux = spec.linux().as_ref();
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| Error::Spec("process is required".into()))?;
    let caps = match process.capabilities() {
        Some(c) => capabilities::resolve(c)?,
        None => Default::default(),
    };
    crate::process::validate_placement(spec, process)?;
    let filter = match linux.and_then(|l| l.seccomp().as_ref()) {
        Some(s) => Some(seccomp::compile(s, Some(&g.root.join(".cache/seccomp")))?),
        None => None,
    };
    let cgroups_path = linux
        .and_then(|l| l.cgroups_path().as_ref())
        .map(|p| p.to_string_lossy().into_owned());
    // Read once: the cgroup layout comes from it, and the container's rootfs setup reuses it
    // (its cost grows with the number of mounts on the host).
    let host_mounts = std::fs::read_to_string("/proc/self/mountinfo")
        .ctx(|| "read /proc/self/mountinfo".into())?;
    let cgroup = CgroupManager::with_mountinfo(&host_mounts, cgroups_path.as_deref(), &o.id)?;
    let mut st = ContainerState {
        id: o.id.clone(),
        bundle: bundle.to_path_buf(),
        rootfs: rootfs.to_path_buf(),
        pid: 0,
        pid_start_time: 0,
        created: state::now_rfc3339(),
        annotations: spec.annotations().clone().unwrap_or_default(),
        cgroup: cgroup.paths.clone(),
        poststop: hooks::of(spec, Kind::Poststop),
        poststart: hooks::of(spec, Kind::Poststart),
        owner: nix::unistd::geteuid().as_raw(),
        own_pid_namespace: spec::has_namespace(spec, oci_spec::runtime::LinuxNamespaceType::Pid),
    };
    // Record what exists before creating it, so `delete --force` can clean up after a crash.
    state::save(&g.root, &st)?;
    cleanup.cgroup = Some(cgroup.clone());
    if !st.poststop.is_empty() {
        let json = serde_json::to_vec(&st.oci(Status::Stopped)).unwrap_or_default();
        cleanup.poststop = Some((st.poststop.clone(), json));
    }
    // Like runc, linux.devices are created but not implicitly allowed: resources.devices rules.
    cgroup.create(linux.and_then(|l| l.resources().as_ref()))?;

    let fifo_path = dir.join(EXEC_FIFO);
    nix::unistd::mkfifo(&fifo_path, Mode::from_bits_truncate(0o600))
        .ctx(|| format!("mkfifo {}", fifo_path.display()))?;
    let fifo = open(&fifo_path, OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty())
        .ctx(|| format!("open {}", fifo_path.display()))?;
    let console = connect_console(o, process.terminal().unwrap_or(false))?;
    let error_path = dir.join(state::INIT_ERROR);
    let error_file = open(
        &error_path,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_TRUNC | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )
    .ctx(|| format!("create {}", error_path.display()))?;

    let cgroup_fd = cgroup.clone_into_fd();
    let plan = namespaces::plan(spec, cgroup_fd.is_some())?;
    if let Some(p) = &plan.pid_join {
        namespaces::join_pid_for_children(p)?;
    }
    let joins = namespaces::open_joins(&plan)?;
    let joins_mount = plan
        .joins
        .iter()
        .any(|(t, _)| *t == oci_spec::runtime::LinuxNamespaceType::Mount);
    let (parent_end, child_end) = sync::pair()?;
    let parent_hooks = !hooks::of(spec, Kind::Prestart).is_empty()
        || !hooks::of(spec, Kind::CreateRuntime).is_empty();

    let clone_flags = plan.clone_flags;
    let user_in_clone = plan.user_in_clone;
    let ctx = InitContext {
        // The child is a fork: it sees this spec in its copy of our memory, no clone needed.
        spec,
        id: o.id.clone(),
        bundle: bundle.to_path_buf(),
        rootfs: rootfs.to_path_buf(),
        plan,
        joins,
        channel: child_end,
        fifo: Some(fifo),
        console,
        seccomp: filter,
        caps,
        no_pivot: o.no_pivot,
        no_new_keyring: o.no_new_keyring,
        preserve_fds: o.preserve_fds,
        parent_hooks,
        error_file: Some(error_file),
        // The child's table is this one only when its mount namespace is a copy of ours.
        host_mounts: (!joins_mount).then_some(host_mounts),
    };
    let pid = match berth_sys::clone3(clone_flags, cgroup_fd.as_ref().map(|f| f.as_fd()))
        .ctx(|| "clone the container process".into())?
    {
        CloneResult::Child => {
            drop(parent_end);
            init::run(ctx)
        }
        CloneResult::Parent(pid) => pid,
    };
    drop(ctx);
    cleanup.pid = Some(pid);
    // Before the handshake puts the process in the cgroup (unless clone3 already did).
    crate::affinity::apply_initial(process, pid)?;
    handshake(
        spec,
        &parent_end,
        &cgroup,
        cgroup_fd.is_none(),
        user_in_clone,
        pid,
        &mut st,
    )?;

    st.pid = pid;
    st.pid_start_time = state::start_time(pid).unwrap_or(0);
    state::save(&g.root, &st)?;
    if let Some(pf) = &o.pid_file {
        write_pid_file(pf, pid)?;
    }
    Ok(Created { state: st })
}

/// The parent's side of the handshake with the init (see [`crate::sync`]).
fn handshake(
    spec: &Spec,
    ch: &Channel,
    cgroup: &CgroupManager,
    join_cgroup: bool,
    user_in_clone: bool,
    pid: i32,
    st: &mut ContainerState,
) -> Result<()> {
    if join_cgroup {
        cgroup.add_pid(pid)?;
    }
    if user_in_clone {
        namespaces::write_id_maps(spec, pid)?;
    }
    ch.send(&Msg::Go)?;
    loop {
        let (msg, fd) = match ch.recv_with_fd()? {
            Some((m, fd)) => (Some(m), fd),
            None => (None, None),
        };
        match msg {
            Some(Msg::Ready) => return Ok(()),
            Some(Msg::SeccompListener) => {
                let fd =
                    fd.ok_or_else(|| Error::Init("seccomp listener message without an fd".into()))?;
                send_seccomp_listener(spec, st, pid, fd)?;
            }
            Some(Msg::NeedMaps) => {
                namespaces::write_id_maps(spec, pid)?;
                ch.send(&Msg::MapsDone)?;
            }
            Some(Msg::MountsDone) => {
                st.pid = pid;
                // runtime-tools expects "created" here; the spec allows either while creating.
                let json = serde_json::to_vec(&st.oci(Status::Created)).unwrap_or_default();
                hooks::run_all(Kind::Prestart, &hooks::of(spec, Kind::Prestart), &json)?;
                hooks::run_all(
                    Kind::CreateRuntime,
                    &hooks::of(spec, Kind::CreateRuntime),
                    &json,
                )?;
                ch.send(&Msg::Continue)?;
            }
            Some(Msg::Error(e)) => return Err(Error::from_child(e)),
            Some(other) => {
                return Err(Error::Init(format!(
                    "unexpected {other:?} from the container process"
                )))
            }
            None => {
                return Err(Error::Init(
                    "the container process exited during setup".into(),
                ))
            }
        }
    }
}

/// Hands the seccomp notify fd to the agent at `linux.seccomp.listenerPath`.
fn send_seccomp_listener(
    spec: &Spec,
    st: &mut ContainerState,
    pid: i32,
    fd: OwnedFd,
) -> Result<()> {
    let sc = spec
        .linux()
        .as_ref()
        .and_then(|l| l.seccomp().as_ref())
        .ok_or_else(|| Error::Init("seccomp listener without linux.seccomp".into()))?;
    let path = sc.listener_path().as_ref().ok_or_else(|| {
        Error::Spec("linux.seccomp.listenerPath is required for SCMP_ACT_NOTIFY".into())
    })?;
    st.pid = pid;
    let json = serde_json::to_vec(&st.oci(Status::Creating)).unwrap_or_default();
    let state: oci_spec::runtime::State = serde_json::from_slice(&json)
        .map_err(|e| Error::Init(format!("container state for the seccomp agent: {e}")))?;
    seccomp::send_listener(fd.as_fd(), path, &state, sc.listener_metadata().as_deref())
}

fn connect_console(o: &CreateOptions, terminal: bool) -> Result<Option<OwnedFd>> {
    match (&o.console_socket, terminal) {
        (Some(path), true) => {
            let s = UnixStream::connect(path)
                .ctx(|| format!("connect to console socket {}", path.display()))?;
            Ok(Some(OwnedFd::from(s)))
        }
        (None, true) => Err(Error::Usage(
            "process.terminal is set: --console-socket is required".into(),
        )),
        (Some(_), false) => Err(Error::Usage(
            "--console-socket given but process.terminal is false".into(),
        )),
        (None, false) => Ok(None),
    }
}

/// Writes the pid file atomically (runc semantics: the pid, no newline).
pub fn write_pid_file(path: &Path, pid: i32) -> Result<()> {
    let tmp = path.with_extension("tmp-berth");
    std::fs::write(&tmp, pid.to_string()).ctx(|| format!("write pid file {}", tmp.display()))?;
    std::fs::rename(&tmp, path).ctx(|| format!("write pid file {}", path.display()))
}
