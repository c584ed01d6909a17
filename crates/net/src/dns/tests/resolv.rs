use std::net::{IpAddr, SocketAddr};

use crate::dns::upstreams_from_resolv_conf;

#[test]
fn parses_nameservers() {
    let text = "# generated\n; comment\nsearch example.com\nnameserver 127.0.0.53\n\
                nameserver 10.89.0.1\nnameserver   1.1.1.1  # cloudflare\n\
                nameserver 2001:4860:4860::8888\nnameserver 1.1.1.1\nnameserver bogus\n\
                nameserver fe80::1%1\nnameserver fe80::2%no-such-if0\noptions edns0\n";
    let exclude: [IpAddr; 1] = ["10.89.0.1".parse().unwrap()];
    let got = upstreams_from_resolv_conf(text, &exclude);
    let want: Vec<SocketAddr> = [
        "127.0.0.53:53",
        "1.1.1.1:53",
        "[2001:4860:4860::8888]:53",
        "[fe80::1%1]:53",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    assert_eq!(got, want);
    assert!(upstreams_from_resolv_conf("", &[]).is_empty());
}
