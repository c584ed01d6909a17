//! End-to-end tests of [`fetch`] against a loopback server, plus one `https://` download that
//! is skipped when the network is unreachable.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::test_server::{respond, Reply, Server};
use super::*;

fn sha256(data: &[u8]) -> String {
    let hex: String = Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn serve<F>(handler: F) -> Server
where
    F: Fn(&str, std::net::SocketAddr) -> Reply + Send + 'static,
{
    Server::start("127.0.0.1:0", handler).expect("bind 127.0.0.1")
}

#[test]
fn content_length_body_and_request_head() {
    let body = b"hello from berth\n".repeat(10_000);
    let expected = body.clone();
    let server = serve(move |_, _| respond("200 OK", &[], &body));
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(
        &server.url("/files/hello.txt?v=1&x=%20"),
        dir.path(),
        None,
        None,
    )
    .unwrap();
    assert_eq!(got.file_name, "hello.txt");
    assert_eq!(got.path, dir.path().join("hello.txt"));
    assert_eq!(fs::read(&got.path).unwrap(), expected);
    assert_eq!(got.digest, sha256(&expected));
    assert_eq!(got.last_modified, None);
    assert_eq!(entries(dir.path()), ["hello.txt"]);

    let head = server.requests.lock().unwrap()[0].clone();
    assert!(
        head.starts_with("GET /files/hello.txt?v=1&x=%20 HTTP/1.1\r\n"),
        "{head}"
    );
    let head_lower = head.to_ascii_lowercase();
    assert!(
        head_lower.contains(&format!("\r\nhost: {}\r\n", server.addr)),
        "{head}"
    );
    assert!(head_lower.contains("\r\nuser-agent: berth/"), "{head}");
    assert!(head_lower.contains("\r\naccept: */*\r\n"), "{head}");
}

#[test]
fn chunked_body() {
    let server = serve(|_, _| {
        vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
            b"5;ext=1\r\nhello\r\n".to_vec(),
            b"1\r\n \r\n".to_vec(),
            b"A\r\nchunked wo\r\n3\r\nrld\r\n".to_vec(),
            b"0\r\nX-Trailer: yes\r\n\r\n".to_vec(),
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(&server.url("/c.txt"), dir.path(), None, None).unwrap();
    assert_eq!(
        fs::read_to_string(&got.path).unwrap(),
        "hello chunked world"
    );
    assert_eq!(got.digest, sha256(b"hello chunked world"));
}

#[test]
fn body_until_close_and_interim_response() {
    let server = serve(|_, _| {
        vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\n".to_vec(),
            b"no length".to_vec(),
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(&server.url("/"), dir.path(), None, None).unwrap();
    assert_eq!(got.file_name, "download");
    assert_eq!(fs::read_to_string(&got.path).unwrap(), "no length");
}

#[test]
fn redirect_chain_names_the_file_after_the_final_url() {
    let server = serve(|target, addr| match target {
        "/r1" => respond("302 Found", &["Location: /r2"], b""),
        "/r2" => respond(
            "301 Moved Permanently",
            &[&format!("Location: http://{addr}/dir/r3")],
            b"",
        ),
        "/dir/r3" => respond(
            "307 Temporary Redirect",
            &["Location: final.tar.gz?x=1"],
            b"",
        ),
        "/dir/final.tar.gz?x=1" => respond("200 OK", &[], b"payload"),
        _ => respond("404 Not Found", &[], b""),
    });
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(&server.url("/r1"), dir.path(), None, None).unwrap();
    assert_eq!(got.file_name, "final.tar.gz");
    assert_eq!(fs::read_to_string(&got.path).unwrap(), "payload");
    assert_eq!(server.requests.lock().unwrap().len(), 4);
}

#[test]
fn redirect_loop_stops_after_the_limit() {
    let server = serve(|_, _| respond("302 Found", &["Location: /loop"], b""));
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(&server.url("/loop"), dir.path(), None, None).unwrap_err();
    assert!(
        matches!(err, FetchError::TooManyRedirects { limit: 10, .. }),
        "{err}"
    );
    assert_eq!(server.requests.lock().unwrap().len(), MAX_REDIRECTS + 1);
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn not_found_is_an_error_with_status_line_and_url() {
    let server = serve(|_, _| respond("404 Not Found", &[], b"nope"));
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/missing.tgz");
    let err = fetch(&url, dir.path(), None, None).unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 404, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("HTTP/1.1 404 Not Found"), "{msg}");
    assert!(msg.contains(&url), "{msg}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn error_after_redirect_names_the_final_url() {
    let server = serve(|target, _| match target {
        "/old" => respond("301 Moved Permanently", &["Location: /gone.tgz"], b""),
        _ => respond("410 Gone", &[], b""),
    });
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(&server.url("/old"), dir.path(), None, None).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, FetchError::Status { status: 410, .. }),
        "{msg}"
    );
    assert!(msg.contains(&server.url("/gone.tgz")), "{msg}");
    assert!(msg.contains("HTTP/1.1 410 Gone"), "{msg}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn refused_connection_is_a_connect_error() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/x");
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(&url, dir.path(), None, None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::Connect { .. }), "{msg}");
    assert!(msg.contains(&url), "{msg}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn invalid_urls_fail_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["ftp://h/x", "http://u:p@127.0.0.1:1/x", "http://h:99999/x"] {
        let err = fetch(bad, dir.path(), None, None).unwrap_err();
        assert!(matches!(err, FetchError::InvalidUrl { .. }), "{bad}: {err}");
    }
}

#[test]
fn checksum_match_and_mismatch() {
    let server = serve(|_, _| respond("200 OK", &[], b"checked content"));
    let dir = tempfile::tempdir().unwrap();
    let good = sha256(b"checked content");
    let got = fetch(
        &server.url("/f"),
        dir.path(),
        Some(&good.to_uppercase().replace("SHA256", "sha256")),
        None,
    )
    .unwrap();
    assert_eq!(got.digest, good);

    let dir = tempfile::tempdir().unwrap();
    let wrong = sha256(b"something else");
    let err = fetch(&server.url("/f"), dir.path(), Some(&wrong), None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::ChecksumMismatch { .. }), "{msg}");
    assert!(msg.contains(&wrong) && msg.contains(&good), "{msg}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn unsupported_checksum_fails_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(
        "http://127.0.0.1:1/x",
        dir.path(),
        Some("sha512:abcd"),
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unsupported checksum algorithm"),
        "{err}"
    );
}

#[test]
fn content_disposition_names_the_file() {
    let server = serve(|_, _| {
        respond(
            "200 OK",
            &["Content-Disposition: attachment; filename=\"release-1.2.tar.gz\""],
            b"x",
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(&server.url("/download.php?id=7"), dir.path(), None, None).unwrap();
    assert_eq!(got.file_name, "release-1.2.tar.gz");
    assert_eq!(entries(dir.path()), ["release-1.2.tar.gz"]);
}

#[test]
fn last_modified_is_parsed_and_applied() {
    let server = serve(|_, _| {
        respond(
            "200 OK",
            &["Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT"],
            b"dated",
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let got = fetch(&server.url("/d"), dir.path(), None, None).unwrap();
    assert_eq!(got.last_modified, Some(1_445_412_480));
    let mtime = fs::metadata(&got.path).unwrap().modified().unwrap();
    let secs = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(secs, 1_445_412_480);
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&got.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn size_limit_and_truncation_leave_nothing_behind() {
    let server = serve(|target, _| match target {
        "/big" => respond("200 OK", &[], &[b'a'; 100]),
        "/chunked" => vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
            b"32\r\n".to_vec(),
            vec![b'b'; 50],
            b"\r\n32\r\n".to_vec(),
            vec![b'b'; 50],
            b"\r\n0\r\n\r\n".to_vec(),
        ],
        _ => vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".to_vec()],
    });
    let dir = tempfile::tempdir().unwrap();
    for path in ["/big", "/chunked"] {
        let err = fetch(&server.url(path), dir.path(), None, Some(60)).unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit: 60, .. }),
            "{err}"
        );
    }
    let ok = fetch(&server.url("/big"), dir.path(), None, Some(100)).unwrap();
    fs::remove_file(ok.path).unwrap();
    let err = fetch(&server.url("/short"), dir.path(), None, None).unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::Truncated {
                received: 5,
                expected: 10,
                ..
            }
        ),
        "{err}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn ipv6_literal_and_port() {
    let Some(server) = Server::start("[::1]:0", |_, _| respond("200 OK", &[], b"v6")) else {
        eprintln!("skipping: cannot bind [::1] here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://[::1]:{}/six", server.addr.port());
    let got = fetch(&url, dir.path(), None, None).unwrap();
    assert_eq!(fs::read_to_string(got.path).unwrap(), "v6");
    let head = server.requests.lock().unwrap()[0].clone();
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("\r\nhost: [::1]:{}\r\n", server.addr.port())),
        "{head}"
    );
}

#[test]
fn https_download_from_debian() {
    let url = "https://deb.debian.org/debian/dists/bookworm/main/binary-amd64/Release";
    let dir = tempfile::tempdir().unwrap();
    match fetch(url, dir.path(), None, Some(1 << 20)) {
        Ok(got) => {
            assert_eq!(got.file_name, "Release");
            let text = fs::read_to_string(&got.path).unwrap();
            assert!(text.contains("Origin: Debian"), "{text}");
            assert_eq!(got.digest, sha256(text.as_bytes()));
        }
        Err(e @ (FetchError::Resolve { .. } | FetchError::Connect { .. })) => {
            eprintln!("skipping https test: network unreachable: {e}");
        }
        // A filtering proxy in front of the network may refuse this path.
        Err(
            e @ FetchError::Status {
                status: 403 | 404 | 407,
                ..
            },
        ) => eprintln!("skipping https test: the network refused this URL: {e}"),
        Err(e @ FetchError::Io { .. }) if is_timeout(&e) => {
            eprintln!("skipping https test: network timed out: {e}");
        }
        Err(e) => panic!("{e}"),
    }
}

fn is_timeout(e: &FetchError) -> bool {
    matches!(e, FetchError::Io { source, .. }
        if matches!(source.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock))
}
