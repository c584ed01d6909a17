//! Bad values: each is an `Error::At` with the key path, the span when known, and compose's
//! wording.

use super::*;

#[test]
fn bad_port_names_file_and_line() {
    let e = web_err(json!({"ports": ["80:http"]}));
    assert_eq!(
        at(&e),
        (
            "services.web.ports[0]".into(),
            "invalid containerPort: http".into()
        )
    );
    assert_eq!(
        e.to_string(),
        "/work/proj/compose.yaml:5:9: services.web.ports[0]: invalid containerPort: http"
    );
    let e = web_err(json!({"ports": ["80", "1.2.3.4.5:80:80"]}));
    let (path, msg) = at(&e);
    assert_eq!(path, "services.web.ports[1]");
    assert_eq!(msg, "invalid IP address: 1.2.3.4.5");
    // The nearest recorded ancestor gives the span.
    assert!(
        e.to_string().starts_with("/work/proj/compose.yaml:2:3: "),
        "{e}"
    );
    assert_eq!(
        at(&web_err(json!({"ports": [{"published": 80}]}))).0,
        "services.web.ports[0]"
    );
    assert_eq!(
        at(&web_err(
            json!({"ports": [{"target": 80, "protocol": "icmp"}]})
        ))
        .1,
        "invalid proto: icmp"
    );
}

#[test]
fn bad_durations_and_sizes() {
    let e = web_err(json!({"healthcheck": {"test": "true", "interval": "10"}}));
    assert_eq!(
        at(&e),
        (
            "services.web.healthcheck.interval".into(),
            "time: missing unit in duration \"10\"".into()
        )
    );
    let e = web_err(json!({"stop_grace_period": "5 s"}));
    assert_eq!(at(&e).0, "services.web.stop_grace_period");
    let e = web_err(json!({"mem_limit": "12x"}));
    assert_eq!(
        at(&e),
        (
            "services.web.mem_limit".into(),
            "invalid size: '12x'".into()
        )
    );
    let e = web_err(json!({"deploy": {"resources": {"limits": {"memory": "lots"}}}}));
    assert_eq!(at(&e).0, "services.web.deploy.resources.limits.memory");
}

#[test]
fn bad_values() {
    assert_eq!(
        at(&web_err(json!({"restart": "sometimes"}))).0,
        "services.web.restart"
    );
    assert_eq!(
        at(&web_err(json!({"volumes": ["a::b"]}))).0,
        "services.web.volumes[0]"
    );
    assert_eq!(
        at(&web_err(
            json!({"volumes": [{"type": "bind", "target": "/x"}]})
        ))
        .0,
        "services.web.volumes[0]"
    );
    assert_eq!(
        at(&web_err(json!({"command": "echo 'open"}))).0,
        "services.web.command"
    );
    assert_eq!(
        at(&web_err(json!({"healthcheck": {"test": ["BOGUS", "x"]}}))).0,
        "services.web.healthcheck.test"
    );
    assert_eq!(at(&web_err(json!({"tty": "maybe"}))).0, "services.web.tty");
    assert_eq!(
        at(&web_err(json!({"container_name": "-bad"}))).0,
        "services.web.container_name"
    );
    assert_eq!(
        at(&web_err(json!({"container_name": "one", "scale": 2}))).0,
        "services.web"
    );
    assert_eq!(
        at(&web_err(
            json!({"ulimits": {"nofile": {"soft": 2, "hard": 1}}})
        ))
        .0,
        "services.web.ulimits.nofile"
    );
    assert_eq!(
        at(&web_err(json!({"extra_hosts": ["nohost"]}))).0,
        "services.web.extra_hosts[0]"
    );
    assert_eq!(
        at(&web_err(
            json!({"depends_on": {"db": {"condition": "service_ready"}}})
        ))
        .0,
        "services.web.depends_on.db.condition"
    );
    assert_eq!(
        at(&web_err(json!({"network_mode": "host", "networks": ["a"]}))).1,
        "service web declares mutually exclusive `network_mode` and `networks`"
    );
    let e = project(&loaded(json!({"services": {"web": {"command": "x"}}})), &[]).err();
    assert!(e.is_some_and(|e| e
        .to_string()
        .contains("neither an image nor a build context")));
}

#[test]
fn unknown_references() {
    let e = web_err(json!({"depends_on": ["db"]}));
    assert_eq!(
        at(&e),
        (
            "services.web.depends_on[0]".into(),
            "service \"web\" depends on undefined service \"db\": invalid compose project".into()
        )
    );
    let e = web_err(json!({"depends_on": {"db": {"condition": "service_healthy"}}}));
    assert_eq!(at(&e).0, "services.web.depends_on.db");
    let e = web_err(json!({"networks": ["front"]}));
    assert_eq!(
        at(&e),
        (
            "services.web.networks[0]".into(),
            "service \"web\" refers to undefined network front: invalid compose project".into()
        )
    );
    let e = web_err(json!({"volumes": ["/x", "data:/d"]}));
    assert_eq!(
        at(&e),
        (
            "services.web.volumes[1]".into(),
            "service \"web\" refers to undefined volume data: invalid compose project".into()
        )
    );
    let e = web_err(json!({"secrets": ["pw"]}));
    assert_eq!(
        at(&e).1,
        "service \"web\" refers to undefined secret pw: invalid compose project"
    );
    let e = web_err(json!({"network_mode": "service:vpn"}));
    assert_eq!(at(&e).0, "services.web.network_mode");
}

#[test]
fn dependency_cycle() {
    let e = project(
        &loaded(json!({"services": {
            "a": {"image": "x", "depends_on": ["b"]},
            "b": {"image": "x", "depends_on": ["c"]},
            "c": {"image": "x", "depends_on": ["a"]}
        }})),
        &[],
    )
    .err()
    .unwrap_or_else(|| panic!("no cycle error"));
    assert_eq!(
        at(&e),
        (
            "services.a.depends_on".into(),
            "dependency cycle detected: a -> b -> c -> a".into()
        )
    );
    let e = project(
        &loaded(json!({"services": {"a": {"image": "x", "depends_on": ["a"]}}})),
        &[],
    )
    .err();
    assert!(e.is_some_and(|e| e.to_string().contains("dependency cycle detected: a -> a")));
}

#[test]
fn bad_top_level() {
    let e = project(
        &loaded(
            json!({"services": {}, "networks": {"n": {"ipam": {"config": [{"subnet": "10.0.0.0"}]}}}}),
        ),
        &[],
    );
    assert_eq!(
        e.err().map(|e| at(&e).0).as_deref(),
        Some("networks.n.ipam.config[0].subnet")
    );
    let e = project(&loaded(json!({"services": {}, "secrets": {"s": {}}})), &[]);
    assert_eq!(e.err().map(|e| at(&e).0).as_deref(), Some("secrets.s"));
    let e = project(
        &loaded(json!({"services": {}, "volumes": {"v": {"external": true, "driver": "x"}}})),
        &[],
    );
    assert_eq!(e.err().map(|e| at(&e).0).as_deref(), Some("volumes.v"));
}
