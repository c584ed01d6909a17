//! A pull's or push's progress as dockerd's JSON lines (`{"status": "Downloading",
//! "progressDetail": {"current": n, "total": m}, "progress": "[=>  ]", "id": "<short>"}`),
//! sent over a channel to the response body's producer.

use std::collections::HashMap;
use std::sync::mpsc::Sender;
use std::sync::Mutex;

use berth_registry::progress::{LayerState, Progress};
use berth_store::Digest;
use serde_json::{json, Value};

/// What the transfer's worker thread sends to the producer.
pub enum Msg<T> {
    /// One progress line.
    Line(Value),
    /// The transfer ended.
    Done(T),
}

/// Progress turned into JSON lines on a channel.
pub struct JsonProgress<T> {
    tx: Mutex<Sender<Msg<T>>>,
    push: bool,
    /// Per layer: the last state's words and the bytes last reported.
    last: Mutex<HashMap<Digest, (&'static str, u64)>>,
}

impl<T: Send> JsonProgress<T> {
    /// Progress for a pull (`push == false`) or a push.
    pub fn new(tx: Sender<Msg<T>>, push: bool) -> JsonProgress<T> {
        JsonProgress {
            tx: Mutex::new(tx),
            push,
            last: Mutex::new(HashMap::new()),
        }
    }

    fn send(&self, v: Value) {
        if let Ok(tx) = self.tx.lock() {
            let _ = tx.send(Msg::Line(v));
        }
    }

    fn words(&self, state: LayerState) -> &'static str {
        match state {
            LayerState::Waiting if self.push => "Preparing",
            LayerState::Waiting => "Pulling fs layer",
            s => s.words(),
        }
    }
}

impl<T: Send> Progress for JsonProgress<T> {
    fn mounted(&self, digest: &Digest, from: &str) {
        self.send(status_line(&format!("Mounted from {from}"), digest.short()));
    }

    fn layer(&self, digest: &Digest, state: LayerState) {
        let words = self.words(state);
        let (done, total) = match state {
            LayerState::Downloading { done, total } | LayerState::Pushing { done, total } => {
                (done, total)
            }
            _ => (0, 0),
        };
        {
            let Ok(mut last) = self.last.lock() else {
                return;
            };
            let prev = last.get(digest).copied();
            let bytes = total > 0;
            // Byte counts at most every 2% (and the last one), other states once each.
            let step = (total / 50).max(1);
            let skip = match prev {
                Some((w, d)) if w == words => !bytes || (done < total && done < d + step),
                _ => false,
            };
            if skip {
                return;
            }
            last.insert(digest.clone(), (words, done));
        }
        let mut line = status_line(words, digest.short());
        if total > 0 {
            line["progressDetail"] = json!({"current": done, "total": total});
            line["progress"] = json!(bar(done, total));
        }
        self.send(line);
    }
}

/// `{"status": text, "progressDetail": {}, "id": id}`.
pub fn status_line(text: &str, id: &str) -> Value {
    json!({"status": text, "progressDetail": {}, "id": id})
}

/// dockerd's error line in a progress stream.
pub fn error_line(message: &str) -> Value {
    json!({"errorDetail": {"message": message}, "error": message})
}

/// `[=====>        ]  1.2MB/3.4MB`.
fn bar(done: u64, total: u64) -> String {
    const WIDTH: u64 = 50;
    let filled = (done.min(total) * WIDTH / total.max(1)) as usize;
    let mut s = String::from("[");
    s.push_str(&"=".repeat(filled.saturating_sub(1)));
    if filled > 0 {
        s.push('>');
    }
    s.push_str(&" ".repeat(WIDTH as usize - filled));
    format!("{s}]  {}/{}", human(done), human(total))
}

fn human(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n}B")
    } else {
        format!("{v:.3}{}", units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars() {
        assert!(bar(0, 100).starts_with("[ "));
        assert!(bar(100, 100).starts_with("[=================================================>]"));
        assert_eq!(human(999), "999B");
        assert_eq!(human(1500), "1.500kB");
    }
}
