//! The container process's own attributes: rlimits, oom score, identity (uid, gid,
//! supplementary groups, umask), no_new_privs, I/O priority, scheduling and memory placement,
//! the executable lookup in `PATH`, and the final `execve`.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid};
use oci_spec::runtime::{PosixRlimitType, Process, Spec};

use crate::error::{Error, IoContext, Result};

/// Maps an OCI rlimit type to the kernel's resource.
fn resource(t: PosixRlimitType) -> rustix::process::Resource {
    use rustix::process::Resource as R;
    use PosixRlimitType::*;
    match t {
        RlimitCpu => R::Cpu,
        RlimitFsize => R::Fsize,
        RlimitData => R::Data,
        RlimitStack => R::Stack,
        RlimitCore => R::Core,
        RlimitRss => R::Rss,
        RlimitNproc => R::Nproc,
        RlimitNofile => R::Nofile,
        RlimitMemlock => R::Memlock,
        RlimitAs => R::As,
        RlimitLocks => R::Locks,
        RlimitSigpending => R::Sigpending,
        RlimitMsgqueue => R::Msgqueue,
        RlimitNice => R::Nice,
        RlimitRtprio => R::Rtprio,
        RlimitRttime => R::Rttime,
    }
}

/// Applies `process.rlimits` with setrlimit on ourselves. Raising a hard limit needs
/// CAP_SYS_RESOURCE; the error then names the limit and the values.
pub fn apply_rlimits(process: &Process) -> Result<()> {
    for r in process.rlimits().iter().flatten() {
        let new = rustix::process::Rlimit {
            current: Some(r.soft()).filter(|v| *v != u64::MAX),
            maximum: Some(r.hard()).filter(|v| *v != u64::MAX),
        };
        rustix::process::setrlimit(resource(r.typ()), new).ctx(|| {
            format!(
                "set {:?} to soft {} hard {} (raising a hard limit needs CAP_SYS_RESOURCE)",
                r.typ(),
                r.soft(),
                r.hard()
            )
        })?;
    }
    Ok(())
}

/// Writes `process.oomScoreAdj` to /proc/self/oom_score_adj.
pub fn apply_oom_score(process: &Process) -> Result<()> {
    if let Some(adj) = process.oom_score_adj() {
        std::fs::write("/proc/self/oom_score_adj", adj.to_string())
            .ctx(|| format!("set oom_score_adj to {adj} (lowering it needs CAP_SYS_RESOURCE)"))?;
    }
    Ok(())
}

/// Applies `process.ioPriority` with ioprio_set (class and priority).
pub fn apply_io_priority(process: &Process) -> Result<()> {
    let Some(p) = process.io_priority() else {
        return Ok(());
    };
    use oci_spec::runtime::IOPriorityClass::*;
    let class = match p.class() {
        IoprioClassRt => 1,
        IoprioClassBe => 2,
        IoprioClassIdle => 3,
    };
    berth_sys::misc::ioprio_set_self(class, p.priority() as i32)
        .ctx(|| "set the I/O priority".into())
}

/// Checks `process.scheduler`, `process.execCPUAffinity`, `linux.personality` and
/// `linux.memoryPolicy` in the runtime, before it forks, so bad values fail with a clear
/// message and nothing to undo.
pub fn validate_placement(spec: &Spec, process: &Process) -> Result<()> {
    crate::sched::validate(process)?;
    crate::affinity::validate(process)?;
    crate::personality::validate(spec)?;
    crate::mempolicy::validate(spec)
}

/// Applies the scheduler, memory policy, personality and final CPU affinity to the calling
/// process, which is already in the container's cgroup and still privileged (real-time
/// policies need CAP_SYS_NICE). All four are kept across `execve`.
pub fn apply_placement(spec: &Spec, process: &Process) -> Result<()> {
    crate::sched::apply(process)?;
    crate::mempolicy::apply(spec)?;
    crate::personality::apply(spec)?;
    crate::affinity::apply_final(process)
}

/// Switches to the process's user: supplementary groups, gid, uid (in that order), with
/// keep-caps set so the capabilities survive for [`crate::capabilities::apply_rest`].
pub fn switch_user(process: &Process) -> Result<()> {
    let user = process.user();
    let gids: Vec<Gid> = user
        .additional_gids()
        .iter()
        .flatten()
        .map(|g| Gid::from_raw(*g))
        .collect();
    // setgroups is denied in a user namespace with "deny" in /proc/self/setgroups; only fail
    // if groups were actually requested.
    if let Err(e) = nix::unistd::setgroups(&gids) {
        if !gids.is_empty() {
            return Err(e).ctx(|| format!("setgroups {:?}", user.additional_gids()));
        }
    }
    nix::sys::prctl::set_keepcaps(true).ctx(|| "set keep-caps".into())?;
    let gid = Gid::from_raw(user.gid());
    let uid = Uid::from_raw(user.uid());
    nix::unistd::setresgid(gid, gid, gid).ctx(|| format!("setgid {}", user.gid()))?;
    nix::unistd::setresuid(uid, uid, uid).ctx(|| format!("setuid {}", user.uid()))?;
    nix::sys::prctl::set_keepcaps(false).ctx(|| "clear keep-caps".into())?;
    if let Some(mask) = user.umask() {
        nix::sys::stat::umask(Mode::from_bits_truncate(mask));
    }
    Ok(())
}

/// Sets no_new_privs when `process.noNewPrivileges` asks for it.
pub fn apply_no_new_privs(process: &Process) -> Result<()> {
    if process.no_new_privileges().unwrap_or(false) {
        nix::sys::prctl::set_no_new_privs().ctx(|| "set no_new_privs".into())?;
    }
    Ok(())
}

/// The value of `PATH` in the process environment, or the default search path.
fn env_path(env: &[String]) -> &str {
    env.iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
}

/// Resolves `program` as execvp would, inside the current root: a name with a slash is used
/// as is (relative to the cwd); otherwise each `PATH` entry is tried.
pub fn find_executable(program: &str, env: &[String]) -> Result<PathBuf> {
    let not_found = || {
        Error::Init(format!(
            "exec: {program:?}: executable file not found in $PATH"
        ))
    };
    if program.is_empty() {
        return Err(not_found());
    }
    if program.contains('/') {
        return check_executable(Path::new(program));
    }
    for dir in env_path(env).split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(program);
        if let Ok(p) = check_executable(&candidate) {
            return Ok(p);
        }
    }
    Err(not_found())
}

fn check_executable(path: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => Ok(path.to_path_buf()),
        Ok(m) if m.is_dir() => Err(Error::Init(format!(
            "exec: {}: is a directory",
            path.display()
        ))),
        Ok(_) => Err(Error::Init(format!(
            "exec: {}: permission denied",
            path.display()
        ))),
        Err(e) => Err(Error::Init(format!("exec: {}: {e}", path.display()))),
    }
}

/// Everything `execve` needs, converted ahead of time so the last step cannot fail on
/// encoding.
#[derive(Debug, Clone)]
pub struct ExecPlan {
    /// Resolved program path.
    pub path: CString,
    /// argv.
    pub args: Vec<CString>,
    /// envp.
    pub env: Vec<CString>,
}

fn cstring(s: &[u8], what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Spec(format!("{what} contains a NUL byte")))
}

impl ExecPlan {
    /// Resolves the program of `process` in the current root and converts args and env
    /// (deduplicated, with `HOME` from the container's passwd file: see [`crate::env`]).
    pub fn new(process: &Process) -> Result<Self> {
        let args = process.args().clone().unwrap_or_default();
        let env = crate::env::prepare(
            process.env().as_deref().unwrap_or_default(),
            process.user().uid(),
            Path::new(crate::env::PASSWD),
        );
        let first = args
            .first()
            .ok_or_else(|| Error::Spec("process.args is empty".into()))?;
        let path = find_executable(first, &env)?;
        Ok(Self {
            path: cstring(path.as_os_str().as_bytes(), "process.args[0]")?,
            args: args
                .iter()
                .map(|a| cstring(a.as_bytes(), "process.args"))
                .collect::<Result<_>>()?,
            env: env
                .iter()
                .map(|e| cstring(e.as_bytes(), "process.env"))
                .collect::<Result<_>>()?,
        })
    }

    /// Replaces the current process image. Returns only on failure.
    pub fn exec(&self) -> Error {
        berth_sys::misc::reset_signals();
        match nix::unistd::execve(&self.path, &self.args, &self.env) {
            Ok(never) => match never {},
            Err(e) => Error::Init(format!("exec {:?}: {e}", self.path)),
        }
    }
}

/// Creates `process.cwd` inside the container if it is missing (as runc does), before the
/// root may become read-only.
pub fn ensure_cwd(process: &Process) -> Result<()> {
    let cwd = process.cwd();
    if !cwd.exists() {
        std::fs::create_dir_all(cwd).ctx(|| format!("create cwd {}", cwd.display()))?;
    }
    Ok(())
}

/// Changes to the process's working directory (inside the container).
pub fn enter_cwd(process: &Process) -> Result<()> {
    nix::unistd::chdir(process.cwd()).ctx(|| format!("chdir to cwd {}", process.cwd().display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lookup() {
        let env = vec!["PATH=/nonexistent:/bin:/usr/bin".to_string()];
        assert!(find_executable("sh", &env).is_ok());
        let err = find_executable("no-such-program-xyz", &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("executable file not found"), "{err}");
        assert!(find_executable("/bin/sh", &[]).is_ok());
    }
}
