//! The service process (`berth system service`): idle exit, a clean exit on SIGTERM that
//! leaves containers running, one service per socket, stale sockets replaced, the socket's
//! mode, systemd socket activation, and tcp:// only with TLS client certificates.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use berth_e2e::api::{raw_request, Api, DOCKER_CLI};
use berth_e2e::engine::Berth;
use berth_e2e::wait_until;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A service (or an activator that execs one) started by a test; stopped by pid on drop.
struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Starts `program args...` inside the test's network namespace (nsenter execs it, so
    /// the child's pid is the program's), output to `<dir>/<name>.log`.
    fn start(b: &Berth, name: &str, program: &Path, args: &[String]) -> Service {
        let log = b.dir.join(format!("{name}.log"));
        let f = File::create(&log).expect("create service log");
        let child = Command::new("/usr/bin/nsenter")
            .arg(format!("--net={}", b.netns.display()))
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("dup log"))
            .stderr(f)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        Service { child, log }
    }

    /// `berth --root <root> system service args...`.
    fn berth(b: &Berth, name: &str, args: &[&str]) -> Service {
        let mut full = vec![
            "--root".to_string(),
            b.root.display().to_string(),
            "system".into(),
            "service".into(),
        ];
        full.extend(args.iter().map(|s| s.to_string()));
        Service::start(b, name, &b.real_bin, &full)
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `timeout` for the process to exit on its own.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }

    /// SIGTERM, then waits (SIGKILL after 10 s).
    fn terminate(&mut self) -> Option<ExitStatus> {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let st = self.wait_exit(Duration::from_secs(10));
        if st.is_none() {
            let _ = self.child.kill();
            return self.child.wait().ok();
        }
        st
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

fn answers_ping(socket: &Path) -> bool {
    UnixStream::connect(socket).is_ok() && raw_request(socket, "GET", "/_ping", None).1 == "OK"
}

#[test]
fn idle_exit_removes_the_socket_which_is_mode_0660() {
    let Some(b) = Berth::new("api-idle") else {
        return;
    };
    let sock = b.dir.join("idle.sock");
    let uri = format!("unix://{}", sock.display());
    let mut svc = Service::berth(&b, "idle", &["--time", "1", &uri]);
    assert!(
        wait_until(Duration::from_secs(20), || answers_ping(&sock)),
        "the service did not answer:\n{}",
        svc.log()
    );
    let mode = fs::metadata(&sock).expect("socket").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o660, "socket mode {mode:o}");
    assert!(
        svc.log().contains("root"),
        "no warning that access is root access:\n{}",
        svc.log()
    );
    let st = svc.wait_exit(Duration::from_secs(20));
    assert!(
        st.is_some_and(|s| s.success()),
        "no clean idle exit ({st:?}):\n{}",
        svc.log()
    );
    assert!(!sock.exists(), "the socket was left behind");
}

#[test]
fn sigterm_exits_cleanly_and_leaves_containers_running() {
    let Some(mut api) = Api::new("api-sigterm") else {
        return;
    };
    let img = api.berth.busybox_image("svc-term");
    let name = format!("svc-term-{}", std::process::id());
    api.berth
        .cmd(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            "none",
            &img,
            "sleep",
            "300",
        ])
        .ok();
    let (status, _) = api.request("GET", "/_ping", None);
    assert_eq!(status, 200);
    let st = api.stop_service();
    assert!(
        st.is_some_and(|s| s.success()),
        "SIGTERM: not a clean exit ({st:?}):\n{}",
        api.service_log()
    );
    assert!(!api.socket.exists(), "the socket was left behind");
    let ps = api.berth.cmd(&["ps", "--format", "{{.Names}}"]).ok();
    assert!(
        ps.lines().contains(&name),
        "container gone after SIGTERM:\n{ps}"
    );
    let running = api
        .berth
        .cmd(&["inspect", "--format", "{{.State.Running}}", &name])
        .ok();
    assert_eq!(running.out().trim(), "true", "{running}");
}

#[test]
fn one_service_per_socket_and_stale_sockets_replaced() {
    let Some(api) = Api::new("api-one-per-socket") else {
        return;
    };
    let sock = api.socket.display().to_string();
    let mut second = Service::berth(
        &api.berth,
        "second",
        &["--time", "0", &format!("unix://{sock}")],
    );
    let st = second.wait_exit(Duration::from_secs(20));
    assert!(
        st.is_some_and(|s| !s.success()),
        "a second service on the same socket was not refused ({st:?}):\n{}",
        second.log()
    );
    assert!(
        second.log().contains("already listening"),
        "{}",
        second.log()
    );
    assert!(
        answers_ping(&api.socket),
        "the first service stopped answering"
    );

    // A socket file nobody listens on (a killed service's) is replaced.
    let stale = api.berth.dir.join("stale.sock");
    drop(UnixListener::bind(&stale).expect("bind"));
    assert!(stale.exists());
    let mut svc = Service::berth(
        &api.berth,
        "stale",
        &["--time", "0", &format!("unix://{}", stale.display())],
    );
    assert!(
        wait_until(Duration::from_secs(20), || answers_ping(&stale)),
        "no service on the stale socket:\n{}",
        svc.log()
    );
    let st = svc.terminate();
    assert!(st.is_some_and(|s| s.success()), "{st:?}:\n{}", svc.log());
}

#[test]
fn socket_activation_uses_the_passed_socket() {
    let Some(b) = Berth::new("api-activation") else {
        return;
    };
    let sock = b.dir.join("activated.sock");
    let mut args = vec![
        "--root".to_string(),
        b.root.display().to_string(),
        "system".into(),
        "service".into(),
        "--time".into(),
        "0".into(),
    ];
    // systemd's own activator when installed, else the same steps in python: bind, listen,
    // fd 3, LISTEN_FDS=1 and LISTEN_PID=<pid>, exec (the pid stays).
    let activator = Path::new("/usr/bin/systemd-socket-activate");
    let mut svc = if activator.exists() {
        let mut full = vec!["-l".to_string(), sock.display().to_string()];
        full.push(b.real_bin.display().to_string());
        full.append(&mut args);
        Service::start(&b, "activated", activator, &full)
    } else {
        let script = "import os,socket,sys\n\
            s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(16)\n\
            os.dup2(s.fileno(),3)\n\
            os.environ['LISTEN_FDS']='1'; os.environ['LISTEN_PID']=str(os.getpid())\n\
            os.execv(sys.argv[2], sys.argv[2:])\n";
        let mut full = vec![
            "-c".to_string(),
            script.to_string(),
            sock.display().to_string(),
            b.real_bin.display().to_string(),
        ];
        full.append(&mut args);
        Service::start(&b, "activated", Path::new("/usr/bin/python3"), &full)
    };
    assert!(
        wait_until(Duration::from_secs(20), || answers_ping(&sock)),
        "no answer on the activated socket:\n{}",
        svc.log()
    );
    assert!(
        svc.log().contains("socket activation"),
        "the service did not say it was activated:\n{}",
        svc.log()
    );
    let (status, body) = raw_request(&sock, "GET", "/version", None);
    assert_eq!(status, 200, "{body}");
    let st = svc.terminate();
    assert!(st.is_some_and(|s| s.success()), "{st:?}:\n{}", svc.log());
    // The socket is the activator's: the service leaves it in place.
    assert!(sock.exists(), "the activator's socket was removed");
}

#[test]
fn tcp_without_tls_is_refused() {
    let Some(b) = Berth::new("api-tcp-plain") else {
        return;
    };
    let out = b
        .cmd(&["system", "service", "--time", "1", "tcp://127.0.0.1:2375"])
        .fails();
    assert!(
        out.stderr_now().contains("without TLS") && out.stderr_now().contains("--tlscacert"),
        "{out}"
    );
    // Half the flags is still a refusal, naming what is missing.
    let out = b
        .cmd(&[
            "system",
            "service",
            "--tlsverify",
            "--tlscacert",
            "/nonexistent",
            "tcp://127.0.0.1:2375",
        ])
        .fails();
    assert!(out.stderr_now().contains("--tlskey"), "{out}");
}

/// Runs openssl in `dir`; panics when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        o.status.success(),
        "openssl {args:?}:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const EC: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

/// A CA `<name>-ca.{crt,key}` in `dir`.
fn make_ca(dir: &Path, name: &str) {
    let (key, crt, subj) = (
        format!("{name}-ca.key"),
        format!("{name}-ca.crt"),
        format!("/CN=berth-e2e {name} CA"),
    );
    let mut a = vec!["req", "-x509"];
    a.extend(EC);
    a.extend([
        "-keyout",
        &key,
        "-out",
        &crt,
        "-days",
        "2",
        "-subj",
        &subj,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &a);
}

/// A certificate `<name>.{crt,key}` signed by `<ca>-ca`, with extensions `ext`.
fn make_cert(dir: &Path, ca: &str, name: &str, serial: &str, ext: &str) {
    let (key, csr, crt, extf) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("{name}.ext"),
    );
    fs::write(dir.join(&extf), ext).expect("write ext");
    let subj = format!("/CN={name}");
    let mut a = vec!["req", "-new"];
    a.extend(EC);
    a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
    openssl(dir, &a);
    let (cacrt, cakey) = (format!("{ca}-ca.crt"), format!("{ca}-ca.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &cacrt,
            "-CAkey",
            &cakey,
            "-set_serial",
            serial,
            "-days",
            "2",
            "-extfile",
            &extf,
            "-out",
            &crt,
        ],
    );
}

#[test]
fn tls_requires_a_client_certificate_from_the_ca() {
    let Some(b) = Berth::new("api-tls") else {
        return;
    };
    let certs = b.dir.join("certs");
    fs::create_dir_all(&certs).expect("certs dir");
    make_ca(&certs, "good");
    make_ca(&certs, "other");
    make_cert(
        &certs,
        "good",
        "server",
        "0x1001",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    );
    let client_ext = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                      extendedKeyUsage=clientAuth\n";
    make_cert(&certs, "good", "client", "0x1002", client_ext);
    make_cert(&certs, "other", "stranger", "0x2001", client_ext);
    let c = |f: &str| certs.join(f).display().to_string();

    let port = berth_e2e::registry::in_netns(&b.netns, || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind in the netns");
        l.local_addr().expect("addr").port()
    });
    let host = format!("tcp://127.0.0.1:{port}");
    let mut svc = Service::berth(
        &b,
        "tls",
        &[
            "--time",
            "0",
            "--tlsverify",
            "--tlscacert",
            &c("good-ca.crt"),
            "--tlscert",
            &c("server.crt"),
            "--tlskey",
            &c("server.key"),
            &host,
        ],
    );
    let config = b.dir.join("docker-config");
    fs::create_dir_all(&config).expect("docker config dir");
    let config = config.display().to_string();
    let docker = |cert: &str, key: &str| {
        b.in_netns(&[
            "env",
            &format!("DOCKER_CONFIG={config}"),
            DOCKER_CLI,
            "--tlsverify",
            "--tlscacert",
            &c("good-ca.crt"),
            "--tlscert",
            &c(cert),
            "--tlskey",
            &c(key),
            "-H",
            &host,
            "version",
            "--format",
            "{{.Server.APIVersion}}",
        ])
    };
    let mut last = None;
    let up = wait_until(Duration::from_secs(20), || {
        let o = docker("client.crt", "client.key");
        let ok = o.success();
        last = Some(o);
        ok
    });
    let last = last.expect("docker ran");
    assert!(up, "docker over TLS failed:\n{last}\n{}", svc.log());
    assert_eq!(last.out().trim(), "1.41", "{last}");

    // No client certificate, or one from another CA: the handshake is refused.
    let curl = |extra: &[&str]| {
        let mut a = vec!["curl", "-sS", "--max-time", "10", "--cacert"];
        let ca = c("good-ca.crt");
        a.push(&ca);
        a.extend(extra);
        let url = format!("https://127.0.0.1:{port}/_ping");
        a.push(&url);
        b.in_netns(&a)
    };
    let anon = curl(&[]);
    assert!(
        !anon.success() && anon.out() != "OK",
        "no client certificate accepted: {anon}"
    );
    let (sc, sk) = (c("stranger.crt"), c("stranger.key"));
    let stranger = curl(&["--cert", &sc, "--key", &sk]);
    assert!(
        !stranger.success() && stranger.out() != "OK",
        "a certificate from another CA accepted: {stranger}"
    );
    let (cc, ck) = (c("client.crt"), c("client.key"));
    let good = curl(&["--cert", &cc, "--key", &ck]).ok();
    assert_eq!(good.out(), "OK", "{good}");
    let log = svc.log();
    assert!(
        log.contains("TLS handshake"),
        "refused handshakes not logged:\n{log}"
    );
    let st = svc.terminate();
    assert!(st.is_some_and(|s| s.success()), "{st:?}:\n{}", svc.log());
}
