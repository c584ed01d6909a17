//! Python clients against the Docker Engine API service: docker-py (PyPI `docker`) and
//! testcontainers-python, from a virtualenv the test makes once and caches (see
//! `berth_e2e::api_clients::python_venv`). The scripts (tests/e2e/fixtures/api/*.py) run
//! inside the test's network namespace with `DOCKER_HOST` at its service, and exit non-zero
//! with a `FAIL:` line naming what did not work; their output is shown on failure.

use std::path::Path;
use std::time::Duration;

use berth_e2e::api::Api;
use berth_e2e::api_clients::{client_wrapper, fixtures, python_venv_or_skip};
use berth_e2e::cmd::{self, Output};

/// What the venv holds: docker-py 7 (API versions negotiated, so 1.41 here) and a
/// testcontainers 4 on it.
const PINS: &[&str] = &["docker==7.1.0", "testcontainers==4.9.2"];

/// Runs fixture `script` with the venv's python in the test's network namespace.
fn run_script(api: &Api, venv: &Path, script: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    // No __pycache__ in the source tree.
    let mut env = env.to_vec();
    env.push(("PYTHONDONTWRITEBYTECODE", "1"));
    let wrapper = client_wrapper(api, "python", &venv.join("bin/python"), &env);
    let mut full = vec![fixtures().join(script).display().to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    cmd::run(
        &wrapper,
        &full,
        &api.berth.dir.join("out"),
        Duration::from_secs(240),
    )
}

/// Asserts that berth's root holds no containers, and no networks or volumes named `prefix`*.
#[track_caller]
fn assert_nothing_left(api: &Api, prefix: &str) {
    let ps = api.berth.cmd(&["ps", "-aq"]).ok();
    assert_eq!(ps.out(), "", "containers left:\n{ps}");
    let nets = api
        .berth
        .cmd(&["network", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(!nets.stdout.contains(prefix), "networks left:\n{nets}");
    let vols = api
        .berth
        .cmd(&["volume", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(!vols.stdout.contains(prefix), "volumes left:\n{vols}");
}

/// Fails the test if the service panicked on any request (a handler's panic still answers
/// 500, so clients may not notice).
#[track_caller]
fn assert_no_panic(api: &Api) {
    let log = api.service_log();
    assert!(!log.contains("panicked at"), "the service panicked:\n{log}");
}

#[test]
fn docker_py_containers_volumes_networks_exec_logs() {
    let Some(api) = Api::new("api-docker-py") else {
        return;
    };
    let Some(venv) = python_venv_or_skip("api-docker-py", PINS) else {
        return;
    };
    api.berth.busybox_image("pybb:1");
    let o = run_script(
        &api,
        &venv,
        "docker_py.py",
        &["pybb:1", "pyt", "18081"],
        &[],
    );
    assert!(
        o.success() && o.stdout.contains("OK docker-py"),
        "docker-py script failed:\n{o}\nservice log:\n{}",
        api.service_log()
    );
    assert_nothing_left(&api, "pyt-");
    assert_no_panic(&api);
}

#[test]
fn docker_py_attach_archive_top_stats_events_tags() {
    let Some(api) = Api::new("api-docker-py-more") else {
        return;
    };
    let Some(venv) = python_venv_or_skip("api-docker-py-more", PINS) else {
        return;
    };
    api.berth.busybox_image("pymore:1");
    let o = run_script(&api, &venv, "docker_py_more.py", &["pymore:1", "pym"], &[]);
    assert!(
        o.success() && o.stdout.contains("OK docker-py more"),
        "docker-py script failed:\n{o}\nservice log:\n{}",
        api.service_log()
    );
    assert_nothing_left(&api, "pym-");
    assert_no_panic(&api);
}

#[test]
fn testcontainers_python_exposed_port_network_alias_bind_mount() {
    let Some(api) = Api::new("api-testcontainers") else {
        return;
    };
    let Some(venv) = python_venv_or_skip("api-testcontainers", PINS) else {
        return;
    };
    api.berth.busybox_image("tcbb:1");
    let www = api.berth.host_dir("www");
    std::fs::write(www.join("greeting"), "from-the-host\n").expect("write greeting");
    let o = run_script(
        &api,
        &venv,
        "testcontainers_py.py",
        &["tcbb:1", www.to_str().expect("utf-8 path")],
        &[("TESTCONTAINERS_RYUK_DISABLED", "true")],
    );
    assert!(
        o.success() && o.stdout.contains("OK testcontainers"),
        "testcontainers script failed:\n{o}\nservice log:\n{}",
        api.service_log()
    );
    assert_nothing_left(&api, "tc-");
    assert_no_panic(&api);
}
