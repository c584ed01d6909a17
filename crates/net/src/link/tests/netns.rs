use super::super::*;
use super::{isolated, mount_points};

#[test]
fn netns_lifecycle() {
    isolated("netns_lifecycle", || {
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("n1");
        create_netns(&ns).unwrap();
        let ns_str = ns.to_str().unwrap();
        assert!(mount_points().iter().any(|m| m == ns_str));
        assert!(create_netns(&ns).is_err(), "second create must fail");

        // A different namespace than ours, with only lo, up.
        let outer = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
        let (inner, links, lo_up) = in_netns(&ns, || {
            let mut nl = Netlink::open().unwrap();
            (
                std::fs::read_link("/proc/thread-self/ns/net").unwrap(),
                nl.links().unwrap(),
                nl.link_info("lo").unwrap().unwrap().up,
            )
        })
        .unwrap();
        assert_ne!(inner, outer);
        assert_eq!(links, vec![(1, "lo".to_string())]);
        assert!(lo_up);

        remove_netns(&ns).unwrap();
        remove_netns(&ns).unwrap();
        assert!(!ns.exists());
        assert!(!mount_points().iter().any(|m| m == ns_str));
        assert!(in_netns(&ns, || ()).is_err());
    });
}
