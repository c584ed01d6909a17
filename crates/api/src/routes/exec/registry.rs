//! The exec instances this service created, by ID, in memory (as dockerd keeps them).

use std::collections::{HashMap, VecDeque};
use std::os::fd::OwnedFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use crate::error::{ApiError, ApiResult};

/// What `POST /containers/{id}/exec` asked for.
#[derive(Debug, Clone, Default)]
pub struct ExecConfig {
    /// The container's full ID.
    pub container_id: String,
    /// Command and arguments.
    pub cmd: Vec<String>,
    /// Extra `KEY=value` environment.
    pub env: Vec<String>,
    /// user[:group] (empty: the container's).
    pub user: String,
    /// Working directory (empty: the container's).
    pub workdir: String,
    /// A terminal.
    pub tty: bool,
    /// All capabilities.
    pub privileged: bool,
    /// The client sends stdin.
    pub attach_stdin: bool,
    /// The client wants stdout.
    pub attach_stdout: bool,
    /// The client wants stderr.
    pub attach_stderr: bool,
    /// The detach keys as given (empty: the default).
    pub detach_keys: String,
    /// The terminal's first size (rows, columns).
    pub console_size: Option<(u16, u16)>,
}

/// Where an exec is.
#[derive(Debug, Default)]
pub struct ExecState {
    /// Started once (an exec cannot be started again).
    pub started: bool,
    /// Its process is running.
    pub running: bool,
    /// Its exit code, once it exited.
    pub exit_code: Option<i32>,
    /// The child `berth exec` process's pid.
    pub pid: i32,
    /// The pty's master end while it runs (TTY only), for resizes.
    pub master: Option<Arc<OwnedFd>>,
    /// The last size a resize asked for (rows, columns).
    pub size: Option<(u16, u16)>,
}

/// One exec instance.
#[derive(Debug)]
pub struct Exec {
    /// Its ID (64 hex digits).
    pub id: String,
    /// What it runs.
    pub config: ExecConfig,
    state: Mutex<ExecState>,
    done: Condvar,
}

impl Exec {
    /// Its state, locked.
    pub fn state(&self) -> MutexGuard<'_, ExecState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records the process's exit and wakes those waiting for it.
    pub fn finish(&self, code: i32) {
        let mut s = self.state();
        s.running = false;
        s.exit_code = Some(code);
        s.master = None;
        drop(s);
        self.done.notify_all();
    }

    /// Blocks until the process (if started) has exited.
    pub fn wait(&self) {
        let mut s = self.state();
        while s.running {
            s = self.done.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// How many instances are kept; beyond that the oldest finished ones are forgotten.
const KEEP: usize = 1024;

#[derive(Default)]
struct Registry {
    by_id: HashMap<String, Arc<Exec>>,
    order: VecDeque<String>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Adds a new instance for `config`.
pub fn insert(config: ExecConfig) -> ApiResult<Arc<Exec>> {
    let id = berth_engine::ids::random_id()?;
    let ex = Arc::new(Exec {
        id: id.clone(),
        config,
        state: Mutex::default(),
        done: Condvar::new(),
    });
    let mut guard = registry();
    let reg = &mut *guard;
    if reg.order.len() >= KEEP {
        let old = reg
            .order
            .iter()
            .position(|i| reg.by_id.get(i).is_none_or(|e| !e.state().running));
        if let Some(pos) = old {
            if let Some(i) = reg.order.remove(pos) {
                reg.by_id.remove(&i);
            }
        }
    }
    reg.by_id.insert(id.clone(), ex.clone());
    reg.order.push_back(id);
    Ok(ex)
}

/// The instance `id`; 404 as dockerd says it.
pub fn get(id: &str) -> ApiResult<Arc<Exec>> {
    registry()
        .by_id
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("No such exec instance: {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_finish() {
        let ex = insert(ExecConfig::default()).unwrap();
        assert_eq!(get(&ex.id).unwrap().id, ex.id);
        assert!(get("nope").is_err_and(|e| e.status == hyper::StatusCode::NOT_FOUND));
        ex.state().running = true;
        let waiter = {
            let ex = ex.clone();
            std::thread::spawn(move || ex.wait())
        };
        ex.finish(3);
        waiter.join().unwrap();
        assert_eq!(ex.state().exit_code, Some(3));
    }
}
