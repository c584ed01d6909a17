//! `exec`: runs another process inside a running container: same namespaces and cgroup, its
//! own user, capabilities, terminal and environment.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use berth_sys::CloneResult;
use nix::fcntl::{open, OFlag};
use nix::sched::{setns, CloneFlags};
use nix::sys::stat::Mode;
use oci_spec::runtime::{LinuxNamespaceType, Process};

use super::create::write_pid_file;
use super::run::{forwarding_mask, wait_forwarding};
use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, IoContext, Result};
use crate::process::ExecPlan;
use crate::state::{self, Status};
use crate::sync::{self, Channel, Msg};
use crate::{capabilities, init, namespaces, seccomp, spec, terminal};

/// Options of `exec`.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// Container id.
    pub id: String,
    /// A process.json to run (`-p`); otherwise built from the container's process and `args`.
    pub process_file: Option<PathBuf>,
    /// Command and arguments.
    pub args: Vec<String>,
    /// Allocate a terminal.
    pub tty: bool,
    /// Working directory.
    pub cwd: Option<PathBuf>,
    /// Extra environment `K=V`.
    pub env: Vec<String>,
    /// `uid[:gid]`.
    pub user: Option<String>,
    /// Extra groups.
    pub additional_gids: Vec<u32>,
    /// Set no_new_privs.
    pub no_new_privs: bool,
    /// Extra capabilities for the process.
    pub caps: Vec<String>,
    /// Do not wait for the process.
    pub detach: bool,
    /// Where to write the process's pid.
    pub pid_file: Option<PathBuf>,
    /// Console socket for `--tty`.
    pub console_socket: Option<PathBuf>,
    /// Extra fds to pass.
    pub preserve_fds: u32,
    /// The terminal's size (rows, columns) when `tty`: set on the pty before the process
    /// starts, so it never sees a 0x0 terminal.
    pub console_size: Option<(u16, u16)>,
}

/// Runs the process; returns its exit code (0 when detached).
pub fn exec(g: &Globals, o: &ExecOptions) -> Result<i32> {
    let st = state::load(&g.root, &o.id)?;
    let status = st.status(&state::dir(&g.root, &o.id));
    if !matches!(status, Status::Running | Status::Created) {
        return Err(Error::BadState {
            id: o.id.clone(),
            status: status.to_string(),
            what: "cannot exec in a container that is not running".into(),
        });
    }
    crate::activation::check_open(3, o.preserve_fds)?;
    let cspec = spec::load(&st.bundle)?;
    let process = build_process(o, &cspec)?;
    let caps = match process.capabilities() {
        Some(c) => capabilities::resolve(c)?,
        None => Default::default(),
    };
    crate::process::validate_placement(&cspec, &process)?;
    let filter = match cspec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
        Some(s) => Some(seccomp::compile(s, Some(&g.root.join(".cache/seccomp")))?),
        None => None,
    };
    let console = if process.terminal().unwrap_or(false) {
        let path = o
            .console_socket
            .as_ref()
            .ok_or_else(|| Error::Usage("--tty needs --console-socket".into()))?;
        Some(OwnedFd::from(UnixStream::connect(path).ctx(|| {
            format!("connect to console socket {}", path.display())
        })?))
    } else {
        None
    };
    let nss = open_namespaces(st.pid)?;
    // setns(pid) changes only the namespace of our future children.
    if let Some((_, fd)) = nss.iter().find(|(t, _)| *t == LinuxNamespaceType::Pid) {
        setns(fd.as_fd(), CloneFlags::CLONE_NEWPID)
            .ctx(|| "join the container's pid namespace".into())?;
    }
    let (parent_end, child_end) = sync::pair()?;
    let mask = if o.detach {
        nix::sys::signal::SigSet::empty()
    } else {
        forwarding_mask()
    };
    mask.thread_block().ctx(|| "block signals".into())?;
    let pid = match berth_sys::clone::fork().ctx(|| "fork the exec process".into())? {
        CloneResult::Child => {
            drop(parent_end);
            let args = ChildArgs {
                nss: &nss,
                spec: &cspec,
                process: &process,
                caps: &caps,
                filter: filter.as_ref(),
                preserve_fds: o.preserve_fds,
            };
            let err = match child(&child_end, &args, console) {
                Ok(never) => match never {},
                Err(e) => e,
            };
            let _ = child_end.send(&Msg::Error(err.to_string()));
            berth_sys::misc::exit_now(1);
        }
        CloneResult::Parent(pid) => pid,
    };
    drop(child_end);
    drop(nss);
    let ready = (|| {
        crate::affinity::apply_initial(&process, pid)?;
        CgroupManager::from_paths(st.cgroup.clone()).add_pid(pid)?;
        parent_end.send(&Msg::Go)?;
        parent_end.expect(Msg::Ready)?;
        // EOF means the exec succeeded (the channel is close-on-exec).
        match parent_end.recv()? {
            None => Ok(()),
            Some(Msg::Error(e)) => Err(Error::from_child(e)),
            Some(m) => Err(Error::Init(format!(
                "unexpected {m:?} from the exec process"
            ))),
        }
    })();
    if let Err(e) = ready {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
        let _ = mask.thread_unblock();
        return Err(e);
    }
    if let Some(pf) = &o.pid_file {
        write_pid_file(pf, pid)?;
    }
    if o.detach {
        return Ok(0);
    }
    let code = wait_forwarding(pid, &mask);
    let _ = mask.thread_unblock();
    code
}

enum Never {}

/// What the forked exec process needs, prepared before the fork.
struct ChildArgs<'a> {
    /// The container's namespaces to join.
    nss: &'a [(LinuxNamespaceType, OwnedFd)],
    /// The container's configuration (for linux.personality and linux.memoryPolicy).
    spec: &'a oci_spec::runtime::Spec,
    /// The process to run.
    process: &'a Process,
    /// Its resolved capabilities.
    caps: &'a capabilities::CapSets,
    /// The container's compiled seccomp filter.
    filter: Option<&'a seccomp::CompiledFilter>,
    /// File descriptors beyond stdio to keep open.
    preserve_fds: u32,
}

fn child(ch: &Channel, a: &ChildArgs<'_>, console: Option<OwnedFd>) -> Result<Never> {
    let (nss, process) = (a.nss, a.process);
    init::protect_runtime_binary()?;
    ch.expect(Msg::Go)?;
    let rest: Vec<_> = nss
        .iter()
        .filter(|(t, _)| *t != LinuxNamespaceType::Pid)
        .map(|(t, fd)| fd.try_clone().map(|fd| (*t, fd)))
        .collect::<std::io::Result<_>>()
        .ctx(|| "dup namespace fds".into())?;
    namespaces::join_all(&rest)?;
    if let Some(sock) = &console {
        terminal::setup_exec_terminal(sock.as_fd(), process)?;
    }
    crate::process::apply_rlimits(process)?;
    crate::process::apply_oom_score(process)?;
    crate::process::apply_placement(a.spec, process)?;
    let plan = ExecPlan::new(process)?;
    berth_sys::misc::cloexec_from(3 + a.preserve_fds)
        .ctx(|| "mark inherited fds close-on-exec".into())?;
    init::finish_process(process, a.caps, a.filter)?;
    ch.send(&Msg::Ready)?;
    Err(plan.exec())
}

/// Opens the namespaces of `pid` that differ from ours, in join order (user first, mount
/// last).
fn open_namespaces(pid: i32) -> Result<Vec<(LinuxNamespaceType, OwnedFd)>> {
    use LinuxNamespaceType::*;
    let mut out = Vec::new();
    for (t, name) in [
        (User, "user"),
        (Pid, "pid"),
        (Ipc, "ipc"),
        (Uts, "uts"),
        (Network, "net"),
        (Cgroup, "cgroup"),
        (Time, "time"),
        (Mount, "mnt"),
    ] {
        let theirs = format!("/proc/{pid}/ns/{name}");
        let ours = format!("/proc/self/ns/{name}");
        let (Ok(a), Ok(b)) = (std::fs::metadata(&theirs), std::fs::metadata(&ours)) else {
            continue;
        };
        if a.ino() == b.ino() && a.dev() == b.dev() {
            continue;
        }
        let fd = open(
            Path::new(&theirs),
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ctx(|| format!("open {theirs}"))?;
        out.push((t, fd));
    }
    Ok(out)
}

/// The process to run: the `-p` file, or the container's own process with the CLI's args,
/// env, cwd, user and terminal.
fn build_process(o: &ExecOptions, cspec: &oci_spec::runtime::Spec) -> Result<Process> {
    let mut p: Process = match &o.process_file {
        Some(path) => {
            let bytes = std::fs::read(path).ctx(|| format!("read {}", path.display()))?;
            serde_json::from_slice(&bytes)
                .map_err(|e| Error::Spec(format!("{}: {e}", path.display())))?
        }
        None => {
            let mut p = cspec.process().clone().unwrap_or_default();
            if o.args.is_empty() {
                return Err(Error::Usage(
                    "exec needs a command (or -p process.json)".into(),
                ));
            }
            p.set_args(Some(o.args.clone()));
            p.set_terminal(Some(o.tty));
            p
        }
    };
    if o.process_file.is_some() && !o.args.is_empty() {
        p.set_args(Some(o.args.clone()));
    }
    if o.tty {
        p.set_terminal(Some(true));
    }
    if let Some((rows, cols)) = o.console_size {
        let size = oci_spec::runtime::BoxBuilder::default()
            .height(u64::from(rows))
            .width(u64::from(cols))
            .build()
            .map_err(|e| Error::Spec(format!("console size: {e}")))?;
        p.set_console_size(Some(size));
    }
    if !o.env.is_empty() {
        let mut env = p.env().clone().unwrap_or_default();
        env.extend(o.env.iter().cloned());
        p.set_env(Some(env));
    }
    if let Some(cwd) = &o.cwd {
        p.set_cwd(cwd.clone());
    }
    if let Some(u) = &o.user {
        let (uid, gid) = match u.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (u.as_str(), None),
        };
        let bad = || Error::Usage(format!("--user {u:?}: expected uid[:gid] as numbers"));
        p.user_mut().set_uid(uid.parse().map_err(|_| bad())?);
        if let Some(g) = gid {
            p.user_mut().set_gid(g.parse().map_err(|_| bad())?);
        }
    }
    if !o.additional_gids.is_empty() {
        p.user_mut()
            .set_additional_gids(Some(o.additional_gids.clone()));
    }
    if o.no_new_privs {
        p.set_no_new_privileges(Some(true));
    }
    if !o.caps.is_empty() {
        let mut caps = p.capabilities().clone().unwrap_or_default();
        let extra: oci_spec::runtime::Capabilities =
            serde_json::from_value(serde_json::json!(o.caps))
                .map_err(|e| Error::Usage(format!("--cap: {e}")))?;
        let add = |s: &Option<oci_spec::runtime::Capabilities>| -> Option<oci_spec::runtime::Capabilities> {
            let mut s = s.clone().unwrap_or_default();
            s.extend(extra.iter().copied());
            Some(s)
        };
        caps = oci_spec::runtime::LinuxCapabilitiesBuilder::default()
            .bounding(add(caps.bounding()).unwrap_or_default())
            .effective(add(caps.effective()).unwrap_or_default())
            .permitted(add(caps.permitted()).unwrap_or_default())
            .inheritable(caps.inheritable().clone().unwrap_or_default())
            .ambient(caps.ambient().clone().unwrap_or_default())
            .build()
            .map_err(|e| Error::Usage(e.to_string()))?;
        p.set_capabilities(Some(caps));
    }
    if p.args().as_ref().is_none_or(|a| a.is_empty()) {
        return Err(Error::Usage("exec needs a command".into()));
    }
    Ok(p)
}
