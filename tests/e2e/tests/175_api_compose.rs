//! Debian's docker-compose 1.29 (Python, on docker-py) against the Docker Engine API
//! service: a project of two services from an imported busybox image, with a network, a
//! named volume, environment, a published port, `depends_on` and commands, brought up with
//! `up -d`, looked at (`ps`, `logs`, `exec` through the API and through the docker CLI, the
//! published port, one service reaching the other by name, `port`, `top`), brought up again
//! (nothing to do), scaled up and down, one service stopped and started, and taken down
//! with `down -v`, which must leave no containers, networks or volumes. A second project
//! builds its service from a Dockerfile, runs one-off containers (`run --rm`, attached
//! through the docker CLI and through the API) and removes the image with `down --rmi
//! local`. A third runs `up` attached with `--exit-code-from` (a healthcheck and
//! `depends_on: service_healthy`, attach streams, the exit code of one service).
//! docker-compose 1.29 names containers `{project}_{service}_1`, networks/volumes
//! `{project}_{name}` and built images `{project}_{service}`.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use berth_e2e::api::Api;
use berth_e2e::api_clients::client_wrapper;
use berth_e2e::cmd::{self, Output};
use berth_e2e::compose::wait_http;

/// Debian's docker-compose 1.29.
const COMPOSE: &str = "/usr/bin/docker-compose";

/// The project name (`-p`); the test's berth root is its own, so it is unique there.
const PROJECT: &str = "ic";

/// The host port web publishes (in the test's network namespace).
const PORT: u16 = 18082;

const COMPOSE_YAML: &str = r#"services:
  web:
    image: icbb:1
    command: ["sh", "-c", "mkdir -p /www && echo $$GREETING > /www/index.html && cp /www/index.html /data/greeting && httpd -p 80 -h /www && echo web ready; trap 'exit 0' TERM; sleep 1000 & wait"]
    environment:
      GREETING: hello-from-compose
    ports:
      - "18082:80"
    volumes:
      - data:/data
    networks:
      - back
  client:
    image: icbb:1
    command: ["sh", "-c", "echo client started; trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      - web
    volumes:
      - data:/shared:ro
    networks:
      - back
networks:
  back: {}
volumes:
  data: {}
"#;

/// docker-compose on one project file, against the test's service.
struct Compose<'a> {
    api: &'a Api,
    /// The wrapper running docker-compose (exec through the docker CLI, as by default).
    bin: PathBuf,
    /// The same with `COMPOSE_INTERACTIVE_NO_CLI=1`: exec through docker-py's API calls.
    bin_api: PathBuf,
    dir: PathBuf,
}

impl<'a> Compose<'a> {
    /// A project dir holding `yaml` as docker-compose.yml.
    fn new(api: &'a Api, yaml: &str) -> Compose<'a> {
        let dir = api.berth.dir.join("project");
        fs::create_dir_all(&dir).expect("create the project dir");
        fs::write(dir.join("docker-compose.yml"), yaml).expect("write compose file");
        let compose = PathBuf::from(COMPOSE);
        assert!(
            compose.exists(),
            "{COMPOSE} is missing (Debian's docker-compose; scripts/test installs it)"
        );
        Compose {
            api,
            bin: client_wrapper(api, "docker-compose", &compose, &[]),
            bin_api: client_wrapper(
                api,
                "docker-compose-api",
                &compose,
                &[("COMPOSE_INTERACTIVE_NO_CLI", "1")],
            ),
            dir,
        }
    }

    fn args(&self, args: &[&str]) -> Vec<String> {
        let file = self.dir.join("docker-compose.yml");
        // --verbose: each request and its status on stderr, for failure messages.
        let mut v = vec![
            "--verbose".to_string(),
            "--ansi".to_string(),
            "never".to_string(),
            "-f".to_string(),
            file.display().to_string(),
            "-p".to_string(),
            PROJECT.to_string(),
            "--project-directory".to_string(),
            self.dir.display().to_string(),
        ];
        v.extend(args.iter().map(|s| s.to_string()));
        v
    }

    /// `docker-compose args...`.
    fn run(&self, args: &[&str]) -> Output {
        cmd::run(
            &self.bin,
            &self.args(args),
            &self.api.berth.dir.join("out"),
            Duration::from_secs(120),
        )
    }

    /// `docker-compose args...` with exec going through the API (no docker CLI).
    fn run_api(&self, args: &[&str]) -> Output {
        cmd::run(
            &self.bin_api,
            &self.args(args),
            &self.api.berth.dir.join("out"),
            Duration::from_secs(120),
        )
    }
}

/// The line index of the first stderr line containing `needle`.
fn line_of(o: &Output, needle: &str) -> Option<usize> {
    o.stderr.lines().position(|l| l.contains(needle))
}

/// Fails the test if the service panicked on any request (a handler's panic still answers
/// 500, so clients may not notice).
#[track_caller]
fn assert_no_panic(api: &Api) {
    let log = api.service_log();
    assert!(!log.contains("panicked at"), "the service panicked:\n{log}");
}

#[test]
fn compose_up_ps_exec_logs_stop_start_down() {
    let Some(api) = Api::new("api-compose") else {
        return;
    };
    api.berth.busybox_image("icbb:1");
    let c = Compose::new(&api, COMPOSE_YAML);
    let with_log = |o: Output| format!("{o}\nservice log:\n{}", api.service_log());

    let up = c.run(&["up", "-d"]);
    assert!(up.success(), "up -d failed:\n{}", with_log(up.clone()));
    // depends_on: web is created and started before client.
    let web = line_of(&up, "Creating ic_web_1");
    let client = line_of(&up, "Creating ic_client_1");
    assert!(
        web.is_some() && client.is_some() && web < client,
        "up -d did not create ic_web_1 before ic_client_1:\n{up}"
    );

    let ps = c.run(&["ps"]);
    assert!(ps.success(), "ps failed:\n{}", with_log(ps.clone()));
    for want in ["ic_web_1", "ic_client_1", "Up", "18082->80/tcp"] {
        assert!(ps.stdout.contains(want), "ps does not show {want:?}:\n{ps}");
    }
    let names = api.berth.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    let mut names = names.lines();
    names.sort();
    assert_eq!(names, ["ic_client_1", "ic_web_1"], "berth ps -a");
    let nets = api
        .berth
        .cmd(&["network", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(nets.lines().iter().any(|n| n == "ic_back"), "{nets}");
    let vols = api
        .berth
        .cmd(&["volume", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(vols.lines().iter().any(|n| n == "ic_data"), "{vols}");

    // The published port, from the test's network namespace.
    wait_http(&api.berth, PORT, "hello-from-compose");

    // logs: each service's own lines, all of them without a service.
    let mut logs = None;
    let ok = berth_e2e::wait_until(Duration::from_secs(30), || {
        let o = c.run(&["logs", "--no-color", "web"]);
        let done = o.stdout.contains("web ready");
        logs = Some(o);
        done
    });
    let logs = logs.expect("logs ran");
    assert!(
        ok,
        "logs web never showed `web ready`:\n{}",
        with_log(logs.clone())
    );
    assert!(!logs.stdout.contains("client started"), "{logs}");
    let all = c.run(&["logs", "--no-color"]);
    assert!(
        all.success() && all.stdout.contains("web ready") && all.stdout.contains("client started"),
        "logs (all services):\n{}",
        with_log(all.clone())
    );

    // client reaches web by its service name on the project network (exec through the API).
    let get = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web 80";
    let o = c.run_api(&["exec", "-T", "client", "sh", "-c", get]);
    assert!(
        o.success() && o.stdout.contains("hello-from-compose"),
        "client could not reach web by name (exec through the API):\n{}",
        with_log(o.clone())
    );
    // The named volume is shared, and the exit code of exec comes back.
    let o = c.run_api(&["exec", "-T", "client", "cat", "/shared/greeting"]);
    assert!(
        o.success() && o.stdout.trim() == "hello-from-compose",
        "the volume seen from client:\n{}",
        with_log(o.clone())
    );
    let o = c.run_api(&["exec", "-T", "client", "sh", "-c", "exit 3"]);
    assert_eq!(o.code, Some(3), "exec exit code:\n{}", with_log(o.clone()));
    // The same through the docker CLI, as docker-compose does by default.
    let o = c.run(&["exec", "-T", "web", "sh", "-c", "echo $GREETING; exit 4"]);
    assert!(
        o.code == Some(4) && o.stdout.trim() == "hello-from-compose",
        "exec through the docker CLI:\n{}",
        with_log(o.clone())
    );

    // A second `up -d` finds the project as it is (labels, config hash) and changes nothing.
    let again = c.run(&["up", "-d"]);
    assert!(
        again.success()
            && again.stderr.contains("ic_web_1 is up-to-date")
            && again.stderr.contains("ic_client_1 is up-to-date"),
        "a second up -d:\n{}",
        with_log(again.clone())
    );
    // port: the published port as inspect shows it.
    let port = c.run(&["port", "web", "80"]);
    assert!(
        port.success() && port.out().ends_with(":18082"),
        "port web 80:\n{}",
        with_log(port.clone())
    );
    // scale a service up and down again: numbered containers, the extra one removed.
    let scale = c.run(&["up", "-d", "--scale", "client=2"]);
    assert!(
        scale.success() && scale.stderr.contains("Creating ic_client_2"),
        "up -d --scale client=2:\n{}",
        with_log(scale.clone())
    );
    let names = api.berth.cmd(&["ps", "--format", "{{.Names}}"]).ok();
    let mut names = names.lines();
    names.sort();
    assert_eq!(
        names,
        ["ic_client_1", "ic_client_2", "ic_web_1"],
        "berth ps"
    );
    let scale = c.run(&["up", "-d", "--scale", "client=1"]);
    assert!(
        scale.success() && scale.stderr.contains("Stopping and removing ic_client_2"),
        "up -d --scale client=1:\n{}",
        with_log(scale.clone())
    );
    let names = api.berth.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    let mut names = names.lines();
    names.sort();
    assert_eq!(
        names,
        ["ic_client_1", "ic_web_1"],
        "berth ps -a after scaling down"
    );
    // top: the processes of a service's container.
    let top = c.run(&["top", "web"]);
    assert!(
        top.success() && top.stdout.contains("httpd"),
        "top web:\n{}",
        with_log(top.clone())
    );
    // stop and start one service; ps shows its state.
    let stop = c.run(&["stop", "client"]);
    assert!(stop.success(), "stop client:\n{}", with_log(stop.clone()));
    let ps = c.run(&["ps"]);
    let client_row = ps.stdout.lines().find(|l| l.starts_with("ic_client_1"));
    assert!(
        client_row.is_some_and(|l| l.contains("Exit")),
        "ps after stop client:\n{ps}"
    );
    let start = c.run(&["start", "client"]);
    assert!(
        start.success(),
        "start client:\n{}",
        with_log(start.clone())
    );
    let ps = c.run(&["ps"]);
    let client_row = ps.stdout.lines().find(|l| l.starts_with("ic_client_1"));
    assert!(
        client_row.is_some_and(|l| l.contains("Up")),
        "ps after start client:\n{ps}"
    );

    let down = c.run(&["down", "-v"]);
    assert!(
        down.success(),
        "down -v failed:\n{}",
        with_log(down.clone())
    );
    let left = api.berth.cmd(&["ps", "-aq"]).ok();
    assert_eq!(left.out(), "", "containers left after down -v:\n{left}");
    let nets = api
        .berth
        .cmd(&["network", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(!nets.stdout.contains("ic_"), "networks left:\n{nets}");
    let vols = api
        .berth
        .cmd(&["volume", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(!vols.stdout.contains("ic_"), "volumes left:\n{vols}");
    let ps = c.run(&["ps", "-q"]);
    assert!(ps.success() && ps.out().is_empty(), "ps after down:\n{ps}");
    assert_no_panic(&api);
}

/// A service built from a Dockerfile (`FROM` the imported image, a `RUN` step).
const BUILD_YAML: &str = r#"services:
  built:
    build: ./ctx
    environment:
      WHO: one-off
"#;

#[test]
fn compose_build_run_one_off_down_rmi() {
    let Some(api) = Api::new("api-compose-build") else {
        return;
    };
    api.berth.busybox_image("icbb:1");
    let c = Compose::new(&api, BUILD_YAML);
    let ctx = c.dir.join("ctx");
    fs::create_dir_all(&ctx).expect("create the build context");
    fs::write(
        ctx.join("Dockerfile"),
        "FROM icbb:1\nRUN echo built-by-compose > /built.txt\nCMD [\"cat\", \"/built.txt\"]\n",
    )
    .expect("write Dockerfile");
    let with_log = |o: Output| format!("{o}\nservice log:\n{}", api.service_log());

    // build: POST /build with the context; compose tags the image {project}_{service}.
    let build = c.run(&["build"]);
    assert!(
        build.success(),
        "build failed:\n{}",
        with_log(build.clone())
    );
    let images = api
        .berth
        .cmd(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert!(
        images.lines().iter().any(|l| l == "ic_built:latest"),
        "no ic_built:latest after build:\n{images}"
    );

    // run --rm: a one-off container, attached (through the docker CLI, as by default).
    let run = c.run(&["run", "--rm", "-T", "built"]);
    assert!(
        run.success() && run.stdout.trim() == "built-by-compose",
        "run --rm built:\n{}",
        with_log(run.clone())
    );
    // The same through the API (dockerpty), with a command, its environment and exit code.
    // dockerpty attaches only after compose started the container (a lazy `map`), with
    // logs=0, so the command waits a little before it prints (as it would for dockerd).
    let run = c.run_api(&[
        "run",
        "--rm",
        "-T",
        "built",
        "sh",
        "-c",
        "sleep 1; echo $WHO; exit 5",
    ]);
    assert!(
        run.code == Some(5) && run.stdout.trim() == "one-off",
        "run --rm through the API:\n{}",
        with_log(run.clone())
    );
    let left = api.berth.cmd(&["ps", "-aq"]).ok();
    assert_eq!(left.out(), "", "run --rm left containers:\n{left}");

    // down --rmi local removes the image compose built (no custom tag).
    let down = c.run(&["down", "--rmi", "local"]);
    assert!(
        down.success(),
        "down --rmi local:\n{}",
        with_log(down.clone())
    );
    let images = api
        .berth
        .cmd(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert!(
        !images.stdout.contains("ic_built"),
        "down --rmi local left the image:\n{images}"
    );
    let nets = api
        .berth
        .cmd(&["network", "ls", "--format", "{{.Name}}"])
        .ok();
    assert!(!nets.stdout.contains("ic_"), "networks left:\n{nets}");
    assert_no_panic(&api);
}

/// A server with a healthcheck and a tester that waits for it to be healthy, fetches from
/// it by name, prints, and exits with 3.
const ATTACHED_YAML: &str = r#"services:
  server:
    image: icbb:1
    command: ["sh", "-c", "mkdir -p /www && echo served-by-server > /www/index.html && httpd -p 80 -h /www && echo server up; trap 'exit 0' TERM; sleep 1000 & wait"]
    healthcheck:
      test: ["CMD", "test", "-f", "/www/index.html"]
      interval: 1s
      timeout: 5s
      retries: 30
  tester:
    image: icbb:1
    depends_on:
      server:
        condition: service_healthy
    command: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 server 80 && break; sleep 1; done; echo tester done; exit 3"]
"#;

#[test]
fn compose_up_attached_exit_code_from() {
    let Some(api) = Api::new("api-compose-attached") else {
        return;
    };
    api.berth.busybox_image("icbb:1");
    let c = Compose::new(&api, ATTACHED_YAML);
    let with_log = |o: Output| format!("{o}\nservice log:\n{}", api.service_log());

    // Attached `up`: the tester starts once the server's healthcheck passed (compose polls
    // State.Health); every service's output comes through attach streams, prefixed with its
    // service (`tester_1  | ...`); the tester's exit ends the run (the server is stopped)
    // with its code.
    let up = c.run(&["up", "--exit-code-from", "tester"]);
    let tester_lines: Vec<&str> = up
        .stdout
        .lines()
        .filter(|l| l.starts_with("tester_1 "))
        .collect();
    assert!(
        up.code == Some(3)
            && tester_lines.iter().any(|l| l.contains("served-by-server"))
            && tester_lines.iter().any(|l| l.contains("tester done")),
        "up --exit-code-from tester:\n{}",
        with_log(up.clone())
    );
    let ps = api
        .berth
        .cmd(&["ps", "-a", "--format", "{{.Names}} {{.State}}"])
        .ok();
    let mut rows = ps.lines();
    rows.sort();
    assert_eq!(
        rows,
        ["ic_server_1 exited", "ic_tester_1 exited"],
        "after up --exit-code-from"
    );
    let down = c.run(&["down"]);
    assert!(down.success(), "down:\n{}", with_log(down.clone()));
    assert_no_panic(&api);
}
