//! A tiny HTTP server on a loopback address for the fetch tests: each connection's request
//! head is recorded and answered with the raw bytes a handler returns, then closed.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Connections served before the server thread exits (keeps every test bounded).
const MAX_CONNECTIONS: usize = 64;

/// What a handler answers: pieces written one after another (with a short pause between, so
/// the client sees them in separate reads).
pub(crate) type Reply = Vec<Vec<u8>>;

/// A running test server.
pub(crate) struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The request heads received, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Serves on `bind` (e.g. `127.0.0.1:0`); `None` when that address cannot be bound.
    pub fn start<F>(bind: &str, handler: F) -> Option<Server>
    where
        F: Fn(&str, SocketAddr) -> Reply + Send + 'static,
    {
        let listener = TcpListener::bind(bind).ok()?;
        let addr = listener.local_addr().ok()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let target = head.split(' ').nth(1).unwrap_or_default().to_string();
                seen.lock().unwrap().push(head);
                let pieces = handler(&target, addr);
                let count = pieces.len();
                for (i, piece) in pieces.into_iter().enumerate() {
                    if stream.write_all(&piece).is_err() {
                        break;
                    }
                    let _ = stream.flush();
                    if i + 1 < count {
                        thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        });
        Some(Server { addr, requests })
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A complete response with `Content-Length`, extra header lines given as `Name: value`, and
/// `Connection: close` (the server closes every connection after one response, so a client
/// must not keep it for the next request).
pub(crate) fn respond(status: &str, headers: &[&str], body: &[u8]) -> Reply {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    vec![out]
}
