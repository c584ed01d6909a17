//! SCMP_ACT_NOTIFY end to end: the child loads the filter and passes the listener's number to
//! the parent, which takes the fd with pidfd_getfd (as a runtime may) and hands it to an agent
//! with `send_listener`; the agent (also this test) receives fd and state, and answers the
//! child's notified mkdir with EROFS.

use std::fs::File;
use std::io::{IoSliceMut, Read};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::UnixListener;
use std::time::Duration;

use berth_sys::clone::{fork, CloneResult};
use berth_sys::misc::exit_now;
use libseccomp::{ScmpNotifReq, ScmpNotifResp, ScmpNotifRespFlags, ScmpSyscall};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use oci_spec::runtime::{ContainerState, State};
use serde_json::json;

use super::profile;
use crate::seccomp::{compile, load, send_listener};

/// Kills and reaps the child if the test fails half-way, so that nothing hangs.
struct Child(Pid, bool);

impl Drop for Child {
    fn drop(&mut self) {
        if !self.1 {
            let _ = kill(self.0, Signal::SIGKILL);
            let _ = waitpid(self.0, None);
        }
    }
}

#[test]
fn seccomp_notify_listener_reaches_agent() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("agent.sock");
    let agent = UnixListener::bind(&sock).unwrap();
    let filter = compile(
        &profile(json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": sock,
            "listenerMetadata": "berth-test",
            "syscalls": [{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY" }]
        })),
        None,
    )
    .unwrap();
    let (rd, wr) = nix::unistd::pipe().unwrap();

    let pid = match fork().unwrap() {
        CloneResult::Child => {
            let _ = setrlimit(Resource::RLIMIT_CORE, 0, 0);
            if nix::sys::prctl::set_no_new_privs().is_err() {
                exit_now(200);
            }
            let Ok(Some(listener)) = load(&filter) else {
                exit_now(201)
            };
            let n = listener.as_raw_fd().to_le_bytes();
            if nix::unistd::write(&wr, &n) != Ok(4) {
                exit_now(202);
            }
            let r = nix::unistd::mkdir("/nonexistent-berth-seccomp/x", Mode::S_IRWXU);
            exit_now(match r {
                Ok(()) => 0,
                Err(e) => e as i32,
            })
        }
        CloneResult::Parent(pid) => Pid::from_raw(pid),
    };
    let mut child = Child(pid, false);
    drop(wr);

    // The runtime's side: get the listener out of the child and send it to the agent.
    let mut n = [0u8; 4];
    File::from(rd)
        .read_exact(&mut n)
        .expect("listener fd number from the child");
    let pidfd = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(pid.as_raw()).unwrap(),
        rustix::process::PidfdFlags::empty(),
    )
    .unwrap();
    let listener = rustix::process::pidfd_getfd(
        &pidfd,
        RawFd::from_le_bytes(n),
        rustix::process::PidfdGetfdFlags::empty(),
    )
    .unwrap();
    let mut state = State::default();
    state.set_version("1.2.0".into());
    state.set_id("c1".into());
    state.set_status(ContainerState::Creating);
    state.set_pid(Some(pid.as_raw()));
    state.set_bundle("/bundle".into());
    send_listener(listener.as_fd(), &sock, &state, Some("berth-test")).unwrap();

    // The agent's side: the process state with the fd, then the notification.
    let (stream, _) = agent.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut cmsg = nix::cmsg_space!([RawFd; 1]);
    let (len, fds) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<()>(
            stream.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::empty(),
        )
        .unwrap();
        let mut fds = Vec::new();
        for c in msg.cmsgs().unwrap() {
            if let ControlMessageOwned::ScmRights(f) = c {
                fds.extend(f);
            }
        }
        (msg.bytes, fds)
    };
    let mut payload = buf[..len].to_vec();
    (&stream).read_to_end(&mut payload).unwrap();
    let ps: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(ps["fds"], json!(["seccompFd"]));
    assert_eq!(ps["pid"], json!(pid.as_raw()));
    assert_eq!(ps["metadata"], json!("berth-test"));
    assert_eq!(ps["state"]["id"], json!("c1"));
    assert_eq!(ps["state"]["status"], json!("creating"));
    assert_eq!(fds.len(), 1);
    let agent_fd = fds[0];

    let mut pfd = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
    assert_eq!(
        poll(&mut pfd, PollTimeout::from(10_000u16)).unwrap(),
        1,
        "no notification"
    );
    let req = ScmpNotifReq::receive(agent_fd).unwrap();
    assert_eq!(req.pid, pid.as_raw() as u32);
    let mkdirs = ["mkdir", "mkdirat"].map(|n| ScmpSyscall::from_name(n).unwrap());
    assert!(mkdirs.contains(&req.data.syscall));
    ScmpNotifResp::new_error(req.id, -libc::EROFS, ScmpNotifRespFlags::empty())
        .respond(agent_fd)
        .unwrap();
    let _ = nix::unistd::close(agent_fd);

    let status = waitpid(pid, None).unwrap();
    child.1 = true;
    assert_eq!(status, WaitStatus::Exited(pid, libc::EROFS));
}
