//! A small scripted HTTP/1.1 server for the registry client's fault tests, and the fixtures
//! around it: a test image (gzip layers, config, manifest), a content router serving it as a
//! registry does (manifests by tag and digest, blobs with `Range`), a store in a temp dir and
//! the checks that a failed pull left nothing behind.
//!
//! The server listens on 127.0.0.1:0 and serves each connection in its own thread, one
//! request per connection (every response says `Connection: close`, so request counts do not
//! depend on connection reuse). A connection that starts with a TLS handshake (the client
//! tries HTTPS first) is closed at once and not logged. The handler sees every request and
//! the server's base URL and returns a [`Reply`]: a whole response, one cut off mid-body
//! (closed or reset), an endless body, a hang-up or a stall.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use berth_registry::client::{ConnectOptions, Registry};
use berth_registry::credentials::Credential;
use berth_registry::platform::PlatformSpec;
use berth_registry::progress::Silent;
use berth_registry::pull::{self, PullRequest, Pulled};
use berth_store::layers::LayerStore;
use berth_store::oci;
use berth_store::{BlobStore, Digest};

/// How long the server waits for a request's bytes before dropping the connection.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Requests and replies
// ---------------------------------------------------------------------------------------

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Req {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query (without `?`), possibly empty.
    pub query: String,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (Content-Length or chunked).
    pub body: Vec<u8>,
}

impl Req {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of query parameter `key`, percent-decoded.
    pub fn query_all(&self, key: &str) -> Vec<String> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k) == key).then(|| decode(v))
            })
            .collect()
    }

    /// The first value of query parameter `key`.
    pub fn query(&self, key: &str) -> Option<String> {
        self.query_all(key).into_iter().next()
    }

    /// `METHOD path` (for messages).
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Percent-decoding of a URL query component (`+` is a space).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole response (the body is left out for `HEAD`).
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing `content_length`, then `body` (shorter), then the connection is
    /// closed (`reset`: with an RST instead of a FIN, after a short pause).
    Cut {
        status: u16,
        headers: Vec<(String, String)>,
        content_length: u64,
        body: Vec<u8>,
        reset: bool,
    },
    /// Status and headers without a length, then `chunk` over and over until the client
    /// goes away (a body delimited by the connection's end).
    Endless {
        status: u16,
        headers: Vec<(String, String)>,
        chunk: Vec<u8>,
    },
    /// The connection is closed without a response.
    Hangup,
    /// Nothing is sent for this long, then the connection is closed.
    Stall(Duration),
}

impl Reply {
    /// An empty response with `status`.
    pub fn status(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header (whole and cut responses).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        match &mut self {
            Reply::Full { headers, .. }
            | Reply::Cut { headers, .. }
            | Reply::Endless { headers, .. } => headers.push((name.to_string(), value.into())),
            Reply::Hangup | Reply::Stall(_) => {}
        }
        self
    }

    /// Sets the body of a whole response.
    pub fn body(mut self, bytes: impl Into<Vec<u8>>) -> Reply {
        if let Reply::Full { body, .. } = &mut self {
            *body = bytes.into();
        }
        self
    }

    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::status(status)
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(value).unwrap())
    }

    /// A registry error response (`{"errors":[{"code":..,"message":..}]}`).
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            &serde_json::json!({"errors": [{"code": code, "message": message}]}),
        )
    }
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

type Handler = dyn Fn(&Req, &str) -> Reply + Send + Sync;

/// A running fake server; stops accepting when dropped.
pub struct Server {
    addr: std::net::SocketAddr,
    log: Arc<Mutex<Vec<Req>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server whose `handler` gets each request and the base URL
    /// (`http://127.0.0.1:PORT`).
    pub fn start(handler: impl Fn(&Req, &str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let base = format!("http://{addr}");
        {
            let (log, stop) = (log.clone(), stop.clone());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let (log, handler, base) = (log.clone(), handler.clone(), base.clone());
                    thread::spawn(move || {
                        let _ = serve(conn, &log, &*handler, &base);
                    });
                }
            });
        }
        Server { addr, log, stop }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests satisfy `pred`.
    pub fn count(&self, pred: impl Fn(&Req) -> bool) -> usize {
        self.log.lock().unwrap().iter().filter(|r| pred(r)).count()
    }

    /// The requests as `METHOD path` lines, for assertion messages.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().iter().map(Req::line).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(conn: TcpStream, log: &Mutex<Vec<Req>>, handler: &Handler, base: &str) -> io::Result<()> {
    conn.set_read_timeout(Some(READ_TIMEOUT))?;
    conn.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut first = [0u8; 1];
    if conn.peek(&mut first)? == 0 || first[0] == 0x16 {
        // Nothing, or a TLS ClientHello: this is a plain HTTP server.
        return Ok(());
    }
    let mut reader = BufReader::new(conn.try_clone()?);
    let Some(req) = read_request(&mut reader)? else {
        return Ok(());
    };
    log.lock().unwrap().push(req.clone());
    let reply = handler(&req, base);
    write_reply(conn, &req, reply)
}

fn read_request(r: &mut BufReader<TcpStream>) -> io::Result<Option<Req>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut req = Req {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            req.headers
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    if let Some(len) = req
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        req.body = body;
    } else if req
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(Some(req))
}

fn head(status: u16, headers: &[(String, String)], length: Option<u64>) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        out.push_str(&format!("Content-Length: {n}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn write_reply(mut conn: TcpStream, req: &Req, reply: Reply) -> io::Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let has_length = headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
            let length = (!has_length).then_some(body.len() as u64);
            conn.write_all(&head(status, &headers, length))?;
            if req.method != "HEAD" {
                conn.write_all(&body)?;
            }
            conn.flush()?;
            let _ = conn.shutdown(Shutdown::Write);
            drain(&mut conn);
        }
        Reply::Cut {
            status,
            headers,
            content_length,
            body,
            reset,
        } => {
            conn.write_all(&head(status, &headers, Some(content_length)))?;
            conn.write_all(&body)?;
            conn.flush()?;
            if reset {
                thread::sleep(Duration::from_millis(300));
                set_linger_zero(&conn);
                drop(conn);
            } else {
                let _ = conn.shutdown(Shutdown::Both);
            }
        }
        Reply::Endless {
            status,
            headers,
            chunk,
        } => {
            conn.write_all(&head(status, &headers, None))?;
            // Until the client closes (then the write fails), or a bound far past any test.
            for _ in 0..(1 << 16) {
                conn.write_all(&chunk)?;
            }
        }
        Reply::Hangup => {
            let _ = conn.shutdown(Shutdown::Both);
        }
        Reply::Stall(d) => {
            thread::sleep(d);
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

/// Reads what the client still sends until it closes (bounded by the read timeout), so that
/// closing does not reset a connection the client has not finished reading.
fn drain(conn: &mut TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4096];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// Makes closing `conn` send an RST.
fn set_linger_zero(conn: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    let _ = nix::sys::socket::setsockopt(conn, nix::sys::socket::sockopt::Linger, &linger);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        206 => "Partial Content",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

// ---------------------------------------------------------------------------------------
// Content: a test image served as a registry serves it
// ---------------------------------------------------------------------------------------

/// The repository the tests pull from.
pub const REPO: &str = "library/hello";
/// The tag they pull.
pub const TAG: &str = "latest";

/// A test image: gzip layers (one file each), its configuration and manifest.
#[derive(Debug, Clone)]
pub struct TestImage {
    /// The layer blobs as served.
    pub layers: Vec<Vec<u8>>,
    /// Their digests.
    pub layer_digests: Vec<Digest>,
    /// The uncompressed digests.
    pub diff_ids: Vec<Digest>,
    /// The configuration.
    pub config: Vec<u8>,
    /// Its digest.
    pub config_digest: Digest,
    /// The manifest.
    pub manifest: Vec<u8>,
    /// Its digest.
    pub manifest_digest: Digest,
}

/// A tar stream holding `files` (regular files, mode 0644).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// gzip of `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Bytes that do not compress (so a layer blob has a predictable, large size).
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

impl TestImage {
    /// An image with one gzip layer per `(path, content)`.
    pub fn new(files: &[(&str, &[u8])]) -> TestImage {
        let tars: Vec<Vec<u8>> = files.iter().map(|f| tar_of(&[*f])).collect();
        let diff_ids = tars.iter().map(|t| Digest::of_bytes(t)).collect();
        let layers: Vec<Vec<u8>> = tars.iter().map(|t| gzip(t)).collect();
        TestImage::from_layers(layers, diff_ids, oci::MEDIA_LAYER_GZIP)
    }

    /// A small image: two layers, the second one large enough (~300 KiB) to be read in
    /// several chunks.
    pub fn standard() -> TestImage {
        let big = noise(300 * 1024, 7);
        TestImage::new(&[("hello.txt", b"hello, world\n"), ("data.bin", &big)])
    }

    /// An image of the given layer blobs and diff IDs (which need not match: for faults).
    pub fn from_layers(layers: Vec<Vec<u8>>, diff_ids: Vec<Digest>, media: &str) -> TestImage {
        let layer_digests: Vec<Digest> = layers.iter().map(|l| Digest::of_bytes(l)).collect();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/hello"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap();
        let config_digest = Digest::of_bytes(&config);
        let manifest = manifest_json(
            &config_digest,
            config.len(),
            layers
                .iter()
                .zip(&layer_digests)
                .map(|(l, d)| (media, d, l.len() as u64)),
        );
        let manifest_digest = Digest::of_bytes(&manifest);
        TestImage {
            layers,
            layer_digests,
            diff_ids,
            config,
            config_digest,
            manifest,
            manifest_digest,
        }
    }

    /// The registry's content for this image (manifest under [`TAG`]).
    pub fn content(&self) -> Content {
        let mut c = Content::default();
        c.add_manifest(TAG, oci::MEDIA_MANIFEST, &self.manifest);
        c.add_blob(&self.config);
        for l in &self.layers {
            c.add_blob(l);
        }
        c
    }

    /// The descriptor of layer `i`.
    pub fn layer_desc(&self, i: usize) -> oci::Descriptor {
        oci::Descriptor {
            media_type: oci::MEDIA_LAYER_GZIP.into(),
            digest: self.layer_digests[i].clone(),
            size: self.layers[i].len() as u64,
            annotations: None,
            platform: None,
        }
    }

    /// The descriptor of the configuration.
    pub fn config_desc(&self) -> oci::Descriptor {
        oci::Descriptor {
            media_type: oci::MEDIA_CONFIG.into(),
            digest: self.config_digest.clone(),
            size: self.config.len() as u64,
            annotations: None,
            platform: None,
        }
    }
}

/// An OCI manifest with the given config and `(media type, digest, size)` layers.
pub fn manifest_json<'a>(
    config: &Digest,
    config_size: usize,
    layers: impl Iterator<Item = (&'a str, &'a Digest, u64)>,
) -> Vec<u8> {
    let layers: Vec<serde_json::Value> = layers
        .map(|(m, d, s)| serde_json::json!({"mediaType": m, "digest": d, "size": s}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": oci::MEDIA_MANIFEST,
        "config": {"mediaType": oci::MEDIA_CONFIG, "digest": config, "size": config_size},
        "layers": layers,
    }))
    .unwrap()
}

/// What a fake registry holds: manifests (by tag and digest) and blobs (by digest).
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// digest string -> (media type, bytes)
    pub manifests: HashMap<String, (String, Vec<u8>)>,
    /// tag -> digest string
    pub tags: HashMap<String, String>,
    /// digest string -> bytes
    pub blobs: HashMap<String, Vec<u8>>,
}

impl Content {
    /// Adds a manifest under `tag`.
    pub fn add_manifest(&mut self, tag: &str, media_type: &str, bytes: &[u8]) -> Digest {
        let d = Digest::of_bytes(bytes);
        self.manifests
            .insert(d.to_string(), (media_type.to_string(), bytes.to_vec()));
        self.tags.insert(tag.to_string(), d.to_string());
        d
    }

    /// Adds a blob.
    pub fn add_blob(&mut self, bytes: &[u8]) -> Digest {
        let d = Digest::of_bytes(bytes);
        self.blobs.insert(d.to_string(), bytes.to_vec());
        d
    }

    /// Serves `req` as a registry does: `/v2/` (200), manifests by tag or digest (`HEAD`
    /// with `Docker-Content-Digest`), blobs (honouring `Range: bytes=N-`), else 404.
    pub fn serve(&self, req: &Req) -> Reply {
        if req.path == "/v2/" || req.path == "/v2" {
            return Reply::json(200, &serde_json::json!({}));
        }
        let Some(rest) = req.path.strip_prefix("/v2/") else {
            return Reply::status(404);
        };
        if let Some((_, reference)) = rest.rsplit_once("/manifests/") {
            let digest = self
                .tags
                .get(reference)
                .cloned()
                .unwrap_or_else(|| reference.to_string());
            return match self.manifests.get(&digest) {
                Some((media, bytes)) => Reply::status(200)
                    .header("Content-Type", media.clone())
                    .header("Docker-Content-Digest", digest)
                    .body(bytes.clone()),
                None => Reply::error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
            };
        }
        if let Some((_, digest)) = rest.rsplit_once("/blobs/") {
            return match self.blobs.get(digest) {
                Some(bytes) => serve_bytes(req, bytes),
                None => Reply::error(404, "BLOB_UNKNOWN", "blob unknown to registry"),
            };
        }
        Reply::status(404)
    }
}

/// `bytes` as a blob response: whole (200), or from `N` for `Range: bytes=N-` (206), or 416
/// for a range past the end.
pub fn serve_bytes(req: &Req, bytes: &[u8]) -> Reply {
    if let Some(start) = range_start(req) {
        let len = bytes.len() as u64;
        if start >= len {
            return Reply::status(416).header("Content-Range", format!("bytes */{len}"));
        }
        return Reply::status(206)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", format!("bytes {start}-{}/{len}", len - 1))
            .body(bytes[start as usize..].to_vec());
    }
    Reply::status(200)
        .header("Content-Type", "application/octet-stream")
        .body(bytes.to_vec())
}

/// `N` of a `Range: bytes=N-` header.
pub fn range_start(req: &Req) -> Option<u64> {
    req.header("range")?
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

/// Whether `req` is a blob `GET` of `digest`.
pub fn is_blob_get(req: &Req, digest: &Digest) -> bool {
    req.method == "GET" && req.path.ends_with(&format!("/blobs/{digest}"))
}

// ---------------------------------------------------------------------------------------
// Client side
// ---------------------------------------------------------------------------------------

/// A store in a temp dir.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub blobs: BlobStore,
    pub layers: LayerStore,
}

impl Store {
    pub fn new() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(dir.path()).unwrap();
        let layers = LayerStore::open(dir.path()).unwrap();
        Store { dir, blobs, layers }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Names in a directory of the store (empty when it does not exist).
    pub fn entries(&self, sub: &str) -> Vec<String> {
        match std::fs::read_dir(self.root().join(sub)) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Checks what a failed pull may leave: every blob hashes to its name and none of
    /// `absent` is a blob; none of the layers `bad_chains` is unpacked (layers of the image
    /// that did unpack fine may stay: a pull unpacks each layer as soon as it is in, and
    /// keeps them for the next attempt), no layer work directory is left, `tmp/` is empty.
    pub fn assert_clean(&self, absent: &[&Digest], bad_chains: &[&Digest]) {
        for d in self.blobs.list().unwrap() {
            let bytes = self.blobs.read(&d).unwrap();
            assert_eq!(
                Digest::of_bytes(&bytes),
                d,
                "blob {d} does not hash to its name"
            );
        }
        for d in absent {
            assert!(!self.blobs.exists(d), "blob {d} is in the store");
        }
        let layers = self.entries("layers");
        for c in bad_chains {
            assert!(
                !layers.contains(&c.hex().to_string()),
                "layer {c} left: {layers:?}"
            );
        }
        for l in &layers {
            assert!(
                l.len() == 64 && self.layers.exists(&Digest::from_hex(l).unwrap()),
                "layer work directory left: {layers:?}"
            );
        }
        assert!(
            self.entries("tmp").is_empty(),
            "tmp left: {:?}",
            self.entries("tmp")
        );
    }

    /// Partial downloads (not counting `*.pending` records of transfers).
    pub fn partials(&self) -> Vec<String> {
        self.entries("partial")
            .into_iter()
            .filter(|n| !n.ends_with(".pending"))
            .collect()
    }

    /// Checks that no partial download is left.
    pub fn assert_no_partial(&self) {
        assert!(
            self.partials().is_empty(),
            "partial downloads left: {:?}",
            self.partials()
        );
    }
}

/// The chain ID of layer `i` of `img`.
pub fn chain(img: &TestImage, i: usize) -> Digest {
    berth_store::layers::chain_ids(&img.diff_ids)[i].clone()
}

/// Connects to `server` (plain HTTP on loopback: `insecure`).
pub fn connect(
    server: &Server,
    credential: Option<Credential>,
) -> berth_registry::Result<Registry> {
    Registry::connect(
        &server.host(),
        &server.host(),
        &ConnectOptions {
            credential,
            insecure: true,
            certs_dirs: Vec::new(),
            cert_dir: None,
        },
    )
}

/// Pulls `reference` of [`REPO`] for linux/amd64 into `store`.
pub fn pull_ref(reg: &Registry, store: &Store, reference: &str) -> berth_registry::Result<Pulled> {
    let platform = PlatformSpec::parse("linux/amd64").unwrap();
    pull::pull(
        reg,
        &PullRequest {
            repository: REPO,
            reference,
            display: &format!("{REPO}:{reference}"),
            platform: &platform,
            jobs: 3,
        },
        &store.blobs,
        &store.layers,
        &Silent,
    )
}

/// Connects and pulls [`TAG`].
pub fn pull_from(server: &Server, store: &Store) -> berth_registry::Result<Pulled> {
    pull_ref(&connect(server, None)?, store, TAG)
}

/// Checks a successful pull of `img`: manifest, config and layers in the store.
pub fn assert_pulled(store: &Store, img: &TestImage, pulled: &Pulled) {
    assert_eq!(pulled.manifest, img.manifest_digest);
    assert_eq!(pulled.config, img.config_digest);
    assert!(store.blobs.exists(&img.manifest_digest));
    assert!(store.blobs.exists(&img.config_digest));
    for d in &img.layer_digests {
        assert_eq!(Digest::of_bytes(&store.blobs.read(d).unwrap()), *d);
    }
    let chains = berth_store::layers::chain_ids(&img.diff_ids);
    for c in &chains {
        assert!(store.layers.exists(c), "layer {c} not unpacked");
    }
    assert!(store.entries("tmp").is_empty());
    store.assert_no_partial();
}

/// Runs `f` on its own thread and fails the test if it takes longer than `secs` seconds
/// (a hang), propagating its panic otherwise.
pub fn bounded<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        struct Done(mpsc::Sender<()>);
        impl Drop for Done {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        let _done = Done(tx);
        f()
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => match handle.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        },
        Err(_) => panic!("the test did not finish within {secs} s (a hang?)"),
    }
}

/// A counter shared between a handler and the test.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<std::sync::atomic::AtomicUsize>);

impl Counter {
    /// Adds one; returns the count before.
    pub fn bump(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
