//! A build whose RUN step runs `apt-get update` and `apt-get install` on a debootstrap-made
//! Debian base image, through the default bridge.
//!
//! The test's network namespace has no route to the Internet (and the host's network must
//! not be touched to give it one), so the test runs a small HTTP forwarder whose listening
//! socket lives in the test's namespace while its outgoing connections are made from the
//! host's: apt in the RUN step reaches it at the bridge's gateway, through the bridge.
//! Skipped, and says so, when debootstrap is missing or the Debian mirror is unreachable.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use berth_e2e::Berth;

const MIRROR_HOST: &str = "deb.debian.org";

fn mirror_reachable() -> bool {
    let Ok(mut addrs) = (MIRROR_HOST, 80).to_socket_addrs() else {
        return false;
    };
    addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(5)).is_ok())
}

/// Copies one direction of a proxied connection until either side closes.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// An HTTP forward proxy for the mirror only: accepts on `listener` (bound in the test's
/// namespace), connects to the mirror from the host's namespace, relays both ways.
fn serve_proxy(listener: TcpListener) {
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            std::thread::spawn(move || {
                let Ok(upstream) = TcpStream::connect((MIRROR_HOST, 80)) else {
                    return;
                };
                let (c2, u2) = match (client.try_clone(), upstream.try_clone()) {
                    (Ok(c), Ok(u)) => (c, u),
                    _ => return,
                };
                let t = std::thread::spawn(move || pump(c2, u2));
                pump(upstream, client);
                let _ = t.join();
            });
        }
    });
}

#[test]
fn apt_get_in_a_run_step_through_the_bridge() {
    let Some(b) = Berth::new("net-build-apt") else {
        return;
    };
    if !Path::new("/usr/sbin/debootstrap").exists() {
        eprintln!("SKIP net-build-apt: debootstrap is not installed");
        return;
    }
    if !mirror_reachable() {
        eprintln!("SKIP net-build-apt: the Debian mirror {MIRROR_HOST} is not reachable");
        return;
    }
    let rootfs = b.dir.join("debian");
    let o = berth_e2e::Output::run_program(
        Path::new("/usr/sbin/debootstrap"),
        &[
            "--variant=minbase".into(),
            "bookworm".into(),
            rootfs.display().to_string(),
            format!("http://{MIRROR_HOST}/debian"),
        ],
        &b.dir.join("out"),
    );
    if !o.success() {
        // A debootstrap killed by the timeout leaves its target's /proc (and more) mounted.
        berth_e2e::leaks::unmount_below(&rootfs);
        eprintln!("SKIP net-build-apt: debootstrap could not fetch the base system:\n{o}");
        return;
    }
    let tarball = b.dir.join("debian.tar");
    {
        let mut t = tar::Builder::new(std::fs::File::create(&tarball).unwrap());
        t.follow_symlinks(false);
        t.append_dir_all(".", &rootfs).unwrap();
        t.finish().unwrap();
    }
    b.cmd_stdin(&["import", "-", "debian:bookworm"], &tarball)
        .ok();
    let gateway = {
        b.cmd(&["network", "ls"]).ok();
        b.cmd(&[
            "network",
            "inspect",
            "-f",
            "{{(index .IPAM.Config 0).Gateway}}",
            "bridge",
        ])
        .ok()
        .out()
        .to_string()
    };
    let listener =
        berth_net::link::in_netns(&b.netns, || TcpListener::bind("0.0.0.0:0").unwrap()).unwrap();
    let port = listener.local_addr().unwrap().port();
    serve_proxy(listener);
    let ctx = b.dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM debian:bookworm\n\
             ARG APT=\"-o Acquire::http::Proxy=http://{gateway}:{port} -o Acquire::Retries=3\"\n\
             RUN ip=$(hostname -i 2>/dev/null || true); echo \"step address: $ip\"; \
                 apt-get $APT update && apt-get $APT install -y --no-install-recommends hello \
                 && rm -rf /var/lib/apt/lists/*\n\
             CMD [\"hello\"]\n"
        ),
    )
    .unwrap();
    let o = b
        .cmd_timeout(
            &[
                "build",
                "--progress=plain",
                "-t",
                "hello:apt",
                ctx.to_str().unwrap(),
            ],
            Duration::from_secs(600),
        )
        .ok();
    assert!(o.stderr.contains("Setting up hello"), "{o}");
    assert_eq!(
        b.cmd(&["run", "--rm", "hello:apt"]).ok().out(),
        "Hello, world!"
    );
}
