//! Drawing a pull's or push's progress as Docker does: on a terminal one line per layer with a
//! bar, bytes and speed (indicatif); otherwise one plain line per layer state change; nothing
//! when quiet.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use berth_registry::progress::{LayerState, Progress};
use berth_store::Digest;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Which transfer is shown (the first state's words differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `Pulling fs layer`.
    Pull,
    /// `Preparing`.
    Push,
}

/// Where and how progress goes.
pub struct TransferProgress {
    direction: Direction,
    quiet: bool,
    to_stderr: bool,
    bars: Option<MultiProgress>,
    layers: Mutex<HashMap<Digest, Layer>>,
}

struct Layer {
    last: Option<LayerState>,
    bar: Option<ProgressBar>,
}

impl TransferProgress {
    /// Progress for a transfer, written to stdout (or stderr for an implicit pull, as
    /// `run` does): bars when that is a terminal, plain lines otherwise, nothing if `quiet`.
    pub fn new(direction: Direction, quiet: bool, to_stderr: bool) -> TransferProgress {
        let terminal = if to_stderr {
            io::stderr().is_terminal()
        } else {
            io::stdout().is_terminal()
        };
        let bars = (terminal && !quiet).then(|| {
            let target = if to_stderr {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::stdout()
            };
            MultiProgress::with_draw_target(target)
        });
        TransferProgress {
            direction,
            quiet,
            to_stderr,
            bars,
            layers: Mutex::new(HashMap::new()),
        }
    }

    /// Prints a line (not in quiet mode), above the bars when there are any.
    pub fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.bars {
            Some(m) => {
                let _ = m.println(text);
            }
            None => self.write_plain(text),
        }
    }

    /// Leaves the bars as they are drawn.
    pub fn finish(&self) {
        if let Ok(layers) = self.layers.lock() {
            for l in layers.values() {
                if let Some(b) = &l.bar {
                    b.abandon();
                }
            }
        }
    }

    fn write_plain(&self, text: &str) {
        if self.to_stderr {
            let _ = writeln!(io::stderr().lock(), "{text}");
        } else {
            let _ = writeln!(io::stdout().lock(), "{text}");
        }
    }

    /// Shows `text` as the layer's state (a bar's message, or a plain line).
    fn say(&self, digest: &Digest, text: &str) {
        if self.quiet {
            return;
        }
        let bar = self
            .layers
            .lock()
            .ok()
            .and_then(|l| l.get(digest).and_then(|l| l.bar.clone()));
        match bar {
            Some(b) => {
                b.disable_steady_tick();
                b.set_style(plain_style());
                b.set_message(text.to_string());
                b.tick();
            }
            None => self.write_plain(&format!("{}: {text}", digest.short())),
        }
    }

    fn words(&self, state: LayerState) -> &'static str {
        match (state, self.direction) {
            (LayerState::Waiting, Direction::Pull) => "Pulling fs layer",
            (LayerState::Waiting, Direction::Push) => "Preparing",
            (s, _) => s.words(),
        }
    }
}

impl Progress for TransferProgress {
    fn mounted(&self, digest: &Digest, from: &str) {
        self.say(digest, &format!("Mounted from {from}"));
    }

    fn layer(&self, digest: &Digest, state: LayerState) {
        if self.quiet {
            return;
        }
        let Ok(mut layers) = self.layers.lock() else {
            return;
        };
        let layer = layers.entry(digest.clone()).or_insert_with(|| Layer {
            last: None,
            bar: self.bars.as_ref().map(|m| {
                let b = m.add(ProgressBar::new(0));
                b.set_style(plain_style());
                b.set_prefix(digest.short().to_string());
                b
            }),
        });
        let same_kind = layer
            .last
            .is_some_and(|l| std::mem::discriminant(&l) == std::mem::discriminant(&state));
        layer.last = Some(state);
        match &layer.bar {
            Some(bar) => match state {
                LayerState::Downloading { done, total } | LayerState::Pushing { done, total } => {
                    if !same_kind {
                        bar.set_style(bar_style());
                        bar.set_message(self.words(state));
                        bar.set_length(total);
                        bar.enable_steady_tick(Duration::from_millis(200));
                    }
                    bar.set_position(done);
                }
                other => {
                    bar.disable_steady_tick();
                    bar.set_style(plain_style());
                    bar.set_message(self.words(other));
                    bar.tick();
                }
            },
            // Without a terminal Docker prints neither byte counts nor `Extracting`.
            None if !same_kind
                && !matches!(
                    state,
                    LayerState::Downloading { .. }
                        | LayerState::Pushing { .. }
                        | LayerState::Extracting
                ) =>
            {
                self.write_plain(&format!("{}: {}", digest.short(), self.words(state)));
            }
            None => {}
        }
    }
}

fn plain_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg}").unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix}: {msg} [{bar:50}] {bytes}/{total_bytes} {binary_bytes_per_sec}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}
