//! Real registries for the registry tests (`4xx`): Debian's `docker-registry` (distribution
//! 2.8) started inside a test's network namespace, on 127.0.0.1 and a free port there, with its
//! storage, config, keys and log in a temp dir below the test's dir.
//!
//! Three modes:
//! * [`Registry::plain`]: plain HTTP, no auth (`storage.delete` enabled).
//! * [`Registry::tls_basic`]: HTTPS with a test CA made with the openssl CLI (server cert for
//!   IP 127.0.0.1 and DNS localhost) and `auth: htpasswd` (bcrypt). The CA is written where
//!   Docker looks for it, `/etc/docker/certs.d/127.0.0.1:<port>/ca.crt` (a directory of this
//!   registry alone: it is created exclusively, another port is picked if it exists, and it is
//!   removed on drop); [`Registry::client_ca_dir`] holds a copy for `--cert-dir`-style flags.
//! * [`Registry::token`]: plain HTTP with `auth: token`, and the token issuer of
//!   `fixtures/registry/token_issuer.py` (python3-jwt) on a second port: anonymous clients get
//!   pull access (nothing on `private/...` repositories), the given users pull and push, a
//!   wrong password is a 401. [`Registry::token_with_lifetime`] makes the registry refuse
//!   every token that many seconds after it was issued (see the script's docs).
//!
//! Everything runs through `nsenter --net=<netns>`, so all traffic stays on the loopback of
//! the test's namespace; to drive a peer that is no CLI of its own (a private dockerd, podman),
//! start or run it through [`in_netns`]. Processes are stopped by pid and waited for on drop
//! (also on panic). Readiness is `GET /v2/` answered (200 or 401) within 10 s; else the panic
//! shows the log tail.
//!
//! [`Client`] runs berth with a private `DOCKER_CONFIG` (credentials); [`BerthEnv`] adds
//! `cmd_env` to [`Berth`] for other environment variables.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::cmd::{self, Output};
use crate::engine::{Berth, ENGINE_TIMEOUT};
use crate::peers::PEER_TIMEOUT;
use crate::runtime::which;

/// The tools the registry tests need, with their Debian packages (python3-jwt and
/// python3-cryptography are checked by [`skip`] too).
pub const TOOLS: [(&str, &str); 6] = [
    ("docker-registry", "docker-registry"),
    ("skopeo", "skopeo"),
    ("curl", "curl"),
    ("openssl", "openssl"),
    ("htpasswd", "apache2-utils"),
    ("nsenter", "util-linux"),
];

/// The `service` of token mode (the tokens' audience).
pub const SERVICE: &str = "berth-test";
/// The `issuer` of token mode's tokens.
pub const ISSUER: &str = "berth-test-issuer";
/// Token mode's default token lifetime.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// How long a registry (or the token issuer) may take to answer.
const START: Duration = Duration::from_secs(10);
/// Where Docker (and podman, skopeo) look for a registry's CA: `<CERTS_D>/<host:port>/ca.crt`.
pub const CERTS_D: &str = "/etc/docker/certs.d";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether the registry test `name` must be skipped (the harness's reasons, a tool of
/// [`TOOLS`] missing, or python3 without jwt/cryptography); printed, a failure under `CI` /
/// `BERTH_E2E_REQUIRE`.
pub fn skip(name: &str) -> bool {
    if crate::peers::skip_unless_installed(name, &TOOLS) {
        return true;
    }
    crate::skipped(name, python_problem())
}

/// The python3 that has Debian's modules (not a pyenv shim first on PATH).
fn python3() -> PathBuf {
    let deb = Path::new("/usr/bin/python3");
    if deb.is_file() {
        return deb.to_path_buf();
    }
    which("python3".as_ref()).unwrap_or_else(|| deb.to_path_buf())
}

/// Why the token issuer cannot run, if it cannot.
fn python_problem() -> Option<String> {
    static PROBLEM: OnceLock<Option<String>> = OnceLock::new();
    PROBLEM
        .get_or_init(|| {
            let py = python3();
            let ok = Command::new(&py)
                .args(["-c", "import jwt, cryptography.x509"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            (!ok).then(|| {
                format!(
                    "{} cannot import jwt and cryptography (apt-get install python3-jwt \
                     python3-cryptography)",
                    py.display()
                )
            })
        })
        .clone()
}

/// The token issuer script.
pub fn token_issuer_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/registry/token_issuer.py")
}

/// Runs `f` on a thread inside the network namespace `netns` and returns its result. A
/// process `f` starts (`Command::spawn`) is born in that namespace: use it for peers that talk
/// to a registry themselves (`Docker::start`, `Podman::cmd`). Panics if the namespace cannot
/// be entered; a panic in `f` is resumed here.
pub fn in_netns<T: Send>(netns: &Path, f: impl FnOnce() -> T + Send) -> T {
    berth_net::link::in_netns(netns, f)
        .unwrap_or_else(|e| panic!("enter network namespace {}: {e}", netns.display()))
}

/// `n` distinct ports free on 127.0.0.1 in `netns` (bound together, then released; nothing
/// else runs in a test's namespace to take them meanwhile).
fn free_ports(netns: &Path, n: usize) -> Vec<u16> {
    in_netns(netns, || {
        let ls: Vec<TcpListener> = (0..n)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 in the netns"))
            .collect();
        ls.iter()
            .map(|l| l.local_addr().expect("local addr").port())
            .collect()
    })
}

fn nsenter() -> PathBuf {
    which("nsenter".as_ref()).unwrap_or_else(|| PathBuf::from("/usr/bin/nsenter"))
}

fn env_bin() -> PathBuf {
    which("env".as_ref()).unwrap_or_else(|| PathBuf::from("/usr/bin/env"))
}

fn tool(name: &str) -> PathBuf {
    which(name.as_ref()).unwrap_or_else(|| panic!("{name} is not on PATH"))
}

/// SIGTERM to the child's pid, SIGKILL after 5 s, then reaps it.
fn stop_child(mut c: Child) {
    let pid = c.id() as i32;
    if let Ok(None) = c.try_wait() {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = c.wait();
}

/// The last `n` lines of a log file ("" when missing).
fn tail(path: &Path, n: usize) -> String {
    let log = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// How the registry authenticates clients; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain HTTP, anonymous.
    Plain,
    /// HTTPS (test CA) and htpasswd basic auth.
    TlsBasic,
    /// Plain HTTP and token auth with the test token issuer.
    Token,
}

/// A running registry (and token issuer); stopped and cleaned up on drop.
pub struct Registry {
    /// How clients authenticate.
    pub mode: Mode,
    /// This registry's temp dir (storage, config, keys, logs).
    pub dir: PathBuf,
    /// The network namespace it runs in.
    pub netns: PathBuf,
    port: u16,
    issuer_port: Option<u16>,
    registry: Option<Child>,
    issuer: Option<Child>,
    ca: Option<PathBuf>,
    certs_d: Option<PathBuf>,
    made_parents: Vec<PathBuf>,
    users: Vec<(String, String)>,
}

impl Registry {
    /// A fresh struct (nothing started yet) whose drop already cleans up what later steps make.
    fn empty(mode: Mode, netns: &Path, dir: &Path, users: &[(&str, &str)]) -> Registry {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let rdir = dir.join(format!("registry-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&rdir);
        fs::create_dir_all(rdir.join("storage")).expect("create registry dir");
        fs::set_permissions(&rdir, fs::Permissions::from_mode(0o755)).expect("chmod registry dir");
        Registry {
            mode,
            dir: rdir,
            netns: netns.to_path_buf(),
            port: 0,
            issuer_port: None,
            registry: None,
            issuer: None,
            ca: None,
            certs_d: None,
            made_parents: Vec::new(),
            users: users
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
        }
    }

    /// A plain-HTTP, anonymous registry in `netns`, its files below `dir`.
    pub fn plain(netns: &Path, dir: &Path) -> Registry {
        let mut r = Registry::empty(Mode::Plain, netns, dir, &[]);
        r.port = free_ports(netns, 1)[0];
        r.start_registry("");
        r
    }

    /// An HTTPS registry with htpasswd auth for `user`/`password`; its CA is in Docker's
    /// `certs.d` place (see the module docs) and [`Registry::client_ca_dir`].
    pub fn tls_basic(netns: &Path, dir: &Path, user: &str, password: &str) -> Registry {
        let mut r = Registry::empty(Mode::TlsBasic, netns, dir, &[(user, password)]);
        r.make_tls();
        r.pick_port_with_certs_d();
        let htpasswd = r.dir.join("htpasswd");
        r.run_tool(
            "htpasswd",
            &["-B", "-b", "-c", htpasswd.to_str().unwrap(), user, password],
        );
        let d = r.dir.display().to_string();
        let extra = format!(
            "  tls:\n    certificate: {d}/tls/server.crt\n    key: {d}/tls/server.key\n\
             auth:\n  htpasswd:\n    realm: berth-test\n    path: {d}/htpasswd\n"
        );
        r.start_registry(&extra);
        r
    }

    /// A token-auth registry with its token issuer; `users` may pull and push, anonymous
    /// clients pull (except `private/...`). Tokens live [`DEFAULT_TOKEN_LIFETIME`].
    pub fn token(netns: &Path, dir: &Path, users: &[(&str, &str)]) -> Registry {
        Registry::token_mode(netns, dir, users, DEFAULT_TOKEN_LIFETIME, false)
    }

    /// [`Registry::token`] with tokens the registry refuses `lifetime` after they were issued
    /// (`expires_in` says so too): clients must fetch new ones during a long push.
    pub fn token_with_lifetime(
        netns: &Path,
        dir: &Path,
        users: &[(&str, &str)],
        lifetime: Duration,
    ) -> Registry {
        Registry::token_mode(netns, dir, users, lifetime, true)
    }

    fn token_mode(
        netns: &Path,
        dir: &Path,
        users: &[(&str, &str)],
        lifetime: Duration,
        exact: bool,
    ) -> Registry {
        let mut r = Registry::empty(Mode::Token, netns, dir, users);
        let ports = free_ports(netns, 2);
        r.port = ports[0];
        r.issuer_port = Some(ports[1]);
        let tdir = r.dir.join("token");
        fs::create_dir_all(&tdir).expect("create token dir");
        fs::write(
            tdir.join("req.cnf"),
            format!(
                "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n\
                 [dn]\nCN = {ISSUER}\n[ext]\nbasicConstraints = critical,CA:TRUE\n\
                 keyUsage = critical,digitalSignature,keyCertSign\nsubjectKeyIdentifier = hash\n"
            ),
        )
        .expect("write token req.cnf");
        let t = |f: &str| tdir.join(f).display().to_string();
        r.run_tool(
            "openssl",
            &[
                "req",
                "-x509",
                "-config",
                &t("req.cnf"),
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &t("sign.key"),
                "-out",
                &t("sign.crt"),
                "-days",
                "2",
            ],
        );
        let users_json: serde_json::Map<String, Value> = users
            .iter()
            .map(|(u, p)| (u.to_string(), Value::String(p.to_string())))
            .collect();
        let users_file = tdir.join("users.json");
        fs::write(&users_file, Value::Object(users_json).to_string()).expect("write users.json");
        fs::set_permissions(&users_file, fs::Permissions::from_mode(0o600)).expect("chmod");

        // The issuer first: the registry's challenge points at it.
        let issuer_addr = r.issuer_addr().unwrap();
        let mut args = vec![
            token_issuer_script().display().to_string(),
            "--listen".into(),
            issuer_addr.clone(),
            "--key".into(),
            t("sign.key"),
            "--cert".into(),
            t("sign.crt"),
            "--users".into(),
            users_file.display().to_string(),
            "--issuer".into(),
            ISSUER.into(),
            "--service".into(),
            SERVICE.into(),
            "--lifetime".into(),
            lifetime.as_secs().max(1).to_string(),
        ];
        if exact {
            args.push("--exact-expiry".into());
        }
        let child = r.spawn(&python3(), &args, &r.dir.join("issuer.log"));
        r.issuer = Some(child);
        r.wait_ready(
            &format!("http://{issuer_addr}/token?service={SERVICE}"),
            "token issuer",
            true,
        );

        let extra = format!(
            "auth:\n  token:\n    realm: http://{issuer_addr}/token\n    service: {SERVICE}\n\
             \x20   issuer: {ISSUER}\n    rootcertbundle: {}\n",
            t("sign.crt")
        );
        r.start_registry(&extra);
        r
    }

    /// Runs a tool (outside the namespace: no networking) that must succeed.
    fn run_tool(&self, name: &str, args: &[&str]) -> Output {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let o = cmd::run(&tool(name), &args, &self.dir.join("out"), PEER_TIMEOUT);
        assert!(o.success(), "registry setup: {name} failed:\n{o}");
        o
    }

    /// The test CA and the server certificate (127.0.0.1, localhost), EC P-256, 2 days.
    fn make_tls(&mut self) {
        let tls = self.dir.join("tls");
        fs::create_dir_all(&tls).expect("create tls dir");
        let p = |f: &str| tls.join(f).display().to_string();
        fs::write(
            tls.join("ca.cnf"),
            "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ext\n\
             [dn]\nCN = berth-e2e test CA\n[ext]\nbasicConstraints = critical,CA:TRUE\n\
             keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n",
        )
        .expect("write ca.cnf");
        fs::write(
            tls.join("server.cnf"),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = 127.0.0.1\n",
        )
        .expect("write server.cnf");
        fs::write(
            tls.join("server.ext"),
            "basicConstraints = critical,CA:FALSE\n\
             keyUsage = critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage = serverAuth\n\
             subjectAltName = IP:127.0.0.1,DNS:localhost\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid,issuer\n",
        )
        .expect("write server.ext");
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut a = vec!["req", "-x509", "-config"];
        let (cnf, key, crt) = (p("ca.cnf"), p("ca.key"), p("ca.crt"));
        a.extend([cnf.as_str()]);
        a.extend(ec);
        a.extend(["-keyout", &key, "-out", &crt, "-days", "2"]);
        self.run_tool("openssl", &a);
        let (scnf, skey, csr) = (p("server.cnf"), p("server.key"), p("server.csr"));
        let mut a = vec!["req", "-new", "-config", scnf.as_str()];
        a.extend(ec);
        a.extend(["-keyout", &skey, "-out", &csr]);
        self.run_tool("openssl", &a);
        let serial = format!(
            "0x{:x}{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let (ext, scrt) = (p("server.ext"), p("server.crt"));
        self.run_tool(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &crt,
                "-CAkey",
                &key,
                "-set_serial",
                &serial,
                "-days",
                "2",
                "-extfile",
                &ext,
                "-out",
                &scrt,
            ],
        );
        let client = self.dir.join("client-certs");
        fs::create_dir_all(&client).expect("create client-certs");
        fs::copy(&crt, client.join("ca.crt")).expect("copy ca.crt");
        self.ca = Some(PathBuf::from(crt));
    }

    /// Picks a free port whose `certs.d/127.0.0.1:<port>` directory this registry can create
    /// exclusively (tests in other namespaces may use the same port number), and puts the CA
    /// there.
    fn pick_port_with_certs_d(&mut self) {
        let certs_d = Path::new(CERTS_D);
        for p in [certs_d.parent().unwrap(), certs_d] {
            if !p.exists() && fs::create_dir(p).is_ok() {
                self.made_parents.push(p.to_path_buf());
            }
        }
        let ca = self.ca.clone().expect("CA made");
        for _ in 0..50 {
            let port = free_ports(&self.netns, 1)[0];
            let d = certs_d.join(format!("127.0.0.1:{port}"));
            match fs::create_dir(&d) {
                Ok(()) => {
                    self.certs_d = Some(d.clone());
                    self.port = port;
                    fs::copy(&ca, d.join("ca.crt")).expect("write certs.d ca.crt");
                    return;
                }
                // Another test's; or its parent just vanished (another test's cleanup).
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    let _ = fs::create_dir_all(certs_d);
                }
                Err(e) => panic!("create {}: {e}", d.display()),
            }
        }
        panic!("no free port with an unused {CERTS_D}/127.0.0.1:<port> directory");
    }

    /// Starts a process in the namespace (`nsenter --net=`, which execs it: the child's pid is
    /// the process's), output to `log`.
    fn spawn(&self, program: &Path, args: &[String], log: &Path) -> Child {
        let log = File::create(log).expect("create log");
        Command::new(nsenter())
            .arg(format!("--net={}", self.netns.display()))
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()))
    }

    /// Writes the config (common part plus `extra`, which may continue the `http:` section
    /// and add `auth:`), starts `docker-registry serve` and waits for `/v2/`.
    fn start_registry(&mut self, extra: &str) {
        let d = self.dir.display().to_string();
        let secret = format!("berth-e2e-{}-{}", std::process::id(), self.port);
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\n\
             storage:\n  filesystem:\n    rootdirectory: {d}/storage\n  delete:\n    enabled: true\n\
             \x20 maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: 127.0.0.1:{}\n  secret: {secret}\n{extra}",
            self.port
        );
        let path = self.dir.join("config.yml");
        fs::write(&path, config).expect("write registry config");
        let child = self.spawn(
            &tool("docker-registry"),
            &["serve".into(), path.display().to_string()],
            &self.dir.join("registry.log"),
        );
        self.registry = Some(child);
        let url = self.url("/v2/");
        self.wait_ready(&url, "registry", false);
    }

    /// Polls `url` with curl in the namespace until it answers (200, or 401 unless
    /// `want_200`); panics with the log tail when the process exits or [`START`] passes.
    fn wait_ready(&mut self, url: &str, what: &str, issuer: bool) {
        let start = Instant::now();
        loop {
            let code = self.http_code(url);
            if code == "200" || (!issuer && code == "401") {
                return;
            }
            let child = if issuer {
                self.issuer.as_mut()
            } else {
                self.registry.as_mut()
            };
            let exited = child
                .map(|c| !matches!(c.try_wait(), Ok(None)))
                .unwrap_or(true);
            if exited || start.elapsed() > START {
                panic!(
                    "{what} at {url} did not come up ({}; last answer {code:?}):\n{}",
                    if exited { "it exited" } else { "timed out" },
                    self.log_tail(30)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The HTTP status of `GET url` in the namespace ("000": no answer).
    fn http_code(&self, url: &str) -> String {
        let mut c = Command::new(nsenter());
        c.arg(format!("--net={}", self.netns.display()))
            .arg(tool("curl"))
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "2",
            ]);
        if let Some(ca) = &self.ca {
            c.arg("--cacert").arg(ca);
        }
        c.arg(url)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }

    /// `127.0.0.1:PORT`: the registry part of image references.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `<addr>/<path>`: an image reference in this registry (`r.image("bb:1")`).
    pub fn image(&self, path: &str) -> String {
        format!("{}/{path}", self.addr())
    }

    /// `http(s)://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.mode == Mode::TlsBasic {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}{path}", self.addr())
    }

    /// The token issuer's `127.0.0.1:PORT` (token mode).
    pub fn issuer_addr(&self) -> Option<String> {
        self.issuer_port.map(|p| format!("127.0.0.1:{p}"))
    }

    /// The test CA's certificate (TLS mode).
    pub fn ca_cert(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// A directory holding only `ca.crt` (TLS mode), for `--cert-dir DIR` flags.
    pub fn client_ca_dir(&self) -> Option<PathBuf> {
        self.ca.as_ref().map(|_| self.dir.join("client-certs"))
    }

    /// The directory `certs.d/127.0.0.1:<port>` this registry's CA was put in (TLS mode).
    pub fn certs_d_dir(&self) -> Option<&Path> {
        self.certs_d.as_deref()
    }

    /// Removes the CA from `certs.d` (TLS mode; the directory itself goes on drop), so that
    /// clients only trust the registry when given [`Registry::client_ca_dir`].
    pub fn remove_ca_from_certs_d(&self) {
        if let Some(d) = &self.certs_d {
            fs::remove_file(d.join("ca.crt")).expect("remove certs.d ca.crt");
        }
    }

    /// The users (name, password) that may push.
    pub fn users(&self) -> &[(String, String)] {
        &self.users
    }

    /// `user:password` of the first user, if any.
    pub fn creds(&self) -> Option<String> {
        self.users.first().map(|(u, p)| format!("{u}:{p}"))
    }

    /// The last `n` lines of the registry's log (and the token issuer's).
    pub fn log_tail(&self, n: usize) -> String {
        let mut s = format!(
            "--- registry log ({}):\n{}",
            self.dir.join("registry.log").display(),
            tail(&self.dir.join("registry.log"), n)
        );
        if self.mode == Mode::Token {
            s.push_str(&format!(
                "\n--- token issuer log:\n{}",
                tail(&self.dir.join("issuer.log"), n)
            ));
        }
        s
    }

    /// The token issuer's log (one line per request; token mode).
    pub fn issuer_log(&self) -> String {
        fs::read_to_string(self.dir.join("issuer.log")).unwrap_or_default()
    }

    /// Runs `program args...` in the namespace through `env vars...`, output under the
    /// registry's dir.
    pub fn run_in_netns(&self, vars: &[(&str, &str)], program: &Path, args: &[&str]) -> Output {
        let mut full = vec![
            format!("--net={}", self.netns.display()),
            env_bin().display().to_string(),
        ];
        full.extend(vars.iter().map(|(k, v)| format!("{k}={v}")));
        full.push(program.display().to_string());
        full.extend(args.iter().map(|s| s.to_string()));
        cmd::run(&nsenter(), &full, &self.dir.join("out"), PEER_TIMEOUT)
    }

    /// `skopeo args...` in the namespace, with an empty auth file of its own (no host
    /// credentials) and no Docker config.
    pub fn skopeo(&self, args: &[&str]) -> Output {
        let auth = self.dir.join("skopeo-auth.json");
        let dc = self.dir.join("skopeo-docker-config");
        self.run_in_netns(
            &[
                ("REGISTRY_AUTH_FILE", auth.to_str().unwrap()),
                ("DOCKER_CONFIG", dc.to_str().unwrap()),
            ],
            &tool("skopeo"),
            args,
        )
    }

    /// skopeo's flags to reach this registry as a source (`"src"`) or destination (`"dest"`),
    /// or for `inspect` / `list-tags` (`""`): TLS verification off for plain HTTP (HTTPS is
    /// verified with the CA in certs.d), and the first user's credentials when there are any.
    pub fn skopeo_flags(&self, side: &str) -> Vec<String> {
        let pre = if side.is_empty() {
            String::new()
        } else {
            format!("{side}-")
        };
        let mut f = Vec::new();
        if self.mode != Mode::TlsBasic {
            f.push(format!("--{pre}tls-verify=false"));
        }
        if let Some(c) = self.creds() {
            f.push(format!("--{pre}creds"));
            f.push(c);
        }
        f
    }

    /// `skopeo copy [extra...] <src> docker://<addr>/<dest>` as the first user (pushes an
    /// image made elsewhere, e.g. `oci-archive:/path`); returns skopeo's output (unchecked).
    pub fn skopeo_push(&self, src: &str, dest: &str, extra: &[&str]) -> Output {
        let to = format!("docker://{}", self.image(dest));
        let flags = self.skopeo_flags("dest");
        let mut a: Vec<&str> = vec!["copy"];
        a.extend(flags.iter().map(String::as_str));
        a.extend(extra);
        a.extend([src, to.as_str()]);
        self.skopeo(&a)
    }

    /// `skopeo inspect [extra...] docker://<addr>/<path>` as the first user, parsed; panics
    /// when skopeo fails.
    pub fn skopeo_inspect(&self, path: &str, extra: &[&str]) -> Value {
        let from = format!("docker://{}", self.image(path));
        let flags = self.skopeo_flags("");
        let mut a: Vec<&str> = vec!["inspect"];
        a.extend(flags.iter().map(String::as_str));
        a.extend(extra);
        a.push(&from);
        let o = self.skopeo(&a);
        assert!(
            o.success(),
            "skopeo inspect {from}:\n{o}\n{}",
            self.log_tail(20)
        );
        serde_json::from_str(&o.stdout)
            .unwrap_or_else(|e| panic!("skopeo inspect {from}: not JSON ({e}):\n{o}"))
    }

    /// The tags of `repo` (skopeo list-tags as the first user); empty when it has none or
    /// does not exist.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let from = format!("docker://{}", self.image(repo));
        let flags = self.skopeo_flags("");
        let mut a: Vec<&str> = vec!["list-tags"];
        a.extend(flags.iter().map(String::as_str));
        a.push(&from);
        let o = self.skopeo(&a);
        let v: Value = serde_json::from_str(&o.stdout).unwrap_or(Value::Null);
        let mut tags: Vec<String> = v["Tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }

    /// The registry's access log so far: one entry per request, oldest first.
    pub fn access_log(&self) -> Vec<Access> {
        fs::read_to_string(self.dir.join("registry.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(Access::parse)
            .collect()
    }

    /// `curl -sS --max-time 30 [--cacert CA] args...` in the namespace.
    pub fn curl(&self, args: &[&str]) -> Output {
        let mut a: Vec<&str> = vec!["-sS", "--max-time", "30"];
        let ca = self.ca.as_ref().map(|c| c.display().to_string());
        if let Some(ca) = &ca {
            a.extend(["--cacert", ca.as_str()]);
        }
        a.extend(args);
        self.run_in_netns(&[], &tool("curl"), &a)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        for c in [self.registry.take(), self.issuer.take()]
            .into_iter()
            .flatten()
        {
            stop_child(c);
        }
        if let Some(d) = self.certs_d.take() {
            let _ = fs::remove_dir_all(&d);
        }
        // Parents we made, if no other test's registry uses them now.
        for p in self.made_parents.iter().rev() {
            let _ = fs::remove_dir(p);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One line of the registry's access log (combined log format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// When, in seconds since the epoch (the log has whole seconds).
    pub time: i64,
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The request target (path and query).
    pub path: String,
    /// The response status.
    pub status: u16,
    /// The client's User-Agent.
    pub user_agent: String,
}

impl Access {
    /// Parses `127.0.0.1 - - [06/Dec/2026:05:31:06 +0000] "PUT /v2/x HTTP/1.1" 201 0 "" "ua"`.
    fn parse(line: &str) -> Option<Access> {
        let (_, rest) = line.split_once(" [")?;
        let (when, rest) = rest.split_once("] \"")?;
        let (request, rest) = rest.split_once('"')?;
        let mut req = request.split(' ');
        let method = req.next()?.to_string();
        let path = req.next()?.to_string();
        let status = rest.split_whitespace().next()?.parse().ok()?;
        let user_agent = rest.rsplit('"').nth(1).unwrap_or_default().to_string();
        Some(Access {
            time: parse_clf_time(when)?,
            method,
            path,
            status,
            user_agent,
        })
    }
}

/// `06/Dec/2026:05:31:06 +0000` -> seconds since the epoch.
fn parse_clf_time(s: &str) -> Option<i64> {
    let (dt, zone) = s.split_once(' ')?;
    let mut p = dt.split(['/', ':']);
    let day: i64 = p.next()?.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| Some(*m) == p.clone().next())? as i64
        + 1;
    p.next()?;
    let year: i64 = p.next()?.parse().ok()?;
    let (h, mi, se): (i64, i64, i64) = (
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let z: i64 = zone.trim_start_matches(['+', '-']).parse().ok()?;
    let offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Running berth with extra environment variables (e.g. `DOCKER_CONFIG`), like [`Berth::cmd`].
pub trait BerthEnv {
    /// `env VARS... berth --root <root> args...`.
    fn cmd_env(&self, env: &[(&str, &str)], args: &[&str]) -> Output;
    /// [`BerthEnv::cmd_env`] with stdin from a file.
    fn cmd_env_stdin(&self, env: &[(&str, &str)], args: &[&str], stdin: &Path) -> Output;
}

impl BerthEnv for Berth {
    fn cmd_env(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        run_berth_env(self, env, args, None)
    }

    fn cmd_env_stdin(&self, env: &[(&str, &str)], args: &[&str], stdin: &Path) -> Output {
        run_berth_env(self, env, args, Some(stdin))
    }
}

fn run_berth_env(b: &Berth, env: &[(&str, &str)], args: &[&str], stdin: Option<&Path>) -> Output {
    let mut full: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    full.push(b.bin.display().to_string());
    full.push("--root".into());
    full.push(b.root.display().to_string());
    full.extend(args.iter().map(|s| s.to_string()));
    cmd::run_with_stdin(&env_bin(), &full, &b.dir.join("out"), ENGINE_TIMEOUT, stdin)
}

/// The engine test, or `None` when it or the registry tools are missing (skipped, printed).
pub fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    if skip(name) {
        return None;
    }
    Some(b)
}

/// berth's ID of the image `name`.
pub fn image_id(b: &Berth, name: &str) -> String {
    b.cmd(&["image", "inspect", "--format", "{{.Id}}", name])
        .ok()
        .out()
        .to_string()
}

/// berth with a private `DOCKER_CONFIG` (where `login` stores credentials), fresh per client.
pub struct Client<'a> {
    /// The engine test it runs in.
    pub berth: &'a Berth,
    /// `$DOCKER_CONFIG`: a fresh, empty directory (mode 0700) below the test dir.
    pub config_dir: PathBuf,
}

impl<'a> Client<'a> {
    /// A client with a fresh config dir.
    pub fn new(berth: &'a Berth) -> Client<'a> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let config_dir = berth.dir.join(format!("docker-config-{n}"));
        fs::create_dir_all(&config_dir).expect("create DOCKER_CONFIG dir");
        fs::set_permissions(&config_dir, fs::Permissions::from_mode(0o700)).expect("chmod");
        Client { berth, config_dir }
    }

    fn env(&self) -> [(&str, &str); 1] {
        [("DOCKER_CONFIG", self.config_dir.to_str().unwrap())]
    }

    /// `DOCKER_CONFIG=<config_dir> berth --root <root> args...`.
    pub fn cmd(&self, args: &[&str]) -> Output {
        self.berth.cmd_env(&self.env(), args)
    }

    /// [`Client::cmd`] with stdin from a file (`login --password-stdin`).
    pub fn cmd_stdin(&self, args: &[&str], stdin: &Path) -> Output {
        self.berth.cmd_env_stdin(&self.env(), args, stdin)
    }

    /// [`Client::cmd`] with a deadline of its own.
    pub fn cmd_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        let mut full: Vec<String> = vec![
            format!("DOCKER_CONFIG={}", self.config_dir.display()),
            self.berth.bin.display().to_string(),
            "--root".into(),
            self.berth.root.display().to_string(),
        ];
        full.extend(args.iter().map(|s| s.to_string()));
        cmd::run(&env_bin(), &full, &self.berth.dir.join("out"), timeout)
    }

    /// `<config_dir>/config.json`.
    pub fn config_path(&self) -> PathBuf {
        self.config_dir.join("config.json")
    }

    /// config.json parsed (`None` when there is none; panics when it is not JSON).
    pub fn config_json(&self) -> Option<Value> {
        let text = fs::read_to_string(self.config_path()).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{} is not JSON ({e}):\n{text}",
                self.config_path().display()
            )
        }))
    }

    /// The `auths` entry for `server` in config.json, if any.
    pub fn auth_entry(&self, server: &str) -> Option<Value> {
        self.config_json()
            .and_then(|v| v.get("auths").and_then(|a| a.get(server)).cloned())
    }
}

/// The `<tag>: digest: sha256:<hex> size: <n>` lines of `docker push` output: (tag, digest,
/// size).
pub fn push_results(out: &str) -> Vec<(String, String, u64)> {
    out.lines()
        .filter_map(|l| {
            let (tag, rest) = l.trim().split_once(": digest: ")?;
            let (digest, size) = rest.split_once(" size: ")?;
            let hex = digest.strip_prefix("sha256:")?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            Some((
                tag.to_string(),
                digest.to_string(),
                size.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// The digest of `docker pull`'s `Digest: sha256:...` line.
pub fn pull_digest(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Digest: "))
        .map(|d| d.trim().to_string())
}

/// `docker pull`'s `Status: ...` line (without `Status: `).
pub fn pull_status(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Status: "))
        .map(|d| d.trim().to_string())
}

/// `n` bytes no compressor can shrink (xorshift64*; the same `seed` gives the same bytes).
pub fn incompressible(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(n);
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (what config.json's `auth` holds).
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64, standard or URL-safe, padded or not; `None` on other characters.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.trim().trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

/// The claims (payload) of a JWT, unverified.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    let raw = base64_decode(payload).unwrap_or_else(|| panic!("JWT payload not base64: {token}"));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("JWT payload not JSON ({e}): {token}"))
}

/// The header of a JWT.
pub fn jwt_header(token: &str) -> Value {
    let h = token.split('.').next().unwrap_or_default();
    let raw = base64_decode(h).unwrap_or_else(|| panic!("JWT header not base64: {token}"));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("JWT header not JSON ({e}): {token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "user:pass word", "berth:s3cret-pw"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).unwrap(), s.as_bytes(), "{s:?} -> {e}");
        }
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_decode("_-8").unwrap(), vec![0xff, 0xef]);
    }

    #[test]
    fn docker_output_lines_parse() {
        let hex = "a".repeat(64);
        let out =
            format!("The push refers to repository [x/bb]\n1: digest: sha256:{hex} size: 527\n");
        assert_eq!(
            push_results(&out),
            vec![("1".to_string(), format!("sha256:{hex}"), 527)]
        );
        let out = format!("1: Pulling from bb\nDigest: sha256:{hex}\nStatus: Image is up to date for x/bb:1\nx/bb:1\n");
        assert_eq!(pull_digest(&out), Some(format!("sha256:{hex}")));
        assert_eq!(
            pull_status(&out).as_deref(),
            Some("Image is up to date for x/bb:1")
        );
        let a = Access::parse(
            r#"127.0.0.1 - - [06/Dec/2026:05:31:06 +0000] "PUT /v2/big/manifests/1 HTTP/1.1" 201 0 "" "berth/0.1.0""#,
        )
        .unwrap();
        assert_eq!(a.time, 1_796_535_066);
        assert_eq!(
            (a.method.as_str(), a.path.as_str(), a.status),
            ("PUT", "/v2/big/manifests/1", 201)
        );
        assert_eq!(a.user_agent, "berth/0.1.0");
        assert_eq!(parse_clf_time("01/Jan/1970:01:00:00 +0100"), Some(0));
        assert_eq!(incompressible(1000, 7), incompressible(1000, 7));
        assert_eq!(incompressible(1001, 7).len(), 1001);
    }
}
