//! The loader on real files: the awesome-compose samples and compose-go's loader and dotenv
//! test inputs (copied under tests/data with their licenses).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth_compose::load::{load, load_with_warnings, LoadOptions};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn opts_in(dir: PathBuf) -> LoadOptions {
    LoadOptions {
        working_dir: dir,
        ..LoadOptions::default()
    }
}

fn file_opts(rel: &str) -> LoadOptions {
    let path = data(rel);
    LoadOptions {
        files: vec![path.clone()],
        working_dir: path.parent().map(PathBuf::from).unwrap_or_default(),
        ..LoadOptions::default()
    }
}

#[test]
fn every_sample_loads() {
    let samples = data("samples");
    let mut n = 0;
    for entry in std::fs::read_dir(&samples).expect("samples") {
        let dir = entry.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        let (loaded, warnings) = load_with_warnings(&opts_in(dir.clone()))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(loaded.document["services"]
            .as_object()
            .is_some_and(|s| !s.is_empty()));
        assert_eq!(loaded.working_dir, dir);
        let base = dir
            .file_name()
            .map(|b| b.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if base == "react-rust-postgres" {
            assert_eq!(loaded.name, "react-rust-postgres");
        } else if base == "pihole-cloudflared-doh" {
            assert!(
                warnings.iter().any(|w| w.contains("`version` is obsolete")),
                "{warnings:?}"
            );
        }
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn sample_details() {
    let l = load(&opts_in(data("samples/plex"))).expect("plex");
    let vols = l.document["services"]["plex"]["volumes"]
        .as_array()
        .expect("volumes");
    assert!(
        vols.iter()
            .all(|v| !v.as_str().unwrap_or_default().contains('$')),
        "{vols:?}"
    );
    let l = load(&opts_in(data("samples/nginx-golang-mysql"))).expect("nginx");
    let test = &l.document["services"]["db"]["healthcheck"]["test"];
    assert!(test.to_string().contains("$(cat"), "{test}");
    assert!(!test.to_string().contains("$$"), "{test}");
    let span = l
        .spans
        .locate("services.db.healthcheck.test")
        .expect("span");
    assert!(span.line > 1 && span.file.ends_with("compose.yaml"));
    let l = load(&opts_in(data("samples/minecraft"))).expect("minecraft");
    assert_eq!(
        l.document["services"]["minecraft"]["deploy"]["resources"]["limits"]["memory"],
        "1.5G"
    );
}

#[test]
fn dotenv_fixtures() {
    let env = |fixture: &str, process: &[(&str, &str)]| -> BTreeMap<String, String> {
        let mut o = opts_in(data("samples/plex"));
        o.env_files = vec![data(&format!("compose-go/dotenv/fixtures/{fixture}"))];
        o.environment = process
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        load(&o)
            .unwrap_or_else(|e| panic!("{fixture}: {e}"))
            .environment
    };
    let e = env("plain.env", &[]);
    for (k, v) in [
        ("OPTION_A", "1"),
        ("OPTION_B", "2"),
        ("OPTION_C", "3"),
        ("OPTION_D", "4"),
        ("OPTION_E", "5"),
        ("OPTION_F", ""),
        ("OPTION_G", ""),
        ("OPTION_H", "my string"),
        ("456", "ABC"),
    ] {
        assert_eq!(e.get(k).map(String::as_str), Some(v), "plain {k}");
    }
    assert_eq!(
        env("utf8-bom.env", &[]).get("OPTION_A").map(String::as_str),
        Some("1")
    );
    let e = env("quoted.env", &[]);
    for (k, v) in [
        ("OPTION_A", "1"),
        ("OPTION_C", ""),
        ("OPTION_D", "\\n"),
        ("OPTION_E", "1"),
        ("OPTION_G", ""),
        ("OPTION_H", "\n"),
        ("OPTION_I", "echo 'asd'"),
        ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
        ("OPTION_Z", "last value"),
    ] {
        assert_eq!(e.get(k).map(String::as_str), Some(v), "quoted {k}");
    }
    let e = env("exported.env", &[]);
    assert_eq!(
        (e["OPTION_A"].as_str(), e["OPTION_B"].as_str()),
        ("2", "\\n")
    );
    assert_eq!(
        env("equals.env", &[])["OPTION_A"],
        "postgres://localhost:5432/database?sslmode=disable"
    );
    let e = env("unquoted.env", &[]);
    assert_eq!(e["OPTION_A"], "some quoted phrase");
    assert_eq!(e["OPTION_C"], "then another one with an unquoted phrase");
    assert_eq!(
        e["OPTION_D"],
        "then another one with an unquoted phrase special è char"
    );
    let e = env("substitutions.env", &[]);
    for (k, v) in [
        ("OPTION_A", "1"),
        ("OPTION_B", "1"),
        ("OPTION_C", "1"),
        ("OPTION_D", "1_1"),
        ("OPTION_E", ""),
    ] {
        assert_eq!(e[k], v, "substitutions {k}");
    }
    let e = env("substitutions-default.env", &[]);
    assert_eq!(
        (e["OPTION_A"].as_str(), e["OPTION_D"].as_str()),
        ("1", "1_1")
    );
    let e = env("substitutions-default.env", &[("OPTION_A", "2")]);
    assert_eq!(
        (e["OPTION_B"].as_str(), e["OPTION_D"].as_str()),
        ("2", "2_2")
    );
    let e = env("special.env", &[]);
    assert_eq!(
        (e["VAR.WITH.DOTS"].as_str(), e["VAR-WITH-DASHES"].as_str()),
        ("dots", "dashes")
    );
    let e = env("custom.format", &[]);
    assert_eq!((e["FOO"].as_str(), e["ZOT"].as_str()), ("BAR", "QIX"));
    let e = env(
        "inherited-multi-var.env",
        &[("VAR_TO_BE_LOADED_FROM_OS_ENV", "x")],
    );
    assert_eq!(
        (
            e["foo"].as_str(),
            e["bar"].as_str(),
            e["VAR_TO_BE_LOADED_FROM_OS_ENV"].as_str()
        ),
        ("bar", "baz", "x")
    );
    assert!(!env("inherited-not-found.env", &[]).contains_key("VARIABLE_NOT_FOUND"));
    // The process environment wins over the file.
    assert_eq!(env("plain.env", &[("OPTION_A", "os")])["OPTION_A"], "os");

    let mut o = opts_in(data("samples/plex"));
    o.env_files = vec![data("compose-go/dotenv/fixtures/invalid1.env")];
    let e = load(&o).expect_err("invalid");
    assert!(
        e.to_string().contains("line 7: key cannot contain a space"),
        "{e}"
    );
}

#[test]
fn extends_from_compose_go() {
    let l = load(&file_opts(
        "compose-go/loader/testdata/compose-test-extends.yaml",
    ))
    .expect("extends");
    let s = &l.document["services"]["importer"];
    assert_eq!(s["image"], "nginx");
    assert_eq!(s["container_name"], "imported");
    let env_file = s["env_file"][0].as_str().expect("env_file");
    assert_eq!(
        Path::new(env_file),
        data("compose-go/loader/testdata/subdir/extra.env")
    );
    assert!(s.get("extends").is_none());

    let l = load(&file_opts("compose-go/loader/testdata/extends/base.yaml")).expect("base");
    let svcs = &l.document["services"];
    assert_eq!(svcs["another"]["image"], "base");
    assert_eq!(svcs["with-build"]["build"], ".");
    assert_eq!(svcs["nil"], serde_json::json!({}));

    let l = load(&file_opts(
        "compose-go/loader/testdata/extends/withdir/compose.yaml",
    ))
    .expect("withdir");
    assert_eq!(l.document["services"]["test"]["image"], "hello-world");

    let l = load(&file_opts("compose-go/loader/testdata/extends/reset.yaml")).expect("reset");
    assert!(l.document["services"]["base"].get("command").is_none());
    assert_eq!(l.document["services"]["base"]["image"], "alpine:latest");

    let l = load(&file_opts(
        "compose-go/loader/testdata/compose-test-extends-with-context-url.yaml",
    ))
    .expect("url");
    assert_eq!(
        l.document["services"]["importer-with-https-url"]["build"]["context"],
        "https://github.com/docker/compose.git"
    );
}

#[test]
fn include_from_compose_go() {
    let l = load(&file_opts(
        "compose-go/loader/testdata/include/compose.yaml",
    ))
    .expect("include");
    let s = &l.document["services"]["included"];
    assert_eq!(
        Path::new(s["build"].as_str().expect("build")),
        data("compose-go/loader/testdata/include")
    );
    let l = load(&file_opts(
        "compose-go/loader/testdata/compose-include.yaml",
    ))
    .expect("include 2");
    // No `.env` in the included project's directory (subdir/): the default applies.
    assert_eq!(
        l.document["services"]["imported"]["container_name"],
        "imported"
    );
    assert_eq!(l.document["services"]["bar"]["image"], "bar");
    let l = load(&file_opts(
        "compose-go/loader/testdata/combined/compose.yaml",
    ))
    .expect("combined");
    assert_eq!(
        Path::new(
            l.document["services"]["service"]["build"]
                .as_str()
                .expect("build")
        ),
        data("compose-go/loader/testdata/combined/dir")
    );
    let e = load(&file_opts(
        "compose-go/loader/testdata/compose-include-cycle.yaml",
    ))
    .expect_err("cycle");
    assert!(e.to_string().contains("include cycle"), "{e}");
}

#[test]
fn cycles_version_and_empty() {
    let e = load(&file_opts(
        "compose-go/loader/testdata/compose-depends-on-cycle.yaml",
    ))
    .expect_err("cycle");
    assert!(
        e.to_string()
            .contains("dependency cycle detected: service1 -> service2 -> service3 -> service1"),
        "{e}"
    );
    let (l, w) = load_with_warnings(&file_opts(
        "compose-go/loader/testdata/compose-test-with-version.yaml",
    ))
    .expect("version");
    assert!(l.document.get("version").is_none());
    assert!(w.iter().any(|w| w.contains("`version` is obsolete")));
    assert_eq!(l.name, "compose-test-with-version");
    let e = load(&file_opts("compose-go/loader/testdata/empty.yaml")).expect_err("empty");
    assert_eq!(e.to_string(), "empty compose file");
}
