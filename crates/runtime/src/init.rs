//! The container's init: everything the cloned child does, in the order the specification
//! requires, from joining namespaces to `execve`. It reports every failure to the runtime
//! over the sync channel, then exits; it never returns.

use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use nix::unistd::{Gid, Uid};
use oci_spec::runtime::{LinuxNamespaceType, Process, Spec};

use crate::capabilities::{self, CapSets};
use crate::error::{Error, IoContext, Result};
use crate::hooks::{self, Kind};
use crate::namespaces::{self, Plan};
use crate::process::{self, ExecPlan};
use crate::rootfs::{self, MountContext};
use crate::seccomp::{self, CompiledFilter};
use crate::sync::{Channel, Msg};
use crate::terminal;

/// Everything the child needs, prepared by the parent before the fork.
pub struct InitContext<'a> {
    /// The container's configuration.
    pub spec: &'a Spec,
    /// The container id (for hook state).
    pub id: String,
    /// Absolute bundle path.
    pub bundle: PathBuf,
    /// Absolute rootfs path.
    pub rootfs: PathBuf,
    /// Namespace plan.
    pub plan: Plan,
    /// Opened namespace paths to join.
    pub joins: Vec<(LinuxNamespaceType, OwnedFd)>,
    /// Child end of the sync channel.
    pub channel: Channel,
    /// The exec fifo (read end) to wait on for `start`; `None` starts at once.
    pub fifo: Option<OwnedFd>,
    /// A connected console socket when `process.terminal` is set.
    pub console: Option<OwnedFd>,
    /// The compiled seccomp filter.
    pub seccomp: Option<CompiledFilter>,
    /// Resolved capability sets.
    pub caps: CapSets,
    /// `--no-pivot`.
    pub no_pivot: bool,
    /// `--no-new-keyring`.
    pub no_new_keyring: bool,
    /// File descriptors beyond stdio to keep open for the process (`--preserve-fds`).
    pub preserve_fds: u32,
    /// The runtime process runs hooks between mounts and pivot_root (prestart, createRuntime).
    pub parent_hooks: bool,
    /// [`crate::state::INIT_ERROR`], open for writing: where a failure goes once the runtime
    /// that created the container is gone.
    pub error_file: Option<OwnedFd>,
    /// The runtime's `/proc/self/mountinfo` text, read once before the clone, when the
    /// container's mount namespace will be a copy of the runtime's (none is joined): the
    /// rootfs setup uses it instead of reading the table again.
    pub host_mounts: Option<String>,
}

/// Runs the init; never returns. Errors go to the parent, then the process exits with 1.
pub fn run(ctx: InitContext<'_>) -> ! {
    let channel = &ctx.channel;
    let err = match setup_and_exec(&ctx) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    if let Some(f) = &ctx.error_file {
        // Before the exit that wakes `start` (our end of the exec fifo closes with us).
        let _ = nix::unistd::write(f, err.to_string().as_bytes());
    }
    if channel.send(&Msg::Error(err.to_string())).is_err() {
        // After Ready the runtime may be gone (`create` returned): say it on stderr instead.
        eprintln!("berth init: {err}");
    }
    berth_sys::misc::exit_now(1)
}

enum Never {}

fn setup_and_exec(ctx: &InitContext<'_>) -> Result<Never> {
    let spec = ctx.spec;
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| Error::Spec("process is required".into()))?;
    protect_runtime_binary()?;
    ctx.channel.expect(Msg::Go)?;
    // Our pid as the host sees it, for hook state (host /proc is still mounted here).
    let host_pid: i32 = std::fs::read_link("/proc/self")
        .ok()
        .and_then(|p| p.to_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0);
    enter_namespaces(ctx)?;
    process::apply_oom_score(process)?;
    if !ctx.no_new_keyring {
        berth_sys::misc::join_session_keyring(&ctx.id);
    }
    if let Some(h) = spec.hostname().as_deref().filter(|h| !h.is_empty()) {
        nix::unistd::sethostname(h).ctx(|| format!("set hostname {h:?}"))?;
    }
    if let Some(d) = spec.domainname().as_deref().filter(|d| !d.is_empty()) {
        berth_sys::misc::set_domainname(d).ctx(|| format!("set domainname {d:?}"))?;
    }
    let own_mounts = crate::spec::has_namespace(spec, LinuxNamespaceType::Mount);
    if own_mounts {
        let mctx = MountContext {
            in_user_namespace: crate::spec::has_namespace(spec, LinuxNamespaceType::User),
            in_cgroup_namespace: crate::spec::has_namespace(spec, LinuxNamespaceType::Cgroup),
            host_mounts: ctx.host_mounts.as_deref(),
        };
        rootfs::mount_all(spec, &ctx.rootfs, mctx)?;
    }
    if ctx.parent_hooks {
        ctx.channel.send(&Msg::MountsDone)?;
        ctx.channel.expect(Msg::Continue)?;
    }
    let create_container = hooks::of(spec, Kind::CreateContainer);
    if !create_container.is_empty() {
        hooks::run_all(
            Kind::CreateContainer,
            &create_container,
            &state_json(ctx, host_pid, "creating"),
        )?;
    }
    if own_mounts {
        rootfs::pivot(&ctx.rootfs, ctx.no_pivot)?;
    } else {
        // Sharing the runtime's mount namespace: any mount would change the host's, so make
        // none (no mounts, devices, masked paths or read-only root) and only chroot.
        nix::unistd::chroot(&ctx.rootfs).ctx(|| format!("chroot to {}", ctx.rootfs.display()))?;
        nix::unistd::chdir("/").ctx(|| "chdir to / in the rootfs".into())?;
    }
    if let Some(console) = &ctx.console {
        terminal::setup_console(console.as_fd(), process, own_mounts)?;
    }
    // Before finalize: it makes /proc/sys and perhaps / read-only.
    apply_sysctls(spec)?;
    process::ensure_cwd(process)?;
    if own_mounts {
        rootfs::finalize(spec)?;
    }
    process::apply_rlimits(process)?;
    process::apply_io_priority(process)?;
    process::apply_placement(spec, process)?;
    let exec = ExecPlan::new(process)?;
    berth_sys::misc::cloexec_from(3 + ctx.preserve_fds)
        .ctx(|| "mark inherited fds close-on-exec".into())?;
    // A notify filter is loaded now, while the runtime can still take its listener fd to the
    // agent (it cannot reach listenerPath from inside the container).
    let mut filter = ctx.seccomp.as_ref();
    if let Some(f) = filter.filter(|f| f.notify) {
        if let Some(listener) = seccomp::load(f)? {
            ctx.channel
                .send_fd(&Msg::SeccompListener, listener.as_fd())?;
        }
        filter = None;
    }
    // Privileges are dropped before `create` returns (as runc does), so a failure here is
    // reported by `create`, not lost after `start`.
    let filter = drop_privileges(process, &ctx.caps, filter)?;
    ctx.channel.send(&Msg::Ready)?;

    if let Some(fifo) = &ctx.fifo {
        wait_for_start(fifo)?;
    }
    let start_container = hooks::of(spec, Kind::StartContainer);
    if !start_container.is_empty() {
        hooks::run_all(
            Kind::StartContainer,
            &start_container,
            &state_json(ctx, host_pid, "created"),
        )?;
    }
    if let Some(f) = filter {
        seccomp::load(f)?;
    }
    Err(exec.exec())
}

/// CVE-2019-5736: until it execs the user program, this process *is* the runtime binary, and
/// a process in the container could open `/proc/<pid>/exe` and later overwrite the binary
/// through it. A non-dumpable process's `/proc/<pid>/exe` cannot be opened by others without
/// CAP_SYS_PTRACE (which containers do not get by default), and `execve` of the user program
/// resets the flag. This costs one prctl instead of a copy of the binary on every start.
pub fn protect_runtime_binary() -> Result<()> {
    nix::sys::prctl::set_dumpable(false).ctx(|| "make the runtime process non-dumpable".into())
}

/// Joins namespaces by path, unshares the rest, gets id mappings and becomes root in a new
/// user namespace, and enters new cgroup and time namespaces.
fn enter_namespaces(ctx: &InitContext<'_>) -> Result<()> {
    let plan = &ctx.plan;
    namespaces::join_all(&ctx.joins)?;
    if !plan.unshare_flags.is_empty() {
        namespaces::unshare_now(plan.unshare_flags)?;
        if plan.new_user && !plan.user_in_clone {
            ctx.channel.send(&Msg::NeedMaps)?;
            ctx.channel.expect(Msg::MapsDone)?;
        }
    }
    let in_userns = plan.new_user
        || ctx
            .joins
            .iter()
            .any(|(t, _)| *t == LinuxNamespaceType::User);
    if in_userns {
        // Become root of the user namespace (if 0 is mapped) so files we create are owned by it.
        let _ = nix::unistd::setresgid(Gid::from_raw(0), Gid::from_raw(0), Gid::from_raw(0));
        let _ = nix::unistd::setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0));
    }
    if plan.cgroup_after_join {
        namespaces::unshare_now(nix::sched::CloneFlags::CLONE_NEWCGROUP)?;
    }
    if plan.new_time {
        namespaces::unshare_now(nix::sched::CloneFlags::from_bits_retain(
            libc::CLONE_NEWTIME,
        ))?;
        namespaces::write_time_offsets(ctx.spec)?;
    }
    Ok(())
}

/// Blocks until `start` writes to the exec fifo.
fn wait_for_start(fifo: &OwnedFd) -> Result<()> {
    let mut f = std::fs::File::from(fifo.try_clone().ctx(|| "dup exec fifo".into())?);
    let mut b = [0u8; 1];
    loop {
        match f.read(&mut b) {
            Ok(1) => return Ok(()),
            Ok(_) => return Err(Error::Init("exec fifo closed before start".into())),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).ctx(|| "wait on exec fifo".into()),
        }
    }
}

/// Drops to the process's identity: capabilities, user, cwd and no_new_privs, in the order
/// that keeps each step permitted. Without no_new_privs the seccomp filter must be loaded
/// first (it needs CAP_SYS_ADMIN then); otherwise it is returned, to be loaded right before
/// execve so it filters as little of the runtime's own work as possible.
pub fn drop_privileges<'a>(
    process: &Process,
    caps: &CapSets,
    filter: Option<&'a CompiledFilter>,
) -> Result<Option<&'a CompiledFilter>> {
    let mut filter = filter;
    if !process.no_new_privileges().unwrap_or(false) {
        if let Some(f) = filter.take() {
            seccomp::load(f)?;
        }
    }
    capabilities::apply_bounding(caps)?;
    process::switch_user(process)?;
    capabilities::apply_rest(caps)?;
    process::enter_cwd(process)?;
    process::apply_no_new_privs(process)?;
    Ok(filter)
}

/// The last steps before execve, shared with `exec`: [`drop_privileges`], then seccomp.
pub fn finish_process(
    process: &Process,
    caps: &CapSets,
    filter: Option<&CompiledFilter>,
) -> Result<()> {
    if let Some(f) = drop_privileges(process, caps, filter)? {
        seccomp::load(f)?;
    }
    Ok(())
}

/// Writes `linux.sysctl` through /proc/sys (inside the container's namespaces).
fn apply_sysctls(spec: &Spec) -> Result<()> {
    let Some(map) = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref()) else {
        return Ok(());
    };
    for (key, value) in map {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        std::fs::write(&path, value).ctx(|| format!("set sysctl {key}={value}"))?;
    }
    Ok(())
}

/// The state JSON given to hooks run from the container side.
fn state_json(ctx: &InitContext<'_>, pid: i32, status: &str) -> Vec<u8> {
    let annotations = ctx.spec.annotations().clone().unwrap_or_default();
    serde_json::to_vec(&serde_json::json!({
        "ociVersion": crate::state::OCI_VERSION,
        "id": ctx.id,
        "status": status,
        "pid": pid,
        "bundle": ctx.bundle,
        "annotations": annotations,
    }))
    .unwrap_or_default()
}
