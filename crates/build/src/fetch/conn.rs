//! Opening the connection for one request: TCP (30 s connect/read/write timeouts), wrapped
//! in TLS for `https://`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::error::FetchError;
use super::tls::{self, TlsStream};
use super::url::{Scheme, Url};

/// Connect, read and write timeout.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// An open connection to the server, plain or TLS.
pub(crate) enum Conn {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`.
    Tls(Box<TlsStream>),
}

/// Resolves `url`'s host, connects to the first address that answers, and does the TLS
/// handshake for `https://`.
pub(crate) fn connect(url: &Url) -> Result<Conn, FetchError> {
    let host_port = (url.host.as_str(), url.port);
    let addrs: Vec<SocketAddr> = host_port
        .to_socket_addrs()
        .map_err(|source| FetchError::Resolve {
            url: url.to_string(),
            host: url.authority(),
            source,
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, TIMEOUT) {
            Ok(tcp) => {
                let io_err = |source| FetchError::Io {
                    url: url.to_string(),
                    context: "setting socket timeouts",
                    source,
                };
                tcp.set_read_timeout(Some(TIMEOUT)).map_err(io_err)?;
                tcp.set_write_timeout(Some(TIMEOUT)).map_err(io_err)?;
                let _ = tcp.set_nodelay(true);
                return match url.scheme {
                    Scheme::Http => Ok(Conn::Plain(tcp)),
                    Scheme::Https => Ok(Conn::Tls(Box::new(tls::handshake(url, tcp)?))),
                };
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let (addr, source) = match last {
        Some((addr, e)) => (addr.to_string(), e),
        None => (
            url.authority(),
            io::Error::new(io::ErrorKind::NotFound, "host has no addresses"),
        ),
    };
    Err(FetchError::Connect {
        url: url.to_string(),
        addr,
        source,
    })
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            // Many servers close without a TLS close_notify after `Connection: close`. Bodies
            // with a length or chunked framing detect truncation themselves; for the rest this
            // is the same leniency curl and Go's client show.
            Conn::Tls(tls) => match tls.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                r => r,
            },
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}
