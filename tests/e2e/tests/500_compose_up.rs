//! `berth compose`, end to end: bringing projects up and converging them. Each test has a
//! fresh state root, its own network namespace (the `Berth` harness) and a project of its own
//! (`Project` in `berth_e2e::compose`: a unique name, a directory with compose.yaml; dropping
//! it runs `compose down -v --remove-orphans` and fails the test if the project left
//! containers, networks or volumes). Covers multi-service projects from images and
//! Dockerfiles, `build:` sections and `up --build`, healthy and one-shot dependencies,
//! `--scale`, profiles, recreating only what changed, `--wait`, attached `up`, and bad files
//! that create nothing. Traffic goes only to addresses in the test's namespace (127.0.0.1
//! there, container addresses). Volumes, networks and ports are in 510_compose_network.rs,
//! the other commands in 520_compose_commands.rs.

use std::collections::BTreeSet;
use std::time::Duration;

use berth_e2e::compose::{
    assert_progress, in_container_get, progress, script_services, setup, sleeper_cmd, sorted_lines,
    strs, table_header, wait_http, wait_logs, web_cmd, Project, LONG, SLEEPER,
};
use berth_e2e::{Berth, Output, Value};

/// Services of the project with a running container, sorted and deduplicated.
fn running_services(p: &Project) -> Vec<String> {
    let filter = format!("label=com.docker.compose.project={}", p.name);
    let ids =
        p.b.cmd(&["ps", "-q", "--no-trunc", "--filter", &filter])
            .ok()
            .lines();
    let set: BTreeSet<String> = ids
        .iter()
        .map(|id| p.label(id, "com.docker.compose.service"))
        .collect();
    set.into_iter().collect()
}

/// Asserts that the images `present` exist and the images `gone` do not.
#[track_caller]
fn assert_images(b: &Berth, present: &[&str], gone: &[&str]) {
    for image in present {
        b.cmd(&["image", "inspect", image]).ok();
    }
    for image in gone {
        b.cmd(&["image", "inspect", image]).fails();
    }
}

/// A service `name` (a block of compose.yaml's `services:`, without a final newline) that
/// runs until stopped and whose health check always fails: unhealthy after two probes
/// 200 ms apart.
fn unhealthy_service(name: &str) -> String {
    format!(
        r#"  {name}:
    image: bb:1
    command: {sleep}
    healthcheck:
      test: ["CMD-SHELL", "exit 1"]
      interval: 200ms
      retries: 2"#,
        sleep = sleeper_cmd()
    )
}

/// `up -d <dependent>`, which must fail (a dependency of it fails) without starting
/// `dependent`; returns the output.
#[track_caller]
fn up_fails_without_starting(p: &Project, dependent: &str) -> Output {
    let o = p.compose(&["up", "-d", dependent]).fails();
    assert!(!p.running(&p.container(dependent, 1)), "{o}");
    o
}

#[test]
fn multi_service_project_from_images_and_a_dockerfile() {
    let Some(b) = setup("compose-multi") else {
        return;
    };
    let image_id = b
        .cmd(&["image", "inspect", "-f", "{{.Id}}", "bb:1"])
        .ok()
        .out()
        .to_string();
    let p = Project::new(
        &b,
        "multi",
        &format!(
            r#"services:
  web:
    image: bb:1
    command: {web}
    depends_on:
      - api
    ports:
      - "127.0.0.1:18080:80"
  api:
    build:
      context: ./api
      args:
        GREETING: built-with-arg
    command: ["sh", "-c", "cat /greeting; {SLEEPER}"]
  worker:
    image: bb:1
    command: {sleep}
    environment:
      ROLE: worker
"#,
            web = web_cmd("hello-compose"),
            sleep = sleeper_cmd()
        ),
    );
    p.write(
        "api/Dockerfile",
        "FROM bb:1\nARG GREETING=none\nRUN echo \"$GREETING\" > /greeting\n",
    );
    let (web, api, worker) = (
        p.container("web", 1),
        p.container("api", 1),
        p.container("worker", 1),
    );

    let up = p.compose(&["up", "-d"]).ok();
    for c in [&web, &api, &worker] {
        assert_progress(&up, "Container", c, "Started");
    }
    assert_progress(&up, "Network", &p.scoped("default"), "Created");
    // depends_on: api is started before web.
    assert!(
        progress(&up, "Container", &api, "Started") < progress(&up, "Container", &web, "Started"),
        "api must start before web:\n{up}"
    );
    // The build: service's image is `<project>-<service>`, built with its args.
    let built = format!("{}-api", p.name);
    assert_images(&b, &[&built], &[]);
    wait_logs(&p, "api", "built-with-arg");

    // ps: the table, --services, -q, --format json.
    let ps = p.compose(&["ps"]).ok();
    assert_eq!(
        table_header(&ps),
        ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"],
        "{ps}"
    );
    assert_eq!(ps.lines().len(), 4, "header and three containers:\n{ps}");
    let web_row = ps
        .stdout
        .lines()
        .find(|l| l.starts_with(&web))
        .unwrap_or_else(|| panic!("no row for {web}:\n{ps}"));
    assert!(web_row.contains("127.0.0.1:18080->80/tcp"), "{ps}");
    assert!(web_row.contains(" web "), "{ps}");
    assert_eq!(
        sorted_lines(&p.compose(&["ps", "--services"]).ok()),
        strs(&["api", "web", "worker"])
    );
    assert_eq!(sorted_lines(&p.compose(&["ps", "-q"]).ok()), p.ids());
    assert_eq!(p.ids().len(), 3);
    let rows = p.ps_json(&[]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    for r in &rows {
        assert_eq!(r["Project"], p.name.as_str(), "{r}");
        assert_eq!(r["State"], "running", "{r}");
        let svc = r["Service"].as_str().unwrap_or_default();
        assert_eq!(
            r["Name"].as_str(),
            Some(p.container(svc, 1).as_str()),
            "{r}"
        );
    }
    let web_json = rows.iter().find(|r| r["Service"] == "web").unwrap();
    assert!(
        web_json["Publishers"].as_array().is_some_and(|a| a
            .iter()
            .any(|x| x["PublishedPort"] == 18080 && x["TargetPort"] == 80)),
        "ps --format json: no Publishers entry for 127.0.0.1:18080->80/tcp:\n{web_json}"
    );

    // The labels compose puts on its containers.
    let labels = p.inspect(&web)["Config"]["Labels"].clone();
    let l = |k: &str| labels[k].as_str().unwrap_or_default().to_string();
    assert_eq!(l("com.docker.compose.project"), p.name, "{labels}");
    assert_eq!(l("com.docker.compose.service"), "web", "{labels}");
    assert_eq!(l("com.docker.compose.container-number"), "1", "{labels}");
    assert_eq!(l("com.docker.compose.oneoff"), "False", "{labels}");
    assert_eq!(
        l("com.docker.compose.project.working_dir"),
        p.dir.display().to_string(),
        "{labels}"
    );
    assert_eq!(
        l("com.docker.compose.project.config_files"),
        p.dir.join("compose.yaml").display().to_string(),
        "{labels}"
    );
    assert!(
        l("com.docker.compose.depends_on").starts_with("api:service_started"),
        "{labels}"
    );
    assert_eq!(l("com.docker.compose.image"), image_id, "{labels}");
    assert!(!l("com.docker.compose.version").is_empty(), "{labels}");
    let hash = p.compose(&["config", "--hash", "web"]).ok();
    assert_eq!(
        hash.out().split_whitespace().collect::<Vec<_>>(),
        ["web", l("com.docker.compose.config-hash").as_str()],
        "config --hash and the label differ:\n{hash}\n{labels}"
    );
    assert_eq!(p.label(&worker, "com.docker.compose.service"), "worker");

    // The project network, with its labels.
    assert_eq!(p.networks(), vec![p.scoped("default")]);
    let net = b.cmd(&["network", "inspect", &p.scoped("default")]).ok();
    let net: Value = serde_json::from_str(&net.stdout).unwrap();
    assert_eq!(
        net[0]["Labels"]["com.docker.compose.project"],
        p.name.as_str(),
        "{net}"
    );
    assert_eq!(
        net[0]["Labels"]["com.docker.compose.network"], "default",
        "{net}"
    );

    // Traffic: the published port from the host, service and container names inside.
    wait_http(&b, 18080, "hello-compose");
    for host in ["web", web.as_str()] {
        let o = p
            .compose(&["exec", "-T", "worker", "sh", "-c", &in_container_get(host)])
            .ok();
        assert!(o.stdout.contains("hello-compose"), "worker -> {host}:\n{o}");
    }
    assert_eq!(
        p.exec("worker", &["sh", "-c", "echo $ROLE"]).ok().out(),
        "worker"
    );
    let top = p.compose(&["top", "web"]).ok();
    assert!(top.stdout.contains("httpd"), "{top}");
    assert_eq!(
        p.compose(&["port", "web", "80"]).ok().out(),
        "127.0.0.1:18080"
    );
    let images = p.compose(&["images"]).ok();
    assert!(
        images.stdout.contains(&built) && images.stdout.contains("bb"),
        "{images}"
    );

    // down --rmi local: containers, the network and the built image go; bb:1 stays.
    let down = p.compose(&["down", "--rmi", "local"]).ok();
    for c in [&web, &api, &worker] {
        assert_progress(&down, "Container", c, "Removed");
    }
    assert_progress(&down, "Network", &p.scoped("default"), "Removed");
    assert_eq!(p.ids(), Vec::<String>::new());
    assert_eq!(p.networks(), Vec::<String>::new());
    assert_images(&b, &["bb:1"], &[&built]);
}

#[test]
fn service_healthy_dependency_starts_the_dependent_only_when_healthy() {
    let Some(b) = setup("compose-healthy") else {
        return;
    };
    let p = Project::new(
        &b,
        "healthy",
        &format!(
            r#"services:
  db:
    image: bb:1
    command: {sleep}
    volumes:
      - flags:/flags
    healthcheck:
      test: ["CMD", "test", "-f", "/flags/ready"]
      interval: 200ms
      timeout: 2s
      retries: 1000
  app:
    image: bb:1
    command: ["sh", "-c", "if [ -f /flags/ready ]; then echo dependency-was-ready; else echo dependency-NOT-ready; fi; {SLEEPER}"]
    volumes:
      - flags:/flags
    depends_on:
      db:
        condition: service_healthy
{sick}
  patient:
    image: bb:1
    command: {sleep}
    depends_on:
      sick:
        condition: service_healthy
volumes:
  flags:
"#,
            sleep = sleeper_cmd(),
            sick = unhealthy_service("sick")
        ),
    );
    let (db, app) = (p.container("db", 1), p.container("app", 1));
    let up = p.spawn(&["up", "-d", "app"]);
    p.wait_for("db to run", LONG, || p.running(&db));
    // Several probes fail while the marker is missing: up keeps waiting, app is not started.
    std::thread::sleep(Duration::from_millis(800));
    let still_waiting = p.bg(up, |bg| bg.exited().is_none());
    assert!(
        still_waiting,
        "`up` finished before db was healthy:\n{}",
        p.bg(up, |bg| bg.describe())
    );
    assert!(
        !p.running(&app),
        "app runs before db is healthy: {:?}",
        p.status(&app)
    );
    assert_eq!(
        p.inspect(&db)["State"]["Health"]["Status"],
        "starting",
        "db's health before the marker"
    );
    p.exec("db", &["touch", "/flags/ready"]).ok();
    let status = p.bg(up, |bg| bg.wait_exit(LONG));
    assert!(
        status.is_some_and(|s| s.success()),
        "`up -d app` did not succeed once db was healthy:\n{}",
        p.bg(up, |bg| bg.describe())
    );
    assert_eq!(p.inspect(&db)["State"]["Health"]["Status"], "healthy");
    assert!(p.running(&app));
    let logs = wait_logs(&p, "app", "dependency-");
    assert!(logs.contains("dependency-was-ready"), "{logs}");

    // A dependency that turns unhealthy fails `up`, naming it; the dependent never starts.
    let o = up_fails_without_starting(&p, "patient").stderr_mentions(&["unhealthy"]);
    assert!(o.stderr.contains(&p.container("sick", 1)), "{o}");
    assert_eq!(
        p.inspect(&p.container("sick", 1))["State"]["Health"]["Status"],
        "unhealthy"
    );
}

#[test]
fn service_completed_successfully_runs_the_one_shot_first() {
    let Some(b) = setup("compose-oneshot") else {
        return;
    };
    let p = Project::new(
        &b,
        "oneshot",
        &format!(
            r#"services:
  init:
    image: bb:1
    command: ["sh", "-c", "sleep 0.5; echo seeded > /seed/data"]
    volumes:
      - seed:/seed
  app:
    image: bb:1
    command: ["sh", "-c", "cat /seed/data || echo MISSING; {SLEEPER}"]
    volumes:
      - seed:/seed
    depends_on:
      init:
        condition: service_completed_successfully
  badinit:
    image: bb:1
    command: ["sh", "-c", "exit 3"]
  app2:
    image: bb:1
    command: {sleep}
    depends_on:
      badinit:
        condition: service_completed_successfully
volumes:
  seed:
"#,
            sleep = sleeper_cmd()
        ),
    );
    let init = p.container("init", 1);
    p.compose(&["up", "-d", "app"]).ok();
    let st = p.inspect(&init)["State"].clone();
    assert_eq!(st["Status"], "exited", "{st}");
    assert_eq!(st["ExitCode"], 0, "{st}");
    assert!(p.running(&p.container("app", 1)));
    let logs = wait_logs(&p, "app", "\n");
    assert!(
        logs.contains("seeded") && !logs.contains("MISSING"),
        "{logs}"
    );
    // ps shows running containers; ps -a the finished one-shot too.
    let ps = p.compose(&["ps"]).ok();
    assert!(!ps.stdout.contains(&init), "{ps}");
    let ps = p.compose(&["ps", "-a"]).ok();
    let row = ps.stdout.lines().find(|l| l.starts_with(&init));
    assert!(row.is_some_and(|r| r.contains("Exited (0)")), "{ps}");

    // A one-shot that exits non-zero fails `up`; its dependent is not started.
    let o = up_fails_without_starting(&p, "app2");
    assert!(o.stderr.contains("badinit"), "{o}");
    assert!(o.stderr.contains("exit 3"), "the exit code is named:\n{o}");
    assert_eq!(
        p.inspect(&p.container("badinit", 1))["State"]["ExitCode"],
        3
    );
}

#[test]
fn scale_adds_and_removes_replicas() {
    let Some(b) = setup("compose-scale") else {
        return;
    };
    let p = Project::new(
        &b,
        "scale",
        &format!(
            r#"services:
  w:
    image: bb:1
    command: {sleep}
    deploy:
      replicas: 2
"#,
            sleep = sleeper_cmd()
        ),
    );
    let w = |n| p.container("w", n);
    p.compose(&["up", "-d"]).ok();
    assert_eq!(p.names(), vec![w(1), w(2)]);
    let (id1, id2) = (p.id_of(&w(1)), p.id_of(&w(2)));

    p.compose(&["up", "-d", "--scale", "w=3"]).ok();
    assert_eq!(p.names(), vec![w(1), w(2), w(3)]);
    assert_eq!((p.id_of(&w(1)), p.id_of(&w(2))), (id1.clone(), id2));
    for n in 1..=3 {
        assert_eq!(
            p.label(&w(n), "com.docker.compose.container-number"),
            n.to_string()
        );
        assert!(p.running(&w(n)));
    }
    assert_eq!(p.ps_json(&[]).len(), 3);
    // exec --index picks the replica.
    p.compose(&["exec", "-T", "--index", "3", "w", "touch", "/tmp/picked"])
        .ok();
    for n in 1..=3 {
        let o = b.cmd(&["exec", &w(n), "ls", "/tmp"]).ok();
        assert_eq!(o.out().contains("picked"), n == 3, "{}:\n{o}", w(n));
    }

    p.compose(&["up", "-d", "--scale", "w=1"]).ok();
    assert_eq!(p.names(), vec![w(1)]);
    assert_eq!(p.id_of(&w(1)), id1);
}

#[test]
fn profiles_enable_services() {
    let Some(b) = setup("compose-profiles") else {
        return;
    };
    let p = Project::new(
        &b,
        "prof",
        &format!(
            r#"services:
  base:
    image: bb:1
    command: {sleep}
  debug:
    image: bb:1
    command: {sleep}
    profiles: [debug]
  tools:
    image: bb:1
    command: {sleep}
    profiles: [tools]
  extra:
    image: bb:1
    command: {sleep}
    profiles: [extra]
"#,
            sleep = sleeper_cmd()
        ),
    );
    assert_eq!(
        sorted_lines(&p.compose(&["config", "--services"]).ok()),
        strs(&["base"])
    );
    assert_eq!(
        sorted_lines(&p.compose(&["config", "--profiles"]).ok()),
        strs(&["debug", "extra", "tools"])
    );
    assert_eq!(
        sorted_lines(
            &p.compose(&["--profile", "debug", "config", "--services"])
                .ok()
        ),
        strs(&["base", "debug"])
    );
    assert_eq!(
        sorted_lines(
            &p.compose_env(
                &[("COMPOSE_PROFILES", "tools,extra")],
                &["config", "--services"]
            )
            .ok()
        ),
        strs(&["base", "extra", "tools"])
    );

    p.compose(&["up", "-d"]).ok();
    assert_eq!(running_services(&p), strs(&["base"]));
    p.compose(&["--profile", "debug", "up", "-d"]).ok();
    assert_eq!(running_services(&p), strs(&["base", "debug"]));
    p.compose_env(&[("COMPOSE_PROFILES", "tools")], &["up", "-d"])
        .ok();
    assert_eq!(running_services(&p), strs(&["base", "debug", "tools"]));
    // Naming a service enables its profile.
    p.compose(&["up", "-d", "extra"]).ok();
    assert_eq!(
        running_services(&p),
        strs(&["base", "debug", "extra", "tools"])
    );
}

#[test]
fn up_recreates_only_what_changed() {
    let Some(b) = setup("compose-recreate") else {
        return;
    };
    let file = |v: &str, with_b: bool| {
        let sleep = sleeper_cmd();
        let mut s = format!(
            r#"services:
  a:
    image: bb:1
    command: {sleep}
    environment:
      V: "{v}"
  c:
    image: bb:1
    command: {sleep}
    depends_on:
      - a
"#
        );
        if with_b {
            s += &format!("  b:\n    image: bb:1\n    command: {sleep}\n");
        }
        s
    };
    let p = Project::new(&b, "recreate", &file("1", true));
    let ids = || {
        ["a", "b", "c"].map(|s| {
            p.try_inspect(&p.container(s, 1))
                .map(|v| v["Id"].as_str().unwrap_or_default().to_string())
        })
    };
    let v_of_a = || p.exec("a", &["sh", "-c", "echo $V"]).ok().out().to_string();
    p.compose(&["up", "-d"]).ok();
    let first = ids();
    assert!(first.iter().all(|i| i.is_some()), "{first:?}");

    // Nothing changed: nothing is recreated.
    let o = p.compose(&["up", "-d"]).ok();
    assert_eq!(
        ids(),
        first,
        "an unchanged `up -d` recreated something:\n{o}"
    );
    assert!(!o.stderr.contains("Recreate"), "{o}");

    // a changed: a, and only a, is recreated.
    p.write("compose.yaml", &file("2", true));
    let o = p.compose(&["up", "-d"]).ok();
    let second = ids();
    assert_ne!(second[0], first[0], "a was not recreated:\n{o}");
    assert_eq!(second[1..], first[1..], "only a may be recreated:\n{o}");
    assert_progress(&o, "Container", &p.container("a", 1), "Recreated");
    assert_eq!(v_of_a(), "2");
    let hash = p.compose(&["config", "--hash", "a"]).ok();
    assert_eq!(
        hash.out().split_whitespace().nth(1).unwrap_or_default(),
        p.label(&p.container("a", 1), "com.docker.compose.config-hash"),
        "`config --hash a` (left) and the recreated container's config-hash label differ:\n{hash}"
    );

    // --always-recreate-deps: its dependent c goes with it, b stays.
    p.write("compose.yaml", &file("3", true));
    let o = p.compose(&["up", "-d", "--always-recreate-deps"]).ok();
    let third = ids();
    assert_ne!(third[0], second[0], "{o}");
    assert_eq!(third[1], second[1], "b must stay:\n{o}");
    assert_ne!(third[2], second[2], "c depends on a:\n{o}");

    // --force-recreate: everything.
    let o = p.compose(&["up", "-d", "--force-recreate"]).ok();
    let fourth = ids();
    for i in 0..3 {
        assert_ne!(fourth[i], third[i], "{o}");
    }

    // --no-recreate: a change is not applied.
    p.write("compose.yaml", &file("4", true));
    p.compose(&["up", "-d", "--no-recreate"]).ok();
    assert_eq!(ids(), fourth);
    assert_eq!(v_of_a(), "3");

    // b removed from the file: an orphan, kept (with a warning) until --remove-orphans.
    p.write("compose.yaml", &file("3", false));
    let o = p.compose(&["up", "-d"]).ok();
    assert!(o.stderr.to_lowercase().contains("orphan"), "{o}");
    assert_eq!(ids(), fourth);
    p.compose(&["up", "-d", "--remove-orphans"]).ok();
    let fifth = ids();
    assert_eq!(fifth[1], None);
    assert_eq!([&fifth[0], &fifth[2]], [&fourth[0], &fourth[2]]);

    // down keeps an orphan unless --remove-orphans.
    p.write("compose.yaml", &file("3", true));
    p.compose(&["up", "-d", "b"]).ok();
    p.write("compose.yaml", &file("3", false));
    p.compose(&["down", "-t", "1"]).ok();
    let after = ids();
    assert!(
        after[0].is_none() && after[1].is_some() && after[2].is_none(),
        "down removes a and c and keeps the orphan b: {after:?}"
    );
    p.compose_removing_all(&["down", "--remove-orphans"]);

    // up --no-deps: only the named service.
    p.compose(&["up", "-d", "--no-deps", "c"]).ok();
    assert_eq!(running_services(&p), strs(&["c"]));
    assert_eq!(p.status(&p.container("a", 1)), None);
}

#[test]
fn wait_fails_on_an_unhealthy_service() {
    let Some(b) = setup("compose-wait") else {
        return;
    };
    let p = Project::new(
        &b,
        "wait",
        &format!(
            r#"services:
  good:
    image: bb:1
    command: {sleep}
    healthcheck:
      test: ["CMD", "true"]
      interval: 200ms
{bad}
  slow:
    image: bb:1
    command: {sleep}
    profiles: [slow]
    healthcheck:
      test: ["CMD", "test", "-f", "/never"]
      interval: 200ms
      retries: 1000
"#,
            sleep = sleeper_cmd(),
            bad = unhealthy_service("bad")
        ),
    );
    // --wait returns once the service is healthy.
    p.compose(&["up", "-d", "--wait", "--wait-timeout", "30", "good"])
        .ok();
    assert_eq!(
        p.inspect(&p.container("good", 1))["State"]["Health"]["Status"],
        "healthy"
    );
    // An unhealthy one fails it, named.
    let o = p
        .compose(&["up", "-d", "--wait", "--wait-timeout", "30"])
        .fails()
        .stderr_mentions(&["unhealthy"]);
    assert!(
        o.stderr.contains(&p.container("bad", 1)) || o.stderr.contains("bad"),
        "{o}"
    );
    assert_eq!(
        p.inspect(&p.container("bad", 1))["State"]["Health"]["Status"],
        "unhealthy"
    );
    // One that stays "starting" fails --wait at --wait-timeout.
    let o = p
        .compose(&["up", "-d", "--wait", "--wait-timeout", "2", "slow"])
        .fails()
        .stderr_mentions(&["timeout", "timed out", "healthy", "slow"]);
    assert_eq!(
        p.inspect(&p.container("slow", 1))["State"]["Health"]["Status"],
        "starting",
        "{o}"
    );
}

/// A broken project: (what, compose.yaml, override.yaml if any, where: `file:line:`, key
/// path, a word of the message).
type BadCase<'a> = (&'a str, String, Option<&'a str>, String, &'a str, &'a str);

#[test]
fn a_bad_compose_file_creates_nothing() {
    let Some(b) = setup("compose-bad") else {
        return;
    };
    let p = Project::new(&b, "bad", "");
    let compose = p.dir.join("compose.yaml").display().to_string();
    let override_file = p.dir.join("override.yaml").display().to_string();
    let valid_rest = "  db:\n    image: bb:1\n    volumes:\n      - data:/data\n    networks:\n      - net\nvolumes:\n  data:\nnetworks:\n  net:\n";
    let cases: Vec<BadCase> = vec![
        (
            "unknown key",
            format!("services:\n  web:\n    image: bb:1\n    bogus: 1\n{valid_rest}"),
            None,
            format!("{compose}:4:"),
            "services.web",
            "bogus",
        ),
        (
            "bad port",
            format!("services:\n  web:\n    image: bb:1\n    ports:\n      - \"80:http\"\n{valid_rest}"),
            None,
            format!("{compose}:5:"),
            "services.web.ports[0]",
            "http",
        ),
        (
            "dependency cycle",
            format!(
                "services:\n  a:\n    image: bb:1\n    depends_on: [b]\n  b:\n    image: bb:1\n    depends_on: [a]\n{valid_rest}"
            ),
            None,
            format!("{compose}:4:"),
            "services.a.depends_on",
            "cycle",
        ),
        (
            "missing required variable",
            format!("services:\n  web:\n    image: ${{NEED_IMAGE:?set NEED_IMAGE}}\n{valid_rest}"),
            None,
            format!("{compose}:3:"),
            "services.web.image",
            "NEED_IMAGE",
        ),
        (
            "unknown key in an override file",
            format!("services:\n  web:\n    image: bb:1\n{valid_rest}"),
            Some("services:\n  web:\n    colour: red\n"),
            format!("{override_file}:3:"),
            "services.web",
            "colour",
        ),
    ];
    for (what, text, over, place, path, word) in &cases {
        p.write("compose.yaml", text);
        let mut args = vec![];
        if let Some(o) = over {
            p.write("override.yaml", o);
            args = vec!["-f", "compose.yaml", "-f", "override.yaml"];
        }
        for cmd in [&["up", "-d"][..], &["config"][..]] {
            let mut all = args.clone();
            all.extend_from_slice(cmd);
            let o = p.compose(&all).fails();
            for want in [place.as_str(), path, word] {
                assert!(
                    o.stderr.contains(want),
                    "{what}: the error lacks {want:?}:\n{o}"
                );
            }
        }
        assert_eq!(
            b.container_ids(),
            Vec::<String>::new(),
            "{what}: containers were created"
        );
        assert_eq!(
            p.networks(),
            Vec::<String>::new(),
            "{what}: networks were created"
        );
        assert_eq!(
            b.cmd(&["volume", "ls", "-q"]).ok().out(),
            "",
            "{what}: volumes were created"
        );
    }
}

#[test]
fn build_sections_and_up_build() {
    let Some(b) = setup("compose-build") else {
        return;
    };
    let file = |word: &str| {
        format!(
            r#"services:
  app:
    build:
      context: .
      dockerfile: custom.Dockerfile
      target: final
      args:
        WORD: {word}
    command: ["sh", "-c", "cat /word; {SLEEPER}"]
  tagged:
    image: localbuilt:v1
    build: ./tagged
    command: {sleep}
"#,
            sleep = sleeper_cmd()
        )
    };
    let p = Project::new(&b, "build", &file("first"));
    p.write(
        "custom.Dockerfile",
        "FROM bb:1 AS base\nARG WORD\nRUN echo \"$WORD\" > /word\n\
         FROM base AS final\nRUN echo final-stage >> /word\n\
         FROM base AS other\nRUN exit 1\n",
    );
    p.write(
        "tagged/Dockerfile",
        "FROM bb:1\nRUN echo tagged > /tagged\n",
    );
    let built = format!("{}-app", p.name);

    p.compose(&["build"]).ok();
    assert_images(&b, &[&built, "localbuilt:v1"], &[]);
    p.compose(&["up", "-d"]).ok();
    let logs = wait_logs(&p, "app", "final-stage");
    assert!(logs.contains("first"), "{logs}");
    assert_eq!(p.exec("tagged", &["cat", "/tagged"]).ok().out(), "tagged");
    let app = p.container("app", 1);
    let first_id = p.id_of(&app);

    // A changed build arg: plain `up` keeps the built image, `up --build` rebuilds and
    // recreates the container on the new image.
    p.write("compose.yaml", &file("second"));
    p.compose(&["up", "-d"]).ok();
    assert_eq!(p.id_of(&app), first_id);
    p.compose(&["up", "-d", "--build"]).ok();
    assert_ne!(
        p.id_of(&app),
        first_id,
        "up --build must recreate on the new image"
    );
    let logs = wait_logs(&p, "app", "second");
    assert!(!logs.contains("first"), "{logs}");
    let image_id = b
        .cmd(&["image", "inspect", "-f", "{{.Id}}", &built])
        .ok()
        .out()
        .to_string();
    assert_eq!(p.label(&app, "com.docker.compose.image"), image_id);

    // down --rmi local: only the images without an `image:` name; --rmi all: those too.
    p.compose(&["down", "--rmi", "local"]).ok();
    assert_images(&b, &["localbuilt:v1"], &[&built]);
    p.compose(&["up", "-d", "tagged"]).ok();
    p.compose(&["down", "--rmi", "all"]).ok();
    assert_images(&b, &["bb:1"], &["localbuilt:v1"]);
}

#[test]
fn up_attached_streams_logs_until_the_containers_exit() {
    let Some(b) = setup("compose-attached") else {
        return;
    };
    let compose_yaml = script_services(&[
        ("first", "echo from-first"),
        ("second", "echo from-second; sleep 0.3; echo second-again"),
    ]);
    let p = Project::new(&b, "attached", &compose_yaml);
    let o = p.compose(&["up", "--no-color"]).ok();
    // Each container's lines with its prefix (padded to the longest name).
    let lines: Vec<(String, String)> = o
        .stdout
        .lines()
        .filter_map(|l| l.split_once(" | "))
        .map(|(who, text)| (who.trim_end().to_string(), text.to_string()))
        .collect();
    for (who, text) in [
        ("first-1", "from-first"),
        ("second-1", "from-second"),
        ("second-1", "second-again"),
    ] {
        assert!(
            lines.iter().any(|(w, t)| w == who && t == text),
            "no line {who} | {text}:\n{o}"
        );
    }
    for c in ["first-1", "second-1"] {
        assert!(
            o.stdout
                .lines()
                .any(|l| l.contains(c) && l.contains("exited with code 0")),
            "{c} exit not shown:\n{o}"
        );
    }
    for s in ["first", "second"] {
        assert_eq!(p.status(&p.container(s, 1)).as_deref(), Some("exited"));
    }
}
