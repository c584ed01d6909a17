//! Hang detection: a thread that aborts the test process when one input runs too long.

use crate::input::escape;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Seconds one input may run before the watchdog calls it a hang (`BERTH_FUZZ_HANG_SECS`,
/// default 30: debug builds on a loaded two-core CI machine are slow, a hang is forever).
fn limit() -> Duration {
    let secs = std::env::var("BERTH_FUZZ_HANG_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}

#[derive(Default)]
struct Current {
    started: Option<Instant>,
    input: Vec<u8>,
}

/// Watches one target's inputs; dropping it stops the thread.
pub struct Watchdog {
    current: Arc<Mutex<Current>>,
    stop: Arc<AtomicBool>,
}

/// An input being run: the watchdog forgets it when this is dropped.
pub struct Running<'a>(&'a Watchdog);

impl Watchdog {
    /// Starts watching for target `name`.
    pub fn start(name: &str) -> Self {
        let current = Arc::new(Mutex::new(Current::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s, name, limit) = (current.clone(), stop.clone(), name.to_string(), limit());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let cur = c.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(started) = cur.started {
                    if started.elapsed() > limit {
                        eprintln!(
                            "fuzz target {name}: one input ran over {limit:?} (a hang): b\"{}\"",
                            escape(&cur.input)
                        );
                        std::process::abort();
                    }
                }
            }
        });
        Watchdog { current, stop }
    }

    /// Marks `input` as running until the returned guard is dropped.
    pub fn enter(&self, input: &[u8]) -> Running<'_> {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        cur.input.clear();
        cur.input.extend_from_slice(input);
        cur.started = Some(Instant::now());
        Running(self)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut cur = self.0.current.lock().unwrap_or_else(|e| e.into_inner());
        cur.started = None;
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
