//! The monitor's event loop: one `poll` over the signalfd, the control socket, its clients,
//! the container's output, its stdin pipe and a running healthcheck; timers (restart
//! backoff, healthcheck schedule) become the poll timeout. Single-threaded: the runtime's
//! create forks, and must be able to.

use std::fs::OpenOptions;
use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::clients::{Client, MAX_BACKLOG};
use super::container::{self, Instance};
use super::health::HealthRunner;
use super::restart::{should_restart, Backoff};
use super::stdio::ContainerIo;
use crate::config::MonitorConfig;
use crate::error::{IoContext, Result};
use crate::log_writer::{LogWriter, Stream};
use crate::proto::{self, Hello};
use crate::status::{self, state, Status};

/// The monitor's own diagnostics (its stderr), in the container directory.
pub const MONITOR_LOG: &str = "monitor.log";

/// Signals forwarded to the container's init.
const FORWARDED: [Signal; 6] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// How long after the container starts the monitor gives back the clean file pages (code,
/// read-only data) that starting it mapped: the monitor then sleeps in `poll` and needs few
/// of them. Later than the start so that a short-lived container's exit is not delayed.
const TRIM_AFTER: Duration = Duration::from_millis(500);

/// What a ready fd in the poll set is.
#[derive(Clone, Copy)]
enum Tok {
    Signal,
    Listener,
    Out,
    Err,
    StdinW,
    Client(usize),
    Health,
}

/// The supervisor of one container.
pub struct Monitor {
    cfg: MonitorConfig,
    sfd: SignalFd,
    listener: UnixListener,
    io: ContainerIo,
    log: LogWriter,
    clients: Vec<Client>,
    status: Status,
    inst: Option<Instance>,
    started: bool,
    started_at: Instant,
    /// Output fd hung up (pty slave closed): not polled until the next create.
    out_hup: bool,
    stdin_buf: Vec<u8>,
    stdin_close: bool,
    backoff: Backoff,
    restart_at: Option<Instant>,
    health: Option<HealthRunner>,
    /// When to give back the start-up's clean file pages (see [`TRIM_AFTER`]).
    trim_at: Option<Instant>,
    /// The claim on the container's mounted rootfs, given up when it is finished for good.
    rootfs_user: Option<crate::rootfs::User>,
    finished: bool,
}

fn ready(r: Option<PollFlags>) -> bool {
    r.is_some_and(|f| !f.is_empty())
}

impl Monitor {
    /// Reads monitor.json, listens on the control socket, creates the container.
    pub fn setup(ctr_dir: &Path) -> Result<Self> {
        let cfg = MonitorConfig::load(ctr_dir)?;
        let own_log = ctr_dir.join(MONITOR_LOG);
        let own_err = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&own_log)
            .ctx(|| format!("open {}", own_log.display()))?;
        rustix::stdio::dup2_stderr(&own_err).ctx(|| "point stderr at the monitor log".into())?;
        drop(own_err);
        // The init, a child of the create helper, is reparented to us when the helper exits.
        nix::sys::prctl::set_child_subreaper(true).ctx(|| "become a child subreaper".into())?;
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGCHLD);
        for s in FORWARDED {
            mask.add(s);
        }
        mask.thread_block().ctx(|| "block signals".into())?;
        let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
            .ctx(|| "create a signalfd".into())?;
        let _ = std::fs::remove_file(&cfg.socket);
        let listener = UnixListener::bind(&cfg.socket)
            .ctx(|| format!("listen on {}", cfg.socket.display()))?;
        let socket = cfg.socket.clone();
        let built = Self::build(cfg, sfd, listener);
        if built.is_err() {
            let _ = std::fs::remove_file(&socket);
        }
        built
    }

    fn build(cfg: MonitorConfig, sfd: SignalFd, listener: UnixListener) -> Result<Self> {
        listener
            .set_nonblocking(true)
            .ctx(|| "make the control socket non-blocking".into())?;
        // Before the container is created: the rootfs stays mounted from now on (the
        // engine mounted it under the rootfs mutex, which it holds until we are ready).
        let rootfs_user = if cfg.unmount_rootfs {
            Some(crate::rootfs::User::hold(&cfg.ctr_dir).ctx(|| {
                format!(
                    "lock {}",
                    cfg.ctr_dir.join(crate::rootfs::USERS_FILE).display()
                )
            })?)
        } else {
            None
        };
        let log = LogWriter::open(&cfg.log)?;
        let mut io = ContainerIo::new(&cfg)?;
        let inst = match container::create_instance(&cfg, &mut io) {
            Ok(i) => i,
            Err(e) => {
                io.cleanup();
                return Err(e);
            }
        };
        let health = cfg.healthcheck.as_ref().and_then(HealthRunner::new);
        let mut m = Monitor {
            status: Status {
                status: state::CREATED.into(),
                pid: inst.pid,
                monitor_pid: std::process::id() as i32,
                health: health.as_ref().map(|h| h.state.clone()),
                ..Default::default()
            },
            cfg,
            sfd,
            listener,
            io,
            log,
            clients: Vec::new(),
            inst: Some(inst),
            started: false,
            started_at: Instant::now(),
            out_hup: false,
            stdin_buf: Vec::new(),
            stdin_close: false,
            backoff: Backoff::default(),
            restart_at: None,
            health,
            trim_at: None,
            finished: false,
            rootfs_user,
        };
        if let Err(e) = status::write_status(&m.cfg.ctr_dir, &m.status) {
            let _ = container::delete_instance(&m.cfg);
            m.io.cleanup();
            return Err(e);
        }
        Ok(m)
    }

    /// The created container's init pid.
    pub fn init_pid(&self) -> i32 {
        self.inst.as_ref().map_or(0, |i| i.pid)
    }

    /// Runs until the container is finished; then execs `on_exit` or returns the exit code
    /// of the monitor (0).
    pub fn run(&mut self) -> i32 {
        while !self.finished {
            if let Err(e) = self.turn() {
                eprintln!("berth monitor {}: {e}", self.cfg.id);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.finish()
    }

    fn note(&self, what: &str, e: &dyn std::fmt::Display) {
        eprintln!("berth monitor {}: {what}: {e}", self.cfg.id);
    }

    fn write_status(&self) {
        let mut st = self.status.clone();
        st.health = self.health.as_ref().map(|h| h.state.clone());
        if let Err(e) = status::write_status(&self.cfg.ctr_dir, &st) {
            self.note("write status", &e);
        }
    }

    /// The next timer, as a poll timeout.
    fn timeout(&self) -> PollTimeout {
        let next = [
            self.restart_at,
            self.trim_at,
            self.health.as_ref().and_then(|h| h.deadline()),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            None => PollTimeout::NONE,
            Some(t) => {
                let ms = t.saturating_duration_since(Instant::now()).as_millis() + 1;
                PollTimeout::try_from(ms.min(60_000) as u32).unwrap_or(PollTimeout::MAX)
            }
        }
    }

    /// One poll and everything it reported.
    fn turn(&mut self) -> Result<()> {
        let timeout = self.timeout();
        let events = {
            let mut toks: Vec<Tok> = Vec::with_capacity(8 + self.clients.len());
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(8 + self.clients.len());
            macro_rules! add {
                ($t:expr, $fd:expr, $f:expr) => {{
                    toks.push($t);
                    fds.push(PollFd::new($fd, $f));
                }};
            }
            let inp = PollFlags::POLLIN;
            add!(Tok::Signal, self.sfd.as_fd(), inp);
            add!(Tok::Listener, self.listener.as_fd(), inp);
            if !self.out_hup {
                if let Some(fd) = self.io.out_fd() {
                    add!(Tok::Out, fd, inp);
                }
            }
            if let Some(fd) = self.io.err_fd() {
                add!(Tok::Err, fd, inp);
            }
            if !self.stdin_buf.is_empty() {
                if let Some(fd) = self.io.stdin_fd() {
                    add!(Tok::StdinW, fd, PollFlags::POLLOUT);
                }
            }
            let stdin_full = self.stdin_buf.len() >= MAX_BACKLOG;
            for (i, c) in self.clients.iter().enumerate() {
                if !stdin_full && c.dec.backlog() < MAX_BACKLOG {
                    add!(Tok::Client(i), c.sock.as_fd(), inp);
                }
            }
            if let Some(fd) = self.health.as_ref().and_then(|h| h.out_fd()) {
                add!(Tok::Health, fd, inp);
            }
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => return Ok(()),
                Err(e) => return Err(e).ctx(|| "poll".into()),
            }
            toks.into_iter()
                .zip(fds.iter().map(|f| ready(f.revents())))
                .filter(|(_, r)| *r)
                .map(|(t, _)| t)
                .collect::<Vec<_>>()
        };
        for t in events {
            match t {
                Tok::Out => self.read_output(Stream::Stdout),
                Tok::Err => self.read_output(Stream::Stderr),
                Tok::StdinW => self.flush_stdin(),
                Tok::Client(i) => self.read_client(i),
                Tok::Health => {
                    if let Some(h) = self.health.as_mut() {
                        h.on_output();
                    }
                }
                Tok::Listener => self.accept(),
                Tok::Signal => self.signals(),
            }
        }
        if self.clients.iter().any(|c| c.dead) {
            // A client (attach, logs -f, exec) is done: what serving it mapped can go.
            self.trim_later();
            self.clients.retain(|c| !c.dead);
        }
        self.timers();
        Ok(())
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((s, _)) => self.clients.push(Client::new(s)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.note("accept", &e);
                    return;
                }
            }
        }
    }

    /// Reads and dispatches the container's output; returns when nothing more is ready.
    fn read_output(&mut self, stream: Stream) {
        let mut buf = [0u8; 16 << 10];
        loop {
            let fd = match stream {
                Stream::Stdout => self.io.out_fd(),
                Stream::Stderr => self.io.err_fd(),
            };
            let Some(fd) = fd else { return };
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    self.out_hup |= stream == Stream::Stdout;
                    return;
                }
                Ok(n) => self.dispatch(stream, &buf[..n]),
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::EAGAIN) => return,
                Err(e) => {
                    // EIO on a pty master: the slave side is closed.
                    if stream == Stream::Stdout {
                        self.out_hup = true;
                    }
                    if e != nix::errno::Errno::EIO {
                        self.note("read container output", &e);
                    }
                    return;
                }
            }
        }
    }

    fn dispatch(&mut self, stream: Stream, data: &[u8]) {
        if let Err(e) = self.log.write_chunk(stream, data) {
            self.note("write log", &e);
        }
        let stderr = stream == Stream::Stderr;
        let kind = if stderr { proto::STDERR } else { proto::STDOUT };
        for c in self.clients.iter_mut().filter(|c| c.wants(stderr)) {
            c.send(kind, data);
        }
    }

    fn read_client(&mut self, i: usize) {
        let Some(c) = self.clients.get_mut(i) else {
            return;
        };
        if !c.fill() {
            c.dead = true;
        }
        loop {
            let Some(c) = self.clients.get_mut(i) else {
                return;
            };
            let frame = match c.dec.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(e) => {
                    c.send(proto::ERROR, e.as_bytes());
                    c.dead = true;
                    return;
                }
            };
            self.client_frame(i, frame.0, &frame.1);
        }
    }

    fn client_frame(&mut self, i: usize, kind: u8, p: &[u8]) {
        match kind {
            proto::HELLO => {
                let h = Hello::decode(p);
                if let Some(c) = self.clients.get_mut(i) {
                    match h {
                        Some(h) => c.hello = Some(h),
                        None => {
                            c.send(proto::ERROR, b"unsupported hello (protocol version?)");
                            c.dead = true;
                        }
                    }
                }
                if h.is_some_and(|h| h.start) {
                    self.start(i);
                }
            }
            proto::START => self.start(i),
            proto::STDIN if self.io.stdin_fd().is_some() && !self.stdin_close => {
                self.stdin_buf.extend_from_slice(p);
                self.flush_stdin();
            }
            proto::STDIN_CLOSE if !self.io.is_tty() => {
                self.stdin_close = true;
                self.flush_stdin();
            }
            proto::RESIZE => {
                if let (Some(m), [r0, r1, c0, c1]) = (&self.io.master, p) {
                    let ws = rustix::termios::Winsize {
                        ws_row: u16::from_be_bytes([*r0, *r1]),
                        ws_col: u16::from_be_bytes([*c0, *c1]),
                        ws_xpixel: 0,
                        ws_ypixel: 0,
                    };
                    let _ = rustix::termios::tcsetwinsize(m, ws);
                }
            }
            _ => {}
        }
    }

    /// Writes buffered stdin without blocking; closes stdin when asked and drained.
    fn flush_stdin(&mut self) {
        while !self.stdin_buf.is_empty() {
            let Some(fd) = self.io.stdin_fd() else {
                self.stdin_buf.clear();
                break;
            };
            match nix::unistd::write(fd, &self.stdin_buf) {
                Ok(n) => {
                    self.stdin_buf.drain(..n);
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::EAGAIN) => return,
                Err(_) => self.stdin_buf.clear(),
            }
        }
        if self.stdin_buf.capacity() > 64 << 10 {
            self.stdin_buf = Vec::new();
        }
        if self.stdin_close {
            self.io.close_stdin();
        }
    }

    /// Starts the created container (for client `i`); a no-op when already started.
    fn start(&mut self, i: usize) {
        if self.started || self.inst.is_none() {
            return;
        }
        match container::start_instance(&self.cfg) {
            Ok(()) => self.mark_started(),
            Err(e) => {
                // The init is gone or broken: its exit is handled when it is reaped.
                let msg = format!("start container {}: {e}", self.cfg.id);
                self.note("start", &e);
                if let Some(c) = self.clients.get_mut(i) {
                    c.send(proto::ERROR, msg.as_bytes());
                }
            }
        }
    }

    fn mark_started(&mut self) {
        self.started = true;
        self.started_at = Instant::now();
        self.status.status = state::RUNNING.into();
        self.status.started_at = crate::time::now();
        self.trim_later();
        if let Some(h) = self.health.as_mut() {
            h.container_started();
        }
        crate::events::emit(&self.cfg, "start", &[]);
        self.write_status();
    }

    fn signals(&mut self) {
        loop {
            match self.sfd.read_signal() {
                Ok(Some(info)) => {
                    let signo = info.ssi_signo as i32;
                    if signo == libc::SIGCHLD {
                        self.child_exited();
                    } else if let Ok(sig) = Signal::try_from(signo) {
                        self.forward(sig);
                    }
                }
                Ok(None) => return,
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => {
                    self.note("read signalfd", &e);
                    return;
                }
            }
        }
    }

    /// Forwards a signal to the init; with nothing running, a termination signal ends the
    /// monitor (no more restarts).
    fn forward(&mut self, sig: Signal) {
        match &self.inst {
            Some(i) => {
                let _ = kill(Pid::from_raw(i.pid), sig);
            }
            None if sig != Signal::SIGHUP => {
                self.restart_at = None;
                self.status.status = state::EXITED.into();
                self.finished = true;
            }
            None => {}
        }
    }

    /// Reaps every exited child: the init, a healthcheck, or an orphan (we are a subreaper).
    fn child_exited(&mut self) {
        loop {
            let (pid, code) = match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid.as_raw(), code),
                Ok(WaitStatus::Signaled(pid, sig, _)) => (pid.as_raw(), 128 + sig as i32),
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            };
            if self.inst.as_ref().is_some_and(|i| i.pid == pid) {
                self.init_exited(code);
            } else if let Some(h) = self.health.as_mut() {
                h.reaped(pid, code);
            }
        }
        self.health_tick();
    }

    /// Advances the healthcheck; a finished check's status is written, and what running it
    /// mapped is given back later.
    fn health_tick(&mut self) {
        if let Some(h) = self.health.as_mut() {
            if h.tick(&self.cfg) {
                self.write_status();
                self.trim_later();
            }
        }
    }

    /// The init exited with `code`: log what is left, record, decide about a restart.
    fn init_exited(&mut self, code: i32) {
        self.drain();
        let oom = self.inst.take().is_some_and(|i| i.oom_killed());
        if let Err(e) = container::delete_instance(&self.cfg) {
            self.note("delete container", &e);
        }
        if let Some(h) = self.health.as_mut() {
            h.container_stopped();
        }
        let uptime = if self.started {
            self.started_at.elapsed()
        } else {
            Duration::ZERO
        };
        self.started = false;
        self.io.close_stdin();
        self.stdin_buf.clear();
        self.stdin_close = false;
        self.status.pid = 0;
        self.status.exit_code = code;
        self.status.oom_killed = oom;
        self.status.finished_at = crate::time::now();
        let stopped = self.cfg.ctr_dir.join(crate::STOP_REQUESTED).exists();
        if should_restart(self.cfg.restart, code, self.status.restart_count, stopped) {
            self.status.status = state::RESTARTING.into();
            self.restart_at = Some(Instant::now() + self.backoff.delay(uptime));
        } else {
            self.status.status = state::EXITED.into();
            self.finished = true;
        }
        if oom {
            crate::events::emit(&self.cfg, "oom", &[]);
        }
        crate::events::emit(&self.cfg, "die", &[("exitCode", &code.to_string())]);
        self.write_status();
        let text = code.to_string();
        for c in self.clients.iter_mut() {
            c.send(proto::EXIT, text.as_bytes());
            c.dead = true;
        }
    }

    /// Reads whatever output is left after the init exited.
    fn drain(&mut self) {
        if !self.out_hup {
            self.read_output(Stream::Stdout);
        }
        self.read_output(Stream::Stderr);
    }

    /// Gives back the clean file pages once the monitor has been idle for [`TRIM_AFTER`].
    fn trim_later(&mut self) {
        self.trim_at = Some(Instant::now() + TRIM_AFTER);
    }

    fn timers(&mut self) {
        self.health_tick();
        if self.trim_at.is_some_and(|t| Instant::now() >= t) {
            self.trim_at = None;
            if let Err(e) = berth_sys::memory::release_clean_file_pages() {
                self.note("release start-up pages", &e);
            }
        }
        if self.restart_at.is_some_and(|t| Instant::now() >= t) {
            self.restart_at = None;
            self.restart();
        }
    }

    fn restart(&mut self) {
        self.status.restart_count += 1;
        crate::events::emit(&self.cfg, "restart", &[]);
        self.out_hup = false;
        let r = container::create_instance(&self.cfg, &mut self.io).and_then(|inst| {
            self.status.pid = inst.pid;
            self.inst = Some(inst);
            container::start_instance(&self.cfg)
        });
        match r {
            Ok(()) => self.mark_started(),
            Err(e) if self.inst.is_some() => {
                // Created but not started: the init's exit (reaped soon) decides what next.
                self.note("restart", &e);
            }
            Err(e) => {
                self.note("restart", &e);
                self.status.status = state::EXITED.into();
                self.finished = true;
                self.write_status();
            }
        }
    }

    /// Final status, socket files removed, then `on_exit` (exec) or return.
    fn finish(&mut self) -> i32 {
        // Usually already written so by the init's exit: a rewrite would cost a new file.
        if self.status.status != state::EXITED || self.status.pid != 0 {
            self.status.status = state::EXITED.into();
            self.status.pid = 0;
            self.write_status();
        }
        let _ = std::fs::remove_file(&self.cfg.socket);
        self.io.cleanup();
        // Finished for good: the overlay leaves the host's mount table unless a `cp` or a
        // new start (whose monitor holds its own claim) still uses it.
        if let Some(user) = self.rootfs_user.take() {
            if let Err(e) = crate::rootfs::release(user, &self.cfg.ctr_dir, || true) {
                self.note("unmount the rootfs", &e);
            }
        }
        if let Some(argv) = self.cfg.on_exit.as_ref().filter(|a| !a.is_empty()) {
            let e = std::process::Command::new(&argv[0]).args(&argv[1..]).exec();
            self.note(&format!("exec on_exit {:?}", argv[0]), &e);
            return 1;
        }
        0
    }
}
