use std::net::Ipv4Addr;

use nix::errno::Errno;

use super::super::*;
use super::isolated;

#[test]
fn link_primitives() {
    isolated("link_primitives", || {
        let mut nl = Netlink::open().unwrap();
        assert_eq!(nl.link_index("btnone").unwrap(), None);
        assert_eq!(nl.link_index("lo").unwrap(), Some(1));

        nl.create_veth("bta0", "btb0").unwrap();
        let err = nl.create_veth("bta0", "btb9").unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EEXIST));
        assert!(err.to_string().contains("bta0"), "{err}");

        nl.set_mtu("bta0", 1400).unwrap();
        nl.set_mac("bta0", [0x02, 0x42, 1, 2, 3, 4]).unwrap();
        nl.rename("btb0", "btc0").unwrap();
        let a = nl.link_info("bta0").unwrap().unwrap();
        assert_eq!(a.mtu, 1400);
        assert_eq!(a.mac, Some([0x02, 0x42, 1, 2, 3, 4]));
        assert!(!a.up);
        assert_eq!(nl.link_index("btb0").unwrap(), None);
        assert!(nl.link_index("btc0").unwrap().is_some());

        nl.create_bridge("btbr1").unwrap();
        nl.create_bridge("btbr1").unwrap();
        assert!(matches!(
            nl.create_bridge("bta0"),
            Err(LinkError::NotABridge(_))
        ));
        nl.set_master("bta0", "btbr1").unwrap();
        nl.set_up("bta0").unwrap();
        let a = nl.link_info("bta0").unwrap().unwrap();
        assert_eq!(a.master, nl.link_index("btbr1").unwrap());
        assert!(a.up);

        let addr = Ipv4Addr::new(192, 168, 77, 1);
        nl.add_address("btbr1", addr, 24).unwrap();
        nl.add_address("btbr1", addr, 24).unwrap();
        assert_eq!(nl.addresses("btbr1").unwrap(), vec![(addr, 24)]);
        assert!(matches!(
            nl.add_address("btnone", addr, 24),
            Err(LinkError::NoSuchLink { .. })
        ));

        assert!(matches!(
            nl.set_up("this-name-is-too-long"),
            Err(LinkError::InvalidName { .. })
        ));
        nl.delete_link("btc0").unwrap();
        nl.delete_link("btnone").unwrap();
        nl.delete_link("btbr1").unwrap();
        assert_eq!(nl.links().unwrap(), vec![(1, "lo".to_string())]);
    });
}
