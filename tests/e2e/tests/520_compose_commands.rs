//! `berth compose`, end to end: the commands besides bringing a project up. Each test has a
//! fresh state root, its own network namespace (the `Berth` harness) and a project of its own
//! (`Project` in `berth_e2e::compose`: a unique name, a directory with compose.yaml; dropping
//! it runs `compose down -v --remove-orphans` and fails the test if the project left
//! containers, networks or volumes). Covers `run`, `exec`, `logs -f`, `config` and the
//! project name, the lifecycle commands (start, stop, restart, kill, pause, unpause, rm) and
//! `ls`, `top`, `cp`, `wait`, `images` and `version`. Traffic goes only to addresses in the
//! test's namespace (127.0.0.1 there).

use std::path::Path;

use berth_e2e::compose::{
    parse_json_rows, script_services, setup, sleeper_cmd, sorted_lines, strs, table_header,
    wait_http, wait_logs, Project, LONG, SLEEPER,
};
use berth_e2e::Value;

#[test]
fn run_one_off_containers() {
    let Some(b) = setup("compose-run") else {
        return;
    };
    let p = Project::new(
        &b,
        "run",
        &format!(
            r#"services:
  db:
    image: bb:1
    command: {sleep}
  tool:
    image: bb:1
    command: ["echo", "default-command"]
    environment:
      FROM_FILE: yes-file
    depends_on:
      - db
    ports:
      - "18090:80"
    volumes:
      - data:/data
volumes:
  data:
"#,
            sleep = sleeper_cmd()
        ),
    );
    let oneoffs = || {
        let o = b
            .cmd(&[
                "ps",
                "-a",
                "--filter",
                &format!("label=com.docker.compose.project={}", p.name),
                "--filter",
                "label=com.docker.compose.oneoff=True",
                "--format",
                "{{.Names}}",
            ])
            .ok();
        sorted_lines(&o)
    };
    // run --rm: the service's command, its dependencies started, nothing left.
    let o = p.compose(&["run", "--rm", "tool"]).ok();
    assert_eq!(o.out(), "default-command", "{o}");
    assert!(
        p.running(&p.container("db", 1)),
        "dependency not started:\n{o}"
    );
    assert_eq!(oneoffs(), Vec::<String>::new(), "--rm left a container");
    let o = p
        .compose(&[
            "run",
            "--rm",
            "-e",
            "EXTRA=cli",
            "tool",
            "sh",
            "-c",
            "echo \"$FROM_FILE $EXTRA\"",
        ])
        .ok();
    assert_eq!(o.out(), "yes-file cli", "{o}");
    p.compose(&["run", "--rm", "tool", "sh", "-c", "exit 5"])
        .code_is(5);
    let o = p
        .compose(&[
            "run",
            "--rm",
            "--entrypoint",
            "/bin/echo",
            "tool",
            "via-entrypoint",
        ])
        .ok();
    assert_eq!(o.out(), "via-entrypoint", "{o}");
    let host = b.host_dir("run-mount");
    std::fs::write(host.join("f"), "from-host\n").unwrap();
    let mount = format!("{}:/mnt", host.display());
    let o = p
        .compose(&["run", "--rm", "-v", &mount, "tool", "cat", "/mnt/f"])
        .ok();
    assert_eq!(o.out(), "from-host", "{o}");
    // The service's named volume is shared between runs.
    p.compose(&[
        "run",
        "--rm",
        "tool",
        "sh",
        "-c",
        "echo persisted > /data/x",
    ])
    .ok();
    assert_eq!(
        p.compose(&["run", "--rm", "tool", "cat", "/data/x"])
            .ok()
            .out(),
        "persisted"
    );
    assert_eq!(oneoffs(), Vec::<String>::new());

    // Detached: named <project>-<service>-run-<id>, labelled oneoff=True.
    let serve = format!(
        "mkdir -p /www && echo \"$TEXT\" > /www/index.html && httpd -p 80 -h /www; {SLEEPER}"
    );
    p.compose(&[
        "run",
        "-d",
        "--service-ports",
        "-e",
        "TEXT=service-ports",
        "tool",
        "sh",
        "-c",
        &serve,
    ])
    .ok();
    let names = oneoffs();
    assert_eq!(names.len(), 1, "{names:?}");
    let prefix = format!("{}-tool-run-", p.name);
    assert!(
        names[0].starts_with(&prefix)
            && names[0].len() > prefix.len()
            && names[0][prefix.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric()),
        "{names:?}"
    );
    assert_eq!(p.label(&names[0], "com.docker.compose.service"), "tool");
    assert_eq!(p.label(&names[0], "com.docker.compose.oneoff"), "True");
    wait_http(&b, 18090, "service-ports");
    // -p publishes; --name names it.
    let custom = format!("{}-custom", p.name);
    p.compose(&[
        "run",
        "-d",
        "--name",
        &custom,
        "-p",
        "18091:80",
        "-e",
        "TEXT=dash-p",
        "tool",
        "sh",
        "-c",
        &serve,
    ])
    .ok();
    wait_http(&b, 18091, "dash-p");
    assert_eq!(p.label(&custom, "com.docker.compose.oneoff"), "True");
    assert_eq!(oneoffs().len(), 2);

    // --no-deps: the dependency is neither created nor started.
    p.compose(&["rm", "-f", "-s", "db"]).ok();
    assert_eq!(p.status(&p.container("db", 1)), None);
    p.compose(&["run", "--rm", "--no-deps", "tool", "true"])
        .ok();
    assert_eq!(p.status(&p.container("db", 1)), None);

    // down removes the one-off containers too.
    p.compose_removing_all(&["down"]);
}

#[test]
fn exec_in_a_service_container() {
    let Some(b) = setup("compose-exec") else {
        return;
    };
    let p = Project::new(
        &b,
        "exec",
        &format!(
            r#"services:
  box:
    image: bb:1
    command: {sleep}
    working_dir: /tmp
    environment:
      A: from-file
"#,
            sleep = sleeper_cmd()
        ),
    );
    p.compose(&["up", "-d"]).ok();
    let o = p
        .compose(&["exec", "-T", "box", "sh", "-c", "echo $A; pwd; id -u"])
        .ok();
    assert_eq!(o.stdout, "from-file\n/tmp\n0\n", "{o}");
    let o = p
        .compose(&[
            "exec",
            "-T",
            "-e",
            "B=cli",
            "-u",
            "1000",
            "-w",
            "/",
            "box",
            "sh",
            "-c",
            "echo $A $B; pwd; id -u",
        ])
        .ok();
    assert_eq!(o.stdout, "from-file cli\n/\n1000\n", "{o}");
    p.compose(&["exec", "-T", "box", "sh", "-c", "exit 4"])
        .code_is(4);
    p.compose(&["exec", "-T", "nosuch", "true"]).fails();
    p.compose(&["stop", "box"]).ok();
    p.compose(&["exec", "-T", "box", "true"]).fails();
}

#[test]
fn logs_follow_until_the_container_exits() {
    let Some(b) = setup("compose-logs") else {
        return;
    };
    let compose_yaml = script_services(&[
        (
            "talker",
            "echo one; echo two; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo three",
        ),
        ("other", &format!("echo other-line; {SLEEPER}")),
    ]);
    let p = Project::new(&b, "logs", &compose_yaml);
    p.compose(&["up", "-d"]).ok();
    wait_logs(&p, "talker", "two");
    let f = p.spawn(&["logs", "-f", "--no-color", "talker"]);
    p.wait_for("logs -f to print the first lines", LONG, || {
        p.bg(f, |bg| bg.stdout_now().contains("two"))
    });
    assert!(
        p.bg(f, |bg| bg.exited().is_none()),
        "logs -f must follow a running container:\n{}",
        p.bg(f, |bg| bg.describe())
    );
    p.exec("talker", &["touch", "/tmp/go"]).ok();
    let st = p.bg(f, |bg| bg.wait_exit(LONG));
    let desc = p.bg(f, |bg| bg.describe());
    assert!(
        st.is_some_and(|s| s.success()),
        "logs -f did not end with the container:\n{desc}"
    );
    assert_eq!(
        p.bg(f, |bg| bg.stdout_now()),
        "talker-1  | one\ntalker-1  | two\ntalker-1  | three\n",
        "{desc}"
    );
    let o = p
        .compose(&["logs", "--no-log-prefix", "--no-color", "talker"])
        .ok();
    assert_eq!(o.stdout, "one\ntwo\nthree\n", "{o}");
    let o = p
        .compose(&["logs", "--tail", "1", "--no-color", "talker"])
        .ok();
    assert_eq!(o.stdout, "talker-1  | three\n", "{o}");
    // Several services: each line with its container's prefix, padded.
    wait_logs(&p, "other", "other-line");
    let o = p.compose(&["logs", "--no-color"]).ok();
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{o}");
    for l in &lines {
        let (prefix, text) = l
            .split_once(" | ")
            .unwrap_or_else(|| panic!("no prefix: {l:?}\n{o}"));
        let who = prefix.trim_end();
        assert!(
            (who == "talker-1" && ["one", "two", "three"].contains(&text))
                || (who == "other-1" && text == "other-line"),
            "{l:?}\n{o}"
        );
        assert!(prefix.len() > who.len(), "the prefix is padded: {l:?}");
    }
}

#[test]
fn config_prints_the_normalised_project() {
    let Some(b) = setup("compose-config") else {
        return;
    };
    let p = Project::new(
        &b,
        "config",
        r#"services:
  web:
    image: bb:${TAG:-9}
    environment:
      GREETING: ${GREETING}
      LITERAL: "$${NOT_INTERPOLATED}"
    ports:
      - "8080:80"
    volumes:
      - data:/data
    depends_on:
      - db
  db:
    image: bb:1
  builder:
    build:
      context: ./ctx
  dbg:
    image: bb:1
    profiles: [debug]
volumes:
  data:
"#,
    );
    p.write(".env", "TAG=1\nGREETING=from-dotenv\n");
    p.write("other.env", "TAG=1\nGREETING=from-other\n");
    p.write("ctx/Dockerfile", "FROM bb:1\n");
    p.write(
        "override.yaml",
        "services:\n  db:\n    environment:\n      ADDED: by-override\n",
    );
    let json_of = |o: berth_e2e::Output| -> Value {
        serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{o}"))
    };
    let v = json_of(p.compose(&["config", "--format", "json"]).ok());
    assert_eq!(v["name"], p.name.as_str(), "{v}");
    let svcs: Vec<&str> = v["services"]
        .as_object()
        .map(|m| m.keys().map(|k| k.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(svcs, ["builder", "db", "web"], "{v}");
    let web = &v["services"]["web"];
    assert_eq!(web["image"], "bb:1", "{web}");
    assert_eq!(web["environment"]["GREETING"], "from-dotenv", "{web}");
    assert_eq!(
        web["environment"]["LITERAL"], "${NOT_INTERPOLATED}",
        "{web}"
    );
    assert_eq!(web["ports"][0]["target"], 80, "{web}");
    assert_eq!(
        web["ports"][0]["published"].to_string().trim_matches('"'),
        "8080",
        "{web}"
    );
    assert_eq!(
        web["depends_on"]["db"]["condition"], "service_started",
        "{web}"
    );
    assert_eq!(
        v["volumes"]["data"]["name"],
        p.scoped("data").as_str(),
        "{v}"
    );
    assert_eq!(
        v["networks"]["default"]["name"],
        p.scoped("default").as_str(),
        "{v}"
    );
    assert_eq!(
        v["services"]["builder"]["build"]["context"],
        p.dir.join("ctx").display().to_string().as_str(),
        "{v}"
    );
    // The YAML form.
    let o = p.compose(&["config"]).ok();
    assert!(
        o.stdout.lines().any(|l| l == format!("name: {}", p.name)),
        "{o}"
    );
    assert!(o.stdout.contains("GREETING: from-dotenv"), "{o}");
    assert_eq!(
        p.compose(&["config", "--format", "yaml"]).ok().stdout,
        o.stdout
    );
    // The listings.
    assert_eq!(
        sorted_lines(&p.compose(&["config", "--services"]).ok()),
        strs(&["builder", "db", "web"])
    );
    assert_eq!(
        sorted_lines(&p.compose(&["config", "--volumes"]).ok()),
        strs(&["data"])
    );
    assert_eq!(
        sorted_lines(&p.compose(&["config", "--profiles"]).ok()),
        strs(&["debug"])
    );
    let images = sorted_lines(&p.compose(&["config", "--images"]).ok());
    assert!(
        images.contains(&"bb:1".to_string()) && images.contains(&format!("{}-builder", p.name)),
        "{images:?}"
    );
    let o = p.compose(&["config", "--hash", "web"]).ok();
    let fields: Vec<&str> = o.out().split_whitespace().collect();
    assert!(
        fields.len() == 2
            && fields[0] == "web"
            && fields[1].len() == 64
            && fields[1].chars().all(|c| c.is_ascii_hexdigit()),
        "{o}"
    );
    let all = p.compose(&["config", "--hash", "*"]).ok();
    let mut names: Vec<&str> = all
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    names.sort();
    assert_eq!(names, ["builder", "db", "web"], "{all}");
    assert!(all.stdout.contains(o.out()), "{all}");
    assert_eq!(p.compose(&["config", "-q"]).ok().stdout, "");

    // Variables: --env-file, and the shell over .env.
    let v = json_of(
        p.compose(&["--env-file", "other.env", "config", "--format", "json"])
            .ok(),
    );
    assert_eq!(
        v["services"]["web"]["environment"]["GREETING"],
        "from-other"
    );
    let v = json_of(
        p.compose_env(
            &[("GREETING", "from-shell")],
            &["config", "--format", "json"],
        )
        .ok(),
    );
    assert_eq!(
        v["services"]["web"]["environment"]["GREETING"],
        "from-shell"
    );
    // Several -f files merge.
    let v = json_of(
        p.compose(&[
            "-f",
            "compose.yaml",
            "-f",
            "override.yaml",
            "config",
            "--format",
            "json",
        ])
        .ok(),
    );
    assert_eq!(
        v["services"]["db"]["environment"]["ADDED"], "by-override",
        "{v}"
    );
    assert_eq!(v["services"]["web"]["image"], "bb:1", "{v}");
    // From elsewhere: -f (the project dir is the file's; its name too), --project-directory.
    let file = p.dir.join("compose.yaml").display().to_string();
    let v = json_of(
        p.compose_in(&b.dir, &[], &["-f", &file, "config", "--format", "json"])
            .ok(),
    );
    assert_eq!(v["name"], p.name.as_str(), "{v}");
    assert_eq!(
        v["services"]["web"]["environment"]["GREETING"], "from-dotenv",
        "{v}"
    );
    let dir = p.dir.display().to_string();
    let o = p
        .compose_in(
            &b.dir,
            &[],
            &["--project-directory", &dir, "config", "--services"],
        )
        .ok();
    assert_eq!(sorted_lines(&o), strs(&["builder", "db", "web"]));
    // The name: -p, else COMPOSE_PROJECT_NAME, else the file's `name:`, else the directory's.
    let config_in = |dir: &Path, env: &[(&str, &str)], flags: &[&str]| {
        let mut args = flags.to_vec();
        args.extend(["config", "--format", "json"]);
        json_of(p.compose_in(dir, env, &args).ok())
    };
    let project_dir = |name: &str, compose_yaml: &str| {
        let dir = b.dir.join("projects").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("compose.yaml"), compose_yaml).unwrap();
        dir
    };
    let from_env = [("COMPOSE_PROJECT_NAME", "from-env")];
    assert_eq!(config_in(&p.dir, &from_env, &[])["name"], "from-env");
    let named = project_dir(
        "named-dir",
        "name: from-file\nservices:\n  s:\n    image: bb:1\n",
    );
    assert_eq!(config_in(&named, &[], &[])["name"], "from-file");
    assert_eq!(config_in(&named, &from_env, &[])["name"], "from-env");
    assert_eq!(
        config_in(&named, &from_env, &["-p", "from-flag"])["name"],
        "from-flag"
    );
    // The name from a directory name is normalised.
    let odd = project_dir("Odd.Name_X", "services:\n  s:\n    image: bb:1\n");
    let v = config_in(&odd, &[], &[]);
    assert_eq!(v["name"], "oddname_x", "{v}");

    // config creates nothing.
    assert_eq!(b.container_ids(), Vec::<String>::new());
    assert_eq!(p.networks(), Vec::<String>::new());
    assert_eq!(b.cmd(&["volume", "ls", "-q"]).ok().out(), "");
}

#[test]
fn lifecycle_commands() {
    let Some(b) = setup("compose-lifecycle") else {
        return;
    };
    let p = Project::new(
        &b,
        "life",
        &format!(
            r#"services:
  app:
    image: bb:1
    command: {sleep}
    volumes:
      - /anon
  other:
    image: bb:1
    command: {sleep}
"#,
            sleep = sleeper_cmd()
        ),
    );
    let app = p.container("app", 1);
    let other = p.container("other", 1);
    let state = |k: &str| p.inspect(&app)["State"][k].clone();
    // --no-start creates without starting; start starts.
    p.compose(&["up", "--no-start"]).ok();
    assert_eq!(p.status(&app).as_deref(), Some("created"));
    assert_eq!(p.status(&other).as_deref(), Some("created"));
    assert_eq!(p.compose(&["ps", "-q"]).ok().out(), "");
    p.compose(&["start", "app"]).ok();
    assert!(p.running(&app));
    assert_eq!(p.status(&other).as_deref(), Some("created"));
    p.compose(&["start"]).ok();
    assert!(p.running(&other));

    // pause / unpause, stop / start, restart, kill: only the named service.
    p.compose(&["pause", "app"]).ok();
    assert_eq!(p.status(&app).as_deref(), Some("paused"));
    let ps = p.compose(&["ps"]).ok();
    assert!(ps.stdout.contains("Paused"), "{ps}");
    p.compose(&["unpause", "app"]).ok();
    assert!(p.running(&app));
    p.compose(&["stop", "app"]).ok();
    assert_eq!(p.status(&app).as_deref(), Some("exited"));
    assert!(p.running(&other));
    let ps = p.compose(&["ps"]).ok();
    assert!(
        !ps.stdout.contains(&app),
        "ps shows running containers only:\n{ps}"
    );
    let ps = p.compose(&["ps", "-a"]).ok();
    let row = ps.stdout.lines().find(|l| l.starts_with(&app));
    assert!(row.is_some_and(|r| r.contains("Exited (0)")), "{ps}");
    p.compose(&["start", "app"]).ok();
    let started = state("StartedAt");
    p.compose(&["restart", "app"]).ok();
    assert!(p.running(&app));
    assert_ne!(state("StartedAt"), started, "restart did not restart");
    p.compose(&["kill", "app"]).ok();
    p.wait_for("app to die", LONG, || {
        p.status(&app).as_deref() == Some("exited")
    });
    assert_eq!(state("ExitCode"), 137);
    p.compose(&["start", "app"]).ok();
    p.compose(&["kill", "-s", "SIGTERM", "app"]).ok();
    p.wait_for("app to exit", LONG, || {
        p.status(&app).as_deref() == Some("exited")
    });
    assert_eq!(state("ExitCode"), 0);
    p.compose(&["stop", "-t", "1"]).ok();
    assert_eq!(p.status(&other).as_deref(), Some("exited"));

    // rm: -v takes the anonymous volume along; a running container needs -s (or stop).
    assert_eq!(b.cmd(&["volume", "ls", "-q"]).ok().lines().len(), 1);
    p.compose(&["rm", "-f", "-v", "app"]).ok();
    assert_eq!(p.status(&app), None);
    assert_eq!(b.cmd(&["volume", "ls", "-q"]).ok().out(), "");
    p.compose(&["start", "other"]).ok();
    p.compose(&["rm", "-f", "other"]).ok();
    assert!(
        p.running(&other),
        "rm -f without -s removes stopped containers only"
    );
    p.compose_removing_all(&["rm", "-f", "-s"]);
}

#[test]
fn ls_top_cp_wait_images_version() {
    let Some(b) = setup("compose-inspect") else {
        return;
    };
    let p = Project::new(
        &b,
        "insp",
        &format!(
            r#"services:
  app:
    image: bb:1
    command: {sleep}
  job:
    image: bb:1
    command: ["sh", "-c", "sleep 0.3; exit 3"]
"#,
            sleep = sleeper_cmd()
        ),
    );
    let app = p.container("app", 1);
    p.compose(&["up", "-d", "app"]).ok();

    // ls: the project, running(1), its file.
    let o = p.compose(&["ls"]).ok();
    assert_eq!(
        table_header(&o),
        ["NAME", "STATUS", "CONFIG", "FILES"],
        "{o}"
    );
    let row = o.stdout.lines().find(|l| l.starts_with(&p.name));
    assert!(row.is_some_and(|r| r.contains("running(1)")), "{o}");
    let rows = parse_json_rows(&p.compose(&["ls", "--format", "json"]).ok());
    let mine = rows.iter().find(|r| r["Name"] == p.name.as_str());
    assert!(
        mine.is_some_and(|r| r["Status"] == "running(1)"
            && r["ConfigFiles"] == p.dir.join("compose.yaml").display().to_string().as_str()),
        "{rows:?}"
    );

    // top, cp both ways.
    let top = p.compose(&["top", "app"]).ok();
    assert!(
        top.stdout.contains(&app) && top.stdout.contains("sleep 1000"),
        "{top}"
    );
    let host = b.host_dir("cp");
    std::fs::write(host.join("in.txt"), "copied-in\n").unwrap();
    let src = host.join("in.txt").display().to_string();
    p.compose(&["cp", &src, "app:/tmp/in.txt"]).ok();
    assert_eq!(
        p.exec("app", &["cat", "/tmp/in.txt"]).ok().stdout,
        "copied-in\n"
    );
    let dst = host.join("out.txt").display().to_string();
    p.compose(&["cp", "app:/tmp/in.txt", &dst]).ok();
    assert_eq!(std::fs::read_to_string(&dst).unwrap(), "copied-in\n");

    // wait: the service's exit code.
    p.compose(&["up", "-d", "job"]).ok();
    p.compose(&["wait", "job"]).code_is(3);

    // images, version.
    let o = p.compose(&["images"]).ok();
    assert!(o.stdout.contains("bb") && o.stdout.contains(&app), "{o}");
    let o = p.compose(&["version"]).ok();
    assert!(!o.out().is_empty(), "{o}");
    let o = p.compose(&["version", "--short"]).ok();
    assert_eq!(o.lines().len(), 1, "{o}");
}
