//! Profiles and service selection.

use super::*;

fn profiled() -> Loaded {
    loaded(json!({"services": {
        "web": {"image": "x"},
        "mock": {"image": "x", "profiles": ["dev"], "depends_on": ["db"]},
        "db": {"image": "x", "profiles": ["dev"]},
        "admin": {"image": "x", "profiles": ["debug"], "depends_on": ["db"]},
        "soft": {"image": "x", "profiles": ["soft"], "depends_on": {"db": {"condition": "service_started", "required": false}}}
    }}))
}

fn names(p: &Project) -> Vec<&str> {
    p.services.keys().map(String::as_str).collect()
}

#[test]
fn profiles_enable_services() {
    let l = profiled();
    let p = project(&l, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&p), ["web"]);
    assert_eq!(p.disabled, strs(&["admin", "db", "mock", "soft"]));
    assert!(!p.networks.is_empty());
    let p = project(&l, &strs(&["dev"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&p), ["db", "mock", "web"]);
    let p = project(&l, &strs(&["*"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&p).len(), 5);
    assert!(p.disabled.is_empty());
    let p = project(&l, &strs(&["soft"])).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        p.services["soft"].depends_on.is_empty(),
        "optional disabled dependency dropped"
    );
}

#[test]
fn disabled_dependency_is_an_error() {
    let e = project(&profiled(), &strs(&["debug"]))
        .err()
        .unwrap_or_else(|| panic!("no error"));
    let (path, msg) = at(&e);
    assert_eq!(path, "services.admin.depends_on[0]");
    assert!(msg.starts_with("service \"db\" was pulled in as a dependency of service \"admin\" but is not enabled by the active profiles"), "{msg}");
    assert!(project(&profiled(), &strs(&["debug", "dev"])).is_ok());
}

#[test]
fn named_services_are_enabled() {
    let l = profiled();
    let p = project_for(&l, &[], &strs(&["db"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names(&p), ["db", "web"]);
    assert!(
        project_for(&l, &[], &strs(&["admin"])).is_err(),
        "its dependency stays disabled"
    );
    assert!(project_for(&l, &[], &strs(&["admin", "db"])).is_ok());
    let e = project_for(&l, &[], &strs(&["nope"])).err();
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("no such service: nope")
    );
}

#[test]
fn default_network_only_when_used() {
    let p = proj(json!({"services": {"h": {"image": "x", "network_mode": "host"}}}));
    assert!(p.networks.is_empty());
    let p = proj(
        json!({"services": {"w": {"image": "x"}}, "networks": {"default": {"name": "shared", "external": true}}}),
    );
    assert_eq!(p.networks["default"].name, "shared");
    let p = proj(
        json!({"services": {"w": {"image": "x", "networks": ["default", "n"]}}, "networks": {"n": {}}}),
    );
    assert_eq!(p.networks["default"].name, "proj_default");
}
