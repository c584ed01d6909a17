//! Host port probing: finding a free port and checking one, by binding a socket.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    bind, getsockname, socket, AddressFamily, SockFlag, SockProtocol, SockType, SockaddrLike,
    SockaddrStorage,
};

use super::Proto;

/// A free host port for `proto` on `ip`: the kernel's pick (port 0) when `range` is
/// `None`, else the first port of the inclusive `range` that can be bound. The socket is
/// closed again, so the answer is a hint: the caller must still handle a lost race.
pub fn free_port(ip: IpAddr, proto: Proto, range: Option<(u16, u16)>) -> io::Result<u16> {
    match range {
        None => bind_port(SocketAddr::new(ip, 0), proto),
        Some((start, end)) => (start.max(1)..=end)
            .find(|&port| bind_port(SocketAddr::new(ip, port), proto).is_ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("no free {proto} port in range {start}-{end} on {ip}"),
                )
            }),
    }
}

/// Whether `port` for `proto` on `ip` is taken by a socket of the calling thread's network
/// namespace, found by trying to bind it. The kernel's bind rules make this cover the
/// wildcard: a specific `ip` is in use when a socket holds the port on `0.0.0.0` too, and
/// `0.0.0.0` is in use when any address holds the port.
pub fn port_in_use(ip: IpAddr, port: u16, proto: Proto) -> bool {
    bind_port(SocketAddr::new(ip, port), proto).is_err()
}

/// Binds a socket of `proto` to `addr`, returns the bound port and closes the socket.
fn bind_port(addr: SocketAddr, proto: Proto) -> io::Result<u16> {
    match proto {
        Proto::Tcp => Ok(TcpListener::bind(addr)?.local_addr()?.port()),
        Proto::Udp => Ok(UdpSocket::bind(addr)?.local_addr()?.port()),
        Proto::Sctp => bind_sctp(addr),
    }
}

/// [`bind_port`] for SCTP, which the standard library has no socket type for.
fn bind_sctp(addr: SocketAddr) -> io::Result<u16> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::Sctp,
    )
    .map_err(|e| io::Error::new(io::Error::from(e).kind(), format!("SCTP socket: {e}")))?;
    bind(fd.as_raw_fd(), &SockaddrStorage::from(addr))?;
    let bound: SockaddrStorage = getsockname(fd.as_raw_fd())?;
    let port = match bound.family() {
        Some(AddressFamily::Inet) => bound.as_sockaddr_in().map(|a| a.port()),
        Some(AddressFamily::Inet6) => bound.as_sockaddr_in6().map(|a| a.port()),
        _ => None,
    };
    port.ok_or_else(|| io::Error::other("SCTP getsockname: not an IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn kernel_pick_is_free() {
        for proto in [Proto::Tcp, Proto::Udp] {
            let port = free_port(LO, proto, None).unwrap();
            assert_ne!(port, 0);
            assert!(!port_in_use(LO, port, proto));
        }
    }

    #[test]
    fn detects_use_and_scans_range() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        assert!(port_in_use(LO, port, Proto::Tcp));
        // The wildcard conflicts with a socket on a specific address.
        assert!(port_in_use(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
            Proto::Tcp
        ));
        if port < u16::MAX {
            let got = free_port(LO, Proto::Tcp, Some((port, port.saturating_add(20)))).unwrap();
            assert!(got > port);
        }
        let err = free_port(LO, Proto::Tcp, Some((port, port))).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

        let udp = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let uport = udp.local_addr().unwrap().port();
        // A specific address conflicts with a socket on the wildcard.
        assert!(port_in_use(LO, uport, Proto::Udp));
    }

    #[test]
    fn sctp_when_supported() {
        match free_port(LO, Proto::Sctp, None) {
            Ok(port) => assert_ne!(port, 0),
            Err(e) => eprintln!("skipping SCTP check: {e}"),
        }
    }
}
