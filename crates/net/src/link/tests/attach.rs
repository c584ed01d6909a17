use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use super::super::*;
use super::{isolated, mount_points};

const BRIDGE: &str = "btbr0";
const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const IP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

#[test]
fn attach_plugs_a_container_into_a_bridge() {
    isolated("attach_plugs_a_container_into_a_bridge", || {
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("c1");
        let mut nl = Netlink::open().unwrap();
        ensure_bridge(&mut nl, BRIDGE, GATEWAY, 24).unwrap();
        ensure_bridge(&mut nl, BRIDGE, GATEWAY, 24).unwrap();
        assert_eq!(nl.addresses(BRIDGE).unwrap(), vec![(GATEWAY, 24)]);
        create_netns(&ns).unwrap();
        attach(&mut nl, BRIDGE, "vethbt0", &ns, IP, 24, GATEWAY).unwrap();

        // Host side: enslaved to the bridge and up; the temporary peer name is gone.
        let bridge = nl.link_info(BRIDGE).unwrap().unwrap();
        let host = nl.link_info("vethbt0").unwrap().unwrap();
        assert_eq!(bridge.kind.as_deref(), Some("bridge"));
        assert!(bridge.up);
        assert_eq!(host.kind.as_deref(), Some("veth"));
        assert_eq!(host.master, Some(bridge.index));
        assert!(host.up);
        assert_eq!(nl.links().unwrap().len(), 3, "lo, bridge, host end");

        // Container side.
        let (addrs, routes, eth0, lo) = in_netns(&ns, || {
            let mut c = Netlink::open().unwrap();
            (
                c.addresses("eth0").unwrap(),
                c.routes().unwrap(),
                c.link_info("eth0").unwrap().unwrap(),
                c.link_info("lo").unwrap().unwrap(),
            )
        })
        .unwrap();
        assert_eq!(addrs, vec![(IP, 24)]);
        assert_eq!(eth0.mac, Some(mac_for(IP)));
        assert!(eth0.up && lo.up);
        assert!(
            routes.iter().any(|r| r.prefix == 0
                && r.table == 254
                && r.gateway == Some(GATEWAY)
                && r.oif == Some(eth0.index)),
            "no default route via {GATEWAY} in {routes:?}"
        );

        // L3: a datagram from the container reaches the gateway address in the outer netns.
        let server = UdpSocket::bind((GATEWAY, 0)).unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let port = server.local_addr().unwrap().port();
        in_netns(&ns, || {
            let client = UdpSocket::bind((IP, 0)).unwrap();
            client.send_to(b"hello bridge", (GATEWAY, port)).unwrap();
        })
        .unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).expect("datagram from container");
        assert_eq!(&buf[..n], b"hello bridge");
        assert_eq!(from.ip(), IP);

        // Teardown leaves nothing behind.
        nl.delete_link("vethbt0").unwrap();
        nl.delete_link("vethbt0").unwrap();
        remove_netns(&ns).unwrap();
        remove_netns(&ns).unwrap();
        let mut names: Vec<String> = nl.links().unwrap().into_iter().map(|l| l.1).collect();
        names.sort();
        assert_eq!(names, vec![BRIDGE.to_string(), "lo".to_string()]);
        assert!(!ns.exists());
        let ns_str = ns.to_str().unwrap();
        assert!(!mount_points().iter().any(|m| m == ns_str));
    });
}

#[test]
fn failed_attach_removes_what_it_created() {
    isolated("failed_attach_removes_what_it_created", || {
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("c2");
        let mut nl = Netlink::open().unwrap();
        ensure_bridge(&mut nl, BRIDGE, GATEWAY, 24).unwrap();
        create_netns(&ns).unwrap();
        // The container already has an eth0, so making the peer there fails.
        in_netns(&ns, || {
            Netlink::open()
                .unwrap()
                .create_veth("eth0", "other0")
                .unwrap();
        })
        .unwrap();
        let err = attach(&mut nl, BRIDGE, "vethbt1", &ns, IP, 24, GATEWAY).unwrap_err();
        assert_eq!(err.errno(), Some(nix::errno::Errno::EEXIST), "{err}");
        assert!(err.to_string().contains("create veth"), "{err}");
        assert_eq!(nl.link_index("vethbt1").unwrap(), None);
        assert_eq!(nl.links().unwrap().len(), 2, "lo and the bridge");
        let inside = in_netns(&ns, || Netlink::open().unwrap().links().unwrap()).unwrap();
        assert_eq!(inside.len(), 3, "lo, eth0, other0: {inside:?}");

        // A host name that is taken is reported and the existing link is left alone.
        nl.create_veth("vethbt2", "vethbt2p").unwrap();
        let err = attach(&mut nl, BRIDGE, "vethbt2", &ns, IP, 24, GATEWAY).unwrap_err();
        assert_eq!(err.errno(), Some(nix::errno::Errno::EEXIST), "{err}");
        assert!(nl.link_index("vethbt2").unwrap().is_some());

        // A missing bridge fails before anything is created.
        let err = attach(&mut nl, "nobridge", "vethbt3", &ns, IP, 24, GATEWAY).unwrap_err();
        assert!(matches!(err, LinkError::NoSuchLink { .. }), "{err}");
        assert_eq!(nl.link_index("vethbt3").unwrap(), None);
        remove_netns(&ns).unwrap();
    });
}

#[test]
fn mac_for_embeds_the_address() {
    assert_eq!(
        mac_for(Ipv4Addr::new(172, 17, 0, 2)),
        [0x02, 0x42, 172, 17, 0, 2]
    );
}
