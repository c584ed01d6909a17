//! The service process: a small tokio runtime listening on a unix socket (bound, or passed
//! by socket activation) or on TCP with TLS, one task per connection (HTTP/1.1 with
//! upgrades for attach and exec), an idle timer, and a clean exit on SIGTERM or SIGINT that
//! leaves containers running.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_engine::Paths;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::ctx::Ctx;
use crate::listen::{Accepted, Listen, Listener};
use crate::tls::TlsError;

/// How long a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long handlers get to finish after SIGTERM, SIGINT or the idle timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How the service was asked to run.
#[derive(Debug)]
pub struct ServiceOptions {
    /// berth's state.
    pub paths: Paths,
    /// The berth binary (for work done in child processes).
    pub exe: PathBuf,
    /// Where to listen.
    pub listen: Listen,
    /// Exit after this long without a connection (`None`: never).
    pub idle: Option<Duration>,
}

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Listening failed.
    #[error("{what} {place}: {source}")]
    Listen {
        /// What was being done.
        what: &'static str,
        /// The socket path or address.
        place: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Another service answers on the socket.
    #[error("another service is already listening on {0}")]
    InUse(PathBuf),
    /// The socket passed by socket activation is unusable.
    #[error("socket activation: {0}")]
    Activation(std::io::Error),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
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
    let result = rt.block_on(run(opts));
    // Handlers still running on blocking threads (a long pull, a stream) are not waited for:
    // they end with the process, as a killed CLI command would (the engine is crash-safe).
    rt.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

async fn run(opts: ServiceOptions) -> Result<(), ServiceError> {
    let listener = Listener::bind(opts.listen)?;
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
            accepted = listener.accept() => match accepted {
                Ok(conn) => spawn_connection(conn, ctx.clone(), activity.clone()),
                // Out of fds or the like: wait a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
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
    listener.cleanup();
    Ok(())
}

/// Serves one connection on its own task (after its TLS handshake, for TCP).
fn spawn_connection(conn: Accepted, ctx: Arc<Ctx>, activity: Arc<Activity>) {
    activity.active.fetch_add(1, Ordering::SeqCst);
    let guard = ActiveGuard(activity);
    tokio::spawn(async move {
        let _guard = guard;
        match conn {
            Accepted::Unix(s) => serve_http(s, ctx).await,
            Accepted::Tcp(s, peer, acceptor) => {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(s)).await {
                    Ok(Ok(tls)) => serve_http(tls, ctx).await,
                    Ok(Err(e)) => eprintln!("berth: TLS handshake with {peer}: {e}"),
                    Err(_) => eprintln!("berth: TLS handshake with {peer}: timed out"),
                }
            }
        }
    });
}

/// HTTP/1.1 (with upgrades) on one connection until it closes.
async fn serve_http<S>(stream: S, ctx: Arc<Ctx>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| crate::router::handle(ctx.clone(), req));
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), svc)
        .with_upgrades()
        .await;
}
