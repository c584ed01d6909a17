//! Build progress as BuildKit prints it with `--progress=plain`: numbered steps, their
//! output lines with elapsed time, and `CACHED` or `DONE <time>`. `quiet` prints nothing;
//! `json` prints one JSON object per event.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Plain numbered lines (BuildKit's `plain`, also used for `auto` and `tty`).
    Plain,
    /// One JSON object per line.
    Json,
    /// Nothing (`-q`).
    Quiet,
}

/// Where progress goes. Shared by the stages building in parallel.
pub struct Progress {
    mode: ProgressMode,
    out: Mutex<Box<dyn Write + Send>>,
    next: AtomicUsize,
}

/// One step being shown.
pub struct StepHandle<'a> {
    progress: &'a Progress,
    /// The step's number (`#N`).
    pub id: usize,
    started: Instant,
    partial: Vec<u8>,
    cached: bool,
}

impl Progress {
    /// Progress written to `out` in `mode`.
    pub fn new(mode: ProgressMode, out: Box<dyn Write + Send>) -> Progress {
        Progress {
            mode,
            out: Mutex::new(out),
            next: AtomicUsize::new(1),
        }
    }

    fn emit(&self, id: usize, text: &str, event: &str) {
        let line = match self.mode {
            ProgressMode::Quiet => return,
            ProgressMode::Plain => format!("#{id} {text}\n"),
            ProgressMode::Json => format!(
                "{}\n",
                serde_json::json!({"id": id, "event": event, "text": text})
            ),
        };
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }

    /// Starts a step named `name` (e.g. `[build 2/4] RUN make`).
    pub fn start(&self, name: &str) -> StepHandle<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.emit(id, name, "start");
        StepHandle {
            progress: self,
            id,
            started: Instant::now(),
            partial: Vec::new(),
            cached: false,
        }
    }
}

impl StepHandle<'_> {
    /// Shows a note about the step (why the cache missed, what was written).
    pub fn note(&self, text: &str) {
        self.progress.emit(self.id, text, "note");
    }

    /// Shows the step's own output; complete lines are printed with the elapsed time.
    pub fn output(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            self.print_line(&line[..line.len() - 1]);
        }
    }

    fn print_line(&self, line: &[u8]) {
        let secs = self.started.elapsed().as_secs_f64();
        let text = String::from_utf8_lossy(line);
        self.progress
            .emit(self.id, &format!("{secs:.3} {text}"), "output");
    }

    fn flush_partial(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.print_line(&line);
        }
    }

    /// Marks the step as answered from the cache (shown by [`StepHandle::done_or_cached`]).
    pub fn mark_cached(&mut self) {
        self.cached = true;
    }

    /// Ends the step: `CACHED` if it was marked so, else `DONE <time>`.
    pub fn done_or_cached(mut self) {
        if self.cached {
            self.flush_partial();
            self.progress.emit(self.id, "CACHED", "cached");
        } else {
            self.done();
        }
    }

    /// The step finished.
    pub fn done(mut self) {
        self.flush_partial();
        let secs = self.started.elapsed().as_secs_f64();
        self.progress
            .emit(self.id, &format!("DONE {secs:.1}s"), "done");
    }

    /// Ends the step with `result`: `CACHED`/`DONE` when it is `Ok`, the error otherwise.
    /// Returns `result`.
    pub fn finish<T, E: std::fmt::Display>(self, result: Result<T, E>) -> Result<T, E> {
        match &result {
            Ok(_) => self.done_or_cached(),
            Err(e) => self.error(&e.to_string()),
        }
        result
    }

    /// The step failed with `message`.
    pub fn error(mut self, message: &str) {
        self.flush_partial();
        self.progress
            .emit(self.id, &format!("ERROR: {message}"), "error");
    }
}
