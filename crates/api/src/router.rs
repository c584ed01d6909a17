//! The hyper side: turns each HTTP request into a [`Request`] for a blocking handler and
//! its [`Reply`] back into a response (documents, streamed bodies, hijacked connections),
//! with the headers dockerd puts on every response.

use std::convert::Infallible;
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http::{BodyReader, BodyWriter, Hijacker, Reply, Request};
use crate::query::Query;
use crate::version::{self, ENGINE_VERSION, MAX};

/// A response body: whole or streamed.
pub type Body = BoxBody<Bytes, io::Error>;

/// Serves one request.
pub async fn handle(
    ctx: Arc<Ctx>,
    mut req: hyper::Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (api_version, path) = match version::split_version(req.uri().path()) {
        Ok((v, p)) => (v, p.to_string()),
        Err(e) => return Ok(error_response(&e)),
    };
    let wants_upgrade = req.headers().contains_key(UPGRADE);
    let on_upgrade = wants_upgrade.then(|| hyper::upgrade::on(&mut req));
    let query = Query::parse(req.uri().query());
    let (parts, body) = req.into_parts();
    let request = Request {
        method: parts.method,
        path,
        version: api_version,
        query,
        headers: parts.headers,
        body: pump_body(body),
    };
    let c = ctx.clone();
    let reply = tokio::task::spawn_blocking(move || crate::routes::dispatch(&c, request))
        .await
        .unwrap_or_else(|e| Err(ApiError::internal(format!("handler failed: {e}"))));
    let resp = match reply {
        Ok(r) => reply_response(r, on_upgrade),
        Err(e) => error_response(&e),
    };
    Ok(with_common_headers(resp))
}

/// Feeds the request body to a blocking reader as it arrives.
fn pump_body(mut body: Incoming) -> BodyReader {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        while let Some(frame) = body.frame().await {
            let item = match frame {
                Ok(f) => match f.into_data() {
                    Ok(d) => Ok(d),
                    Err(_) => continue,
                },
                Err(e) => Err(io::Error::other(e)),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
    });
    BodyReader::new(rx)
}

fn full(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed());
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_response(status: StatusCode, v: &serde_json::Value) -> Response<Body> {
    let mut body = serde_json::to_vec(v).unwrap_or_default();
    body.push(b'\n');
    full(status, "application/json", body)
}

/// dockerd's error shape.
pub fn error_response(e: &ApiError) -> Response<Body> {
    with_common_headers(json_response(e.status, &e.body()))
}

fn with_common_headers(mut r: Response<Body>) -> Response<Body> {
    let h = r.headers_mut();
    h.insert(
        "api-version",
        HeaderValue::from_str(&MAX.to_string()).unwrap_or(HeaderValue::from_static("1.41")),
    );
    h.insert("docker-experimental", HeaderValue::from_static("false"));
    h.insert("ostype", HeaderValue::from_static("linux"));
    if let Ok(v) = HeaderValue::from_str(&format!("Docker/{ENGINE_VERSION} (linux)")) {
        h.insert("server", v);
    }
    r
}

fn reply_response(reply: Reply, on_upgrade: Option<hyper::upgrade::OnUpgrade>) -> Response<Body> {
    match reply {
        Reply::Json(status, v) => json_response(status, &v),
        Reply::Empty(status) => full(status, "text/plain; charset=utf-8", Vec::new()),
        Reply::Bytes(status, ct, b) => full(status, ct, b),
        Reply::Stream {
            status,
            content_type,
            headers,
            producer,
        } => {
            let mut r = stream_response(status, content_type, producer);
            for (k, v) in headers {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(k, v);
                }
            }
            r
        }
        Reply::Hijack {
            content_type,
            handler,
        } => match on_upgrade {
            Some(up) => upgrade_response(content_type, up, handler),
            None => stream_response(
                StatusCode::OK,
                content_type,
                Box::new(move |w| one_way_hijack(handler, w)),
            ),
        },
    }
}

fn stream_response(
    status: StatusCode,
    content_type: &'static str,
    producer: crate::http::Producer,
) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::task::spawn_blocking(move || producer(BodyWriter::new(tx)));
    let stream = futures_stream(rx);
    let mut r = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The receiver as a stream of body frames.
fn futures_stream(
    rx: mpsc::Receiver<Bytes>,
) -> impl futures_core::Stream<Item = Result<Frame<Bytes>, io::Error>> + Send + Sync + 'static {
    ReceiverStream(rx)
}

struct ReceiverStream(mpsc::Receiver<Bytes>);

impl futures_core::Stream for ReceiverStream {
    type Item = Result<Frame<Bytes>, io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// A hijack for a client that did not ask to upgrade: no stdin, the output as the body.
fn one_way_hijack(handler: Hijacker, mut w: BodyWriter) {
    let Ok((ours, theirs)) = UnixStream::pair() else {
        return;
    };
    let _ = ours.shutdown(std::net::Shutdown::Write);
    let t = std::thread::spawn(move || handler(theirs));
    let mut ours = ours;
    let _ = io::copy(&mut ours, &mut w);
    let _ = t.join();
}

/// `101 Switching Protocols`, then the raw connection relayed to the handler's socket.
fn upgrade_response(
    content_type: &'static str,
    on_upgrade: hyper::upgrade::OnUpgrade,
    handler: Hijacker,
) -> Response<Body> {
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let Ok((ours, theirs)) = UnixStream::pair() else {
            return;
        };
        if ours.set_nonblocking(true).is_err() {
            return;
        }
        let Ok(ours) = tokio::net::UnixStream::from_std(ours) else {
            return;
        };
        tokio::task::spawn_blocking(move || handler(theirs));
        relay(TokioIo::new(upgraded), ours).await;
    });
    let mut r = full(StatusCode::SWITCHING_PROTOCOLS, content_type, Vec::new());
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    r.headers_mut()
        .insert(UPGRADE, HeaderValue::from_static("tcp"));
    r
}

/// Copies both ways until the handler's side ends (the client's half-close only ends the
/// client-to-handler direction, as `docker attach` closing stdin expects).
async fn relay(client: TokioIo<hyper::upgrade::Upgraded>, handler: tokio::net::UnixStream) {
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut hr, mut hw) = handler.into_split();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if hw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = hw.shutdown().await;
    });
    let _ = tokio::io::copy(&mut hr, &mut cw).await;
    let _ = cw.shutdown().await;
    up.abort();
}
