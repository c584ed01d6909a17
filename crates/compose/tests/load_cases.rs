//! The loader on small projects written in temporary directories: lookup, names, `.env`,
//! interpolation errors, merges, tags, anchors, validation messages with positions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth_compose::load::{load, load_with_warnings, LoadOptions};
use berth_compose::Error;

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write");
    p
}

fn opts(dir: &Path) -> LoadOptions {
    LoadOptions {
        working_dir: dir.to_path_buf(),
        ..LoadOptions::default()
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("My_Proj.")
        .tempdir()
        .expect("tempdir")
}

#[test]
fn lookup_in_parents_with_override_and_name_from_dir() {
    let t = tmp();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  web:\n    image: a\n",
    );
    write(
        t.path(),
        "compose.override.yaml",
        "services:\n  web:\n    image: b\n",
    );
    let sub = t.path().join("sub/deeper");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let l = load(&opts(&sub)).expect("loads");
    assert_eq!(l.document["services"]["web"]["image"], "b");
    assert_eq!(
        l.config_files,
        vec![
            t.path().join("compose.yaml"),
            t.path().join("compose.override.yaml")
        ]
    );
    assert_eq!(l.working_dir, t.path());
    let base = t
        .path()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_lowercase()
        .replace('.', "");
    assert_eq!(l.name, base);
    assert!(l.name.starts_with("my_proj"));
    // The winning file's position.
    let s = l.spans.locate("services.web.image").expect("span");
    assert!(s.file.ends_with("compose.override.yaml"), "{s}");
    assert_eq!((s.line, s.column), (3, 5));
}

#[test]
fn no_file_is_an_error() {
    let t = tmp();
    let e = load(&opts(t.path())).expect_err("none");
    assert!(
        e.to_string().contains("no configuration file provided"),
        "{e}"
    );
}

#[test]
fn compose_file_variable_and_names() {
    let t = tmp();
    write(
        t.path(),
        "a.yml",
        "name: From-File\nservices:\n  web:\n    image: a\n",
    );
    write(t.path(), "b.yml", "services:\n  web:\n    user: root\n");
    let mut o = opts(t.path());
    o.environment
        .insert("COMPOSE_FILE".into(), "a.yml:b.yml".into());
    let l = load(&o).expect("loads");
    assert_eq!(l.name, "from-file");
    assert_eq!(l.document["services"]["web"]["user"], "root");
    assert_eq!(l.document["name"], "from-file");

    o.environment
        .insert("COMPOSE_PROJECT_NAME".into(), "envname".into());
    assert_eq!(load(&o).expect("env").name, "envname");
    o.project_name = Some("flag".into());
    assert_eq!(load(&o).expect("flag").name, "flag");
    o.project_name = Some("Bad Name".into());
    assert!(matches!(load(&o), Err(Error::Invalid(m)) if m.contains("invalid project name")));
}

#[test]
fn dotenv_and_process_environment() {
    let t = tmp();
    write(t.path(), ".env", "TAG=fromfile\nOTHER=o\n");
    write(t.path(), "compose.yaml", "services:\n  web:\n    image: app:${TAG}\n    user: ${OTHER}\n    working_dir: /${MISSING}\n");
    let mut o = opts(t.path());
    o.environment.insert("TAG".into(), "fromos".into());
    let (l, warnings) = load_with_warnings(&o).expect("loads");
    assert_eq!(l.document["services"]["web"]["image"], "app:fromos");
    assert_eq!(l.document["services"]["web"]["user"], "o");
    assert_eq!(l.environment["TAG"], "fromos");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("\"MISSING\" variable is not set")),
        "{warnings:?}"
    );
    // --env-file replaces .env.
    let other = write(t.path(), "other.env", "OTHER=x\n");
    o.env_files = vec![other];
    let l = load(&o).expect("env file");
    assert_eq!(l.document["services"]["web"]["user"], "x");
}

#[test]
fn required_variable_names_file_line_and_path() {
    let t = tmp();
    let f = write(t.path(), "compose.yaml", "services:\n  web:\n    image: x\n    environment:\n      - A=${NEEDED:?please set NEEDED}\n");
    match load(&opts(t.path())) {
        Err(Error::At {
            span: Some(s),
            path,
            message,
        }) => {
            assert_eq!((s.file.as_path(), s.line), (f.as_path(), 5));
            assert_eq!(path, "services.web.environment[0]");
            assert!(
                message.contains("required variable NEEDED is missing a value: please set NEEDED"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn validation_errors_with_positions() {
    let t = tmp();
    let f = write(
        t.path(),
        "compose.yaml",
        "services:\n  web:\n    image: x\n    imagee: y\n",
    );
    let e = load(&opts(t.path())).expect_err("unknown key");
    assert_eq!(
        e.to_string(),
        format!(
            "{}:4:5: services.web: additional properties 'imagee' not allowed",
            f.display()
        )
    );

    write(
        t.path(),
        "compose.yaml",
        "services:\n  web:\n    image: x\n    privileged: [1]\n",
    );
    let e = load(&opts(t.path())).expect_err("type");
    assert!(
        e.to_string()
            .ends_with(":4:5: services.web.privileged: must be a boolean or string"),
        "{e}"
    );

    write(
        t.path(),
        "compose.yaml",
        "services:\n  web:\n    image: x\n    ports:\n      - 80:80\n      - \"80:http\"\n",
    );
    let e = load(&opts(t.path())).expect_err("port");
    assert!(
        e.to_string()
            .contains(":6:9: services.web.ports[1]: invalid containerPort: http"),
        "{e}"
    );

    write(t.path(), "compose.yaml", "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on:\n      a:\n        condition: service_started\n");
    let e = load(&opts(t.path())).expect_err("cycle");
    assert!(
        e.to_string()
            .contains(":4:5: services.a.depends_on: dependency cycle detected: a -> b -> a"),
        "{e}"
    );

    write(
        t.path(),
        "compose.yaml",
        "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n",
    );
    let e = load(&opts(t.path())).expect_err("extends cycle");
    assert!(
        e.to_string().contains("circular reference with extends"),
        "{e}"
    );

    write(t.path(), "compose.yaml", "services:\n  a:\n    image: [\n");
    let e = load(&opts(t.path())).expect_err("yaml");
    assert!(e.to_string().contains("yaml:"), "{e}");
}

#[test]
fn merge_reset_override_anchors_and_extensions() {
    let t = tmp();
    let a = write(
        t.path(),
        "a.yaml",
        "x-common: &common\n  restart: always\n  environment:\n    A: '1'\nservices:\n  web:\n    <<: *common\n    image: web\n    command: [a, b]\n    ports: ['80:80']\n    volumes: ['./data:/data']\n",
    );
    let b = write(
        t.path(),
        "b.yaml",
        "services:\n  web:\n    command: [c]\n    ports: !reset []\n    volumes: ['./other:/data', 'cache:/cache']\n    environment: !override\n      B: '2'\n    restart: !reset\n",
    );
    let mut o = opts(t.path());
    o.files = vec![a, b.clone()];
    let l = load(&o).expect("loads");
    let web = &l.document["services"]["web"];
    assert_eq!(web["command"], serde_json::json!(["c"]));
    assert!(web.get("ports").is_none());
    assert!(web.get("restart").is_none());
    assert_eq!(web["environment"], serde_json::json!({"B": "2"}));
    assert_eq!(
        web["volumes"],
        serde_json::json!(["./other:/data", "cache:/cache"])
    );
    assert_eq!(l.document["x-common"]["restart"], "always");
    assert_eq!(
        l.spans
            .locate("services.web.volumes[0]")
            .map(|s| s.file.clone()),
        Some(b)
    );
}

#[test]
fn stdin_and_remote_include() {
    let t = tmp();
    let mut o = opts(t.path());
    o.files = vec![PathBuf::from("-")];
    o.stdin = Some("services:\n  web:\n    image: ${IMG:-busybox}\n".into());
    o.environment = BTreeMap::new();
    let l = load(&o).expect("stdin");
    assert_eq!(l.document["services"]["web"]["image"], "busybox");
    o.stdin = Some("include:\n  - oci://example/app:latest\nservices: {}\n".into());
    let e = load(&o).expect_err("remote");
    assert!(
        e.to_string().contains("remote include is not supported"),
        "{e}"
    );
}

#[test]
fn include_long_form_with_env_and_conflict() {
    let t = tmp();
    write(
        t.path(),
        "lib/compose.yaml",
        "services:\n  db:\n    image: db:${DB_TAG}\n    env_file: db.env\n",
    );
    write(t.path(), "lib/.env", "DB_TAG=15\n");
    write(t.path(), "compose.yaml", "include:\n  - path: lib/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n");
    let l = load(&opts(t.path())).expect("include");
    assert_eq!(l.document["services"]["db"]["image"], "db:15");
    assert_eq!(
        Path::new(
            l.document["services"]["db"]["env_file"]
                .as_str()
                .expect("s")
        ),
        t.path().join("lib/db.env")
    );
    write(
        t.path(),
        "compose.yaml",
        "include:\n  - lib/compose.yaml\nservices:\n  db:\n    image: other\n",
    );
    let e = load(&opts(t.path())).expect_err("conflict");
    assert!(
        e.to_string()
            .contains("services.db: conflicts with imported resource"),
        "{e}"
    );
}
