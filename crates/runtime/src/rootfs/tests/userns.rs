//! A real user namespace: mounts inherited from the parent namespace have locked flags, so a
//! bind remount must keep them; device nodes are bind-mounted from the host.

use std::io::{Read, Write};
use std::path::Path;

use berth_sys::clone::{clone3, CloneResult};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use serde_json::json;

use super::{ensure, in_child, mount_opts, require_root, spec, Check, Fixture, OrFail};
use crate::rootfs::{finalize, mount_all, pivot, MountContext};

/// From a (root, single-threaded) test child: forks a grandchild into new user and mount
/// namespaces, maps its root to ours, runs `check` there and returns its verdict.
fn in_userns(check: impl FnOnce() -> Check) -> Check {
    let (mut go_rx, go_tx) = pipe()?;
    let (mut res_rx, res_tx) = pipe()?;
    let flags = (libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID) as u64;
    match clone3(flags, None).or_fail("clone3 user namespace")? {
        CloneResult::Child => {
            drop((go_tx, res_rx));
            let mut byte = [0u8];
            let msg = match go_rx.read_exact(&mut byte) {
                Ok(()) => check().err(),
                Err(e) => Some(format!("wait for id maps: {e}")),
            };
            let code = i32::from(msg.is_some());
            if let Some(m) = msg {
                let mut tx = res_tx;
                let _ = tx.write_all(m.as_bytes());
            }
            berth_sys::misc::exit_now(code)
        }
        CloneResult::Parent(pid) => {
            drop((go_rx, res_tx));
            for map in ["uid_map", "gid_map"] {
                std::fs::write(format!("/proc/{pid}/{map}"), "0 0 65536\n").or_fail(map)?;
            }
            let mut go_tx = go_tx;
            go_tx.write_all(b"g").or_fail("release grandchild")?;
            let status = waitpid(Pid::from_raw(pid), None).or_fail("waitpid")?;
            let mut msg = String::new();
            let _ = res_rx.read_to_string(&mut msg);
            ensure!(
                status == WaitStatus::Exited(Pid::from_raw(pid), 0),
                "in user namespace: {msg}"
            );
            Ok(())
        }
    }
}

fn pipe() -> std::result::Result<(std::fs::File, std::fs::File), String> {
    let (r, w) = nix::unistd::pipe().or_fail("pipe")?;
    Ok((r.into(), w.into()))
}

#[test]
fn user_namespace_keeps_locked_flags() {
    require_root!();
    let f = Fixture::new();
    f.mkdir("vol");
    let vol = f.path("vol");
    let s = spec(json!({
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            // Asks only for ro: nosuid,nodev,noexec of the source are locked and must stay.
            {"destination": "/data", "type": "bind", "source": vol, "options": ["rbind", "ro"]},
        ],
        "root": {"path": "rootfs", "readonly": true},
        "linux": {"maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]},
    }));
    let ctx = MountContext {
        in_user_namespace: true,
        ..Default::default()
    };
    in_child(&f, 0, || {
        // The source lives on a nosuid,nodev,noexec mount made before the user namespace.
        let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        crate::rootfs::mnt::mount(Some(Path::new("tmpfs")), &vol, Some("tmpfs"), flags, None)
            .or_fail("mount source tmpfs")?;
        std::fs::write(vol.join("file"), "v\n").or_fail("write source file")?;
        in_userns(|| {
            mount_all(&s, &f.rootfs, ctx).or_fail("mount_all")?;
            pivot(&f.rootfs, false).or_fail("pivot")?;
            finalize(&s).or_fail("finalize")?;
            let opts = mount_opts(Path::new("/data"))?;
            for o in ["ro", "nosuid", "nodev", "noexec"] {
                ensure!(opts.iter().any(|x| x == o), "/data lacks {o}: {opts:?}");
            }
            let content = std::fs::read_to_string("/data/file").or_fail("read /data/file")?;
            ensure!(content == "v\n", "/data/file is {content:?}");
            let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
            ensure!(null.is_ok(), "/dev/null unusable: {:?}", null.err());
            let err = std::fs::write("/newfile", "x")
                .err()
                .map(|e| e.raw_os_error());
            ensure!(err == Some(Some(libc::EROFS)), "root writable: {err:?}");
            Ok(())
        })
    });
}
