//! The service process: a small tokio runtime listening on a unix socket, one task per
//! connection (HTTP/1.1 with upgrades for attach and exec), an idle timer, and a clean exit
//! on SIGTERM or SIGINT that leaves containers running.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_engine::Paths;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::UnixListener;

use crate::ctx::Ctx;

/// How the service was asked to run.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// berth's state.
    pub paths: Paths,
    /// The berth binary (for work done in child processes).
    pub exe: PathBuf,
    /// The unix socket to listen on.
    pub socket: PathBuf,
    /// Exit after this long without a connection (`None`: never).
    pub idle: Option<Duration>,
}

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Listening failed.
    #[error("{what} {path}: {source}")]
    Listen {
        /// What was being done.
        what: &'static str,
        /// The socket.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another service answers on the socket.
    #[error("another service is already listening on {0}")]
    InUse(PathBuf),
    /// The async runtime could not start.
    #[error("start the service runtime: {0}")]
    Runtime(std::io::Error),
}

/// Connections in flight and when the last one ended, for the idle timer.
#[derive(Debug)]
struct Activity {
    active: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn touch(&self) {
        if let Ok(mut l) = self.last.lock() {
            *l = Instant::now();
        }
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.active.load(Ordering::SeqCst) > 0 {
            return None;
        }
        self.last.lock().ok().map(|l| l.elapsed())
    }
}

/// Counts a connection as active while it lives.
struct ActiveGuard(Arc<Activity>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs the service until SIGTERM, SIGINT or the idle timeout.
pub fn serve(opts: ServiceOptions) -> Result<(), ServiceError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("berth-api")
        .enable_all()
        .build()
        .map_err(ServiceError::Runtime)?;
    rt.block_on(run(opts))
}

async fn run(opts: ServiceOptions) -> Result<(), ServiceError> {
    let listener = bind_unix(&opts.socket)?;
    let ctx = Arc::new(Ctx {
        paths: opts.paths.clone(),
        exe: opts.exe.clone(),
    });
    let activity = Arc::new(Activity {
        active: AtomicUsize::new(0),
        last: Mutex::new(Instant::now()),
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(ServiceError::Runtime)?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(ServiceError::Runtime)?;
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    spawn_connection(stream, ctx.clone(), activity.clone());
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = tick.tick() => {
                if let (Some(limit), Some(idle)) = (opts.idle, activity.idle_for()) {
                    if idle >= limit {
                        break;
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_file(&opts.socket);
    Ok(())
}

/// Serves one connection on its own task.
fn spawn_connection<S>(stream: S, ctx: Arc<Ctx>, activity: Arc<Activity>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    activity.active.fetch_add(1, Ordering::SeqCst);
    let guard = ActiveGuard(activity);
    tokio::spawn(async move {
        let _guard = guard;
        let svc = service_fn(move |req| crate::router::handle(ctx.clone(), req));
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(stream), svc)
            .with_upgrades()
            .await;
    });
}

/// Listens on `path`: refuses when a live service answers there, replaces a stale socket,
/// makes the socket mode 0660 and group `berth` when that group exists.
fn bind_unix(path: &Path) -> Result<UnixListener, ServiceError> {
    let err = |what| {
        move |source| ServiceError::Listen {
            what,
            path: path.to_path_buf(),
            source,
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err("create the directory of"))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(ServiceError::InUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(err("remove the stale socket"))?;
    }
    let listener = UnixListener::bind(path).map_err(err("listen on"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(err("set the mode of"))?;
    if let Ok(Some(group)) = nix::unistd::Group::from_name("berth") {
        nix::unistd::chown(path, Some(nix::unistd::Uid::from_raw(0)), Some(group.gid))
            .map_err(|e| err("set the owner of")(e.into()))?;
    }
    Ok(listener)
}
