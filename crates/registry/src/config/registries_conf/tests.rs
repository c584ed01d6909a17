use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::error::Error;

fn conf(text: &str) -> RegistriesConf {
    RegistriesConf::parse(text, Path::new("/etc/containers/registries.conf")).unwrap()
}

fn err(text: &str) -> String {
    match RegistriesConf::parse(text, Path::new("/etc/containers/registries.conf")) {
        Err(e @ Error::BadConfig { .. }) => e.to_string(),
        other => panic!("expected BadConfig, got {other:?}"),
    }
}

fn ep(host: &str, repository: &str, insecure: bool, mirror: bool) -> Endpoint {
    Endpoint {
        host: host.into(),
        repository: repository.into(),
        insecure,
        mirror,
    }
}

const MAN_PAGE_EXAMPLE: &str = r#"
unqualified-search-registries = ["example.com"]
short-name-mode = "enforcing"

[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.com/bar"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true
"#;

#[test]
fn v2_man_page_example() {
    let c = conf(MAN_PAGE_EXAMPLE);
    assert_eq!(c.unqualified_search_registries, ["example.com"]);
    assert_eq!(c.short_name_mode, Some(ShortNameMode::Enforcing));
    assert_eq!(c.registries.len(), 1);
    let r = &c.registries[0];
    assert_eq!(r.prefix, "example.com/foo");
    assert_eq!(r.location, "internal-registry-for-example.com/bar");
    assert_eq!(r.mirrors.len(), 2);
    assert_eq!(r.source, PathBuf::from("/etc/containers/registries.conf"));
    assert_eq!(
        c.endpoints("example.com", "foo/image").unwrap(),
        [
            ep(
                "example-mirror-0.local",
                "mirror-for-foo/image",
                false,
                true
            ),
            ep("example-mirror-1.local", "mirrors/foo/image", true, true),
            ep(
                "internal-registry-for-example.com",
                "bar/image",
                false,
                false
            ),
        ]
    );
    // Deeper names keep their tail.
    assert_eq!(
        c.endpoints("example.com", "foo/team/image").unwrap()[2],
        ep(
            "internal-registry-for-example.com",
            "bar/team/image",
            false,
            false
        )
    );
    // A prefix matches at a `/` only.
    assert_eq!(
        c.endpoints("example.com", "foobar/image").unwrap(),
        [ep("example.com", "foobar/image", false, false)]
    );
}

#[test]
fn no_table_means_the_registry_itself() {
    let c = RegistriesConf::default();
    assert_eq!(
        c.endpoints("docker.io", "library/alpine").unwrap(),
        [ep("docker.io", "library/alpine", false, false)]
    );
    assert!(!c.is_insecure("docker.io"));
}

#[test]
fn docker_hub_mirror_without_namespace() {
    let c = conf(
        r#"
[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "mirror.gcr.io"
[[registry.mirror]]
location = "localhost:5000/hub-cache/"
insecure = true
"#,
    );
    assert_eq!(c.registries[0].prefix, "docker.io");
    assert_eq!(
        c.endpoints("docker.io", "library/alpine").unwrap(),
        [
            ep("mirror.gcr.io", "library/alpine", false, true),
            ep("localhost:5000", "hub-cache/library/alpine", true, true),
            ep("docker.io", "library/alpine", false, false),
        ]
    );
}

#[test]
fn longest_prefix_wins() {
    let c = conf(
        r#"
[[registry]]
prefix = "r.io"
location = "r.io"
insecure = true

[[registry]]
prefix = "r.io/team"
location = "team-registry.local:5000/r-team"

[[registry]]
prefix = "r.io/team/app"
location = "app.local/app"
"#,
    );
    assert_eq!(
        c.endpoints("r.io", "team/app").unwrap(),
        [ep("app.local", "app", false, false)]
    );
    assert_eq!(
        c.endpoints("r.io", "team/app/sub").unwrap(),
        [ep("app.local", "app/sub", false, false)]
    );
    assert_eq!(
        c.endpoints("r.io", "team/other").unwrap(),
        [ep("team-registry.local:5000", "r-team/other", false, false)]
    );
    assert_eq!(
        c.endpoints("r.io", "x/y").unwrap(),
        [ep("r.io", "x/y", true, false)]
    );
    assert!(c.is_insecure("r.io"));
    assert!(!c.is_insecure("r.io:5000"));
    assert!(!c.is_insecure("team-registry.local:5000"));
    assert_eq!(
        c.find("r.io/team/app/x").map(|r| r.prefix.as_str()),
        Some("r.io/team/app")
    );
}

#[test]
fn wildcard_prefixes_match_subdomains() {
    let c = conf(
        r#"
[[registry]]
prefix = "*.example.com"
insecure = true

[[registry]]
prefix = "*.corp.example.com"
location = "proxy.corp:8443/corp"
[[registry.mirror]]
location = "mirror.corp/cache"
"#,
    );
    assert_eq!(
        c.endpoints("a.example.com", "x/y").unwrap(),
        [ep("a.example.com", "x/y", true, false)]
    );
    assert_eq!(
        c.endpoints("deep.sub.example.com", "y").unwrap(),
        [ep("deep.sub.example.com", "y", true, false)]
    );
    // The longer wildcard wins, and its location rewrites the host away.
    assert_eq!(
        c.endpoints("git.corp.example.com", "team/app").unwrap(),
        [
            ep("mirror.corp", "cache/team/app", false, true),
            ep("proxy.corp:8443", "corp/team/app", false, false),
        ]
    );
    // Not the domain itself, not look-alikes, not in the path, not another port.
    for (reg, repo) in [
        ("example.com", "x"),
        ("badexample.com", "x"),
        ("a.example.com.evil.io", "x"),
        ("other.io", "a.example.com/x"),
        ("a.example.com:5000", "x"),
    ] {
        assert_eq!(
            c.endpoints(reg, repo).unwrap(),
            [ep(reg, repo, false, false)],
            "{reg}/{repo}"
        );
    }
    assert!(c.is_insecure("registry.example.com"));
    assert!(!c.is_insecure("example.com"));
}

#[test]
fn wildcard_prefix_format_is_checked() {
    for p in ["*.example.com/foo", "*.example.com:5000", "*.example.com@x"] {
        let msg = err(&format!("[[registry]]\nprefix = \"{p}\"\n"));
        assert!(
            msg.contains("Wildcarded prefix should be in the format"),
            "{msg}"
        );
    }
    let msg = err("[[registry]]\nprefix = \"example.com\"\n");
    assert!(
        msg.contains("location is unset and prefix is not in the format"),
        "{msg}"
    );
}

#[test]
fn blocked_registries_are_refused() {
    let c = conf(
        r#"
[[registry]]
location = "bad.io"
blocked = true
[[registry.mirror]]
location = "mirror.local"

[[registry]]
prefix = "docker.io/library/evil"
location = "docker.io/library/evil"
blocked = true
"#,
    );
    match c.endpoints("bad.io", "x/y") {
        Err(Error::Invalid(msg)) => assert_eq!(
            msg,
            "registry bad.io is blocked in /etc/containers/registries.conf"
        ),
        other => panic!("{other:?}"),
    }
    assert!(c.endpoints("docker.io", "library/evil").is_err());
    assert!(c.endpoints("docker.io", "library/evil/sub").is_err());
    assert!(c.endpoints("docker.io", "library/evilish").is_ok());
    assert!(c.endpoints("docker.io", "library/alpine").is_ok());
}

#[test]
fn mirror_restrictions_apply_to_pull_endpoints() {
    let c = conf(
        r#"
[[registry]]
location = "a.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "m1.local"

[[registry]]
location = "b.io"
[[registry.mirror]]
location = "digests.local"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tags.local"
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "all.local"
pull-from-mirror = "all"
"#,
    );
    let hosts = |v: Vec<Endpoint>| -> Vec<String> { v.into_iter().map(|e| e.host).collect() };
    assert_eq!(
        hosts(c.endpoints("a.io", "x").unwrap()),
        ["m1.local", "a.io"]
    );
    assert_eq!(
        hosts(c.pull_endpoints("a.io", "x", false).unwrap()),
        ["a.io"]
    );
    assert_eq!(
        hosts(c.pull_endpoints("a.io", "x", true).unwrap()),
        ["m1.local", "a.io"]
    );
    assert_eq!(
        hosts(c.pull_endpoints("b.io", "x", true).unwrap()),
        ["digests.local", "all.local", "b.io"]
    );
    assert_eq!(
        hosts(c.pull_endpoints("b.io", "x", false).unwrap()),
        ["tags.local", "all.local", "b.io"]
    );
    assert_eq!(hosts(c.endpoints("b.io", "x").unwrap()).len(), 4);
}

#[test]
fn invalid_tables_are_errors() {
    let cases = [
        ("[[registry]]\ninsecure = true\n", "both location and prefix are unset"),
        (
            "[[registry]]\nlocation = \"https://r.io\"\n",
            "URI schemes are not supported",
        ),
        (
            "[[registry]]\nlocation = \"r.io\"\n[[registry.mirror]]\ninsecure = true\n",
            "mirror location is unset",
        ),
        (
            "[[registry]]\nlocation = \"r.io\"\npull-from-mirror = \"all\"\n",
            "pull-from-mirror must not be set for a non-mirror registry",
        ),
        (
            "[[registry]]\nlocation = \"r.io\"\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"sometimes\"\n",
            "unsupported pull-from-mirror value",
        ),
        (
            "[[registry]]\nlocation = \"r.io\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"all\"\n",
            "cannot set mirror usage mirror-by-digest-only",
        ),
        (
            "[[registry]]\nprefix = \"a.io\"\nlocation = \"r.io\"\ninsecure = true\n[[registry]]\nprefix = \"b.io\"\nlocation = \"r.io\"\n",
            "registry 'r.io' is defined multiple times with conflicting 'insecure' setting",
        ),
        (
            "[[registry]]\nprefix = \"a.io\"\nlocation = \"r.io\"\nblocked = true\n[[registry]]\nprefix = \"b.io\"\nlocation = \"r.io\"\n",
            "conflicting 'blocked' setting",
        ),
        ("short-name-mode = \"prompt\"\n", "invalid short-name mode: \"prompt\""),
        (
            "unqualified-search-registries = [\"r.io/ns\"]\n",
            "Invalid unqualified-search-registries entry \"r.io/ns\"",
        ),
    ];
    for (text, want) in cases {
        let msg = err(text);
        assert!(msg.contains(want), "{text:?}: {msg}");
        assert!(
            msg.starts_with("/etc/containers/registries.conf: "),
            "{msg}"
        );
    }
}

#[test]
fn same_prefix_twice_in_one_file_keeps_the_first() {
    let c = conf(
        "[[registry]]\nprefix = \"r.io\"\nlocation = \"one.io\"\n\
         [[registry]]\nprefix = \"r.io\"\nlocation = \"two.io\"\n",
    );
    assert_eq!(c.registries.len(), 1);
    assert_eq!(c.registries[0].location, "one.io");
}

#[test]
fn search_registries_are_normalised() {
    let c =
        conf("unqualified-search-registries = [\"r.io/\", \"localhost:5000\", \"[::1]:5000\"]\n");
    assert_eq!(
        c.unqualified_search_registries,
        ["r.io", "localhost:5000", "[::1]:5000"]
    );
}

#[test]
fn bad_toml_names_the_file_line_and_column() {
    let msg = err("unqualified-search-registries = [\"a.io\"]\n[[registry]\nprefix = 1\n");
    assert!(
        msg.starts_with("/etc/containers/registries.conf: "),
        "{msg}"
    );
    assert!(msg.contains("line 2"), "{msg}");
    assert!(msg.contains("column"), "{msg}");
    let msg = err("[[registry]]\nlocation = \"r.io\"\ninsecure = \"yes\"\n");
    assert!(msg.contains("line 3"), "{msg}");
}

#[test]
fn unknown_keys_are_ignored() {
    let c = conf(
        "credential-helpers = [\"pass\"]\n[aliases]\n\"fedora\" = \"registry.fedoraproject.org/fedora\"\n",
    );
    assert_eq!(c, RegistriesConf::default());
}

#[test]
fn v1_format_is_converted() {
    let c = conf(
        r#"
[registries.search]
registries = ['registry1.com', 'registry2.com']

[registries.insecure]
registries = ['registry3.com', 'registry.unsafe.com']

[registries.block]
registries = ['registry.untrusted.com', 'registry.unsafe.com']
"#,
    );
    assert_eq!(
        c.unqualified_search_registries,
        ["registry1.com", "registry2.com"]
    );
    let flags: Vec<(&str, bool, bool)> = c
        .registries
        .iter()
        .map(|r| (r.prefix.as_str(), r.insecure, r.blocked))
        .collect();
    assert_eq!(
        flags,
        [
            ("registry.unsafe.com", true, true),
            ("registry.untrusted.com", false, true),
            ("registry3.com", true, false),
        ]
    );
    assert!(c.is_insecure("registry3.com"));
    assert!(!c.is_insecure("registry1.com"));
    assert!(c.endpoints("registry.untrusted.com", "x").is_err());
    assert_eq!(
        c.endpoints("registry3.com", "ns/x").unwrap(),
        [ep("registry3.com", "ns/x", true, false)]
    );
}

#[test]
fn mixing_v1_and_v2_is_an_error() {
    let msg = err(
        "unqualified-search-registries = [\"a.io\"]\n[registries.search]\nregistries = [\"b.io\"]\n",
    );
    assert!(
        msg.contains("mixing sysregistry v1/v2 is not supported"),
        "{msg}"
    );
}

#[test]
fn location_rewrite_must_leave_a_repository() {
    let c = conf("[[registry]]\nprefix = \"r.io/app\"\nlocation = \"other.io\"\n");
    match c.endpoints("r.io", "app") {
        Err(Error::BadConfig { reason, .. }) => assert!(reason.contains("names no repository")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.endpoints("r.io", "app/x").unwrap(),
        [ep("other.io", "x", false, false)]
    );
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(path, text).unwrap();
}

#[test]
fn drop_ins_override_in_lexical_order() {
    let tmp = tempfile::tempdir().unwrap();
    let main = tmp.path().join("registries.conf");
    let dir = tmp.path().join("registries.conf.d");
    write(
        &main,
        r#"
unqualified-search-registries = ["main.io"]
short-name-mode = "enforcing"

[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "main-mirror.local"

[[registry]]
location = "keep.io"
insecure = true
"#,
    );
    write(
        &dir.join("10-mirror.conf"),
        "[[registry]]\nlocation = \"docker.io\"\n[[registry.mirror]]\nlocation = \"first.local\"\n",
    );
    write(
        &dir.join("20-mirror.conf"),
        "[[registry]]\nlocation = \"docker.io\"\n[[registry.mirror]]\nlocation = \"second.local/hub\"\n\
         [[registry]]\nlocation = \"new.io\"\nblocked = true\n",
    );
    write(
        &dir.join("30-search.conf"),
        "unqualified-search-registries = []\n",
    );
    // Not *.conf, or a directory: ignored.
    write(&dir.join("99-ignored.conf.bak"), "this is not toml [[[");
    write(&dir.join("sub.conf/inner.conf"), "this is not toml [[[");

    let c = RegistriesConf::load_from(&main, Some(&dir)).unwrap();
    assert!(c.unqualified_search_registries.is_empty());
    assert_eq!(c.short_name_mode, Some(ShortNameMode::Enforcing));
    let prefixes: Vec<&str> = c.registries.iter().map(|r| r.prefix.as_str()).collect();
    assert_eq!(prefixes, ["docker.io", "keep.io", "new.io"]);
    assert_eq!(
        c.endpoints("docker.io", "library/alpine").unwrap(),
        [
            ep("second.local", "hub/library/alpine", false, true),
            ep("docker.io", "library/alpine", false, false),
        ]
    );
    assert!(c.is_insecure("keep.io"));
    match c.endpoints("new.io", "x") {
        Err(Error::Invalid(msg)) => assert_eq!(
            msg,
            format!(
                "registry new.io is blocked in {}",
                dir.join("20-mirror.conf").display()
            )
        ),
        other => panic!("{other:?}"),
    }

    // Without the drop-ins, the main file alone.
    let c = RegistriesConf::load_from(&main, None).unwrap();
    assert_eq!(c.unqualified_search_registries, ["main.io"]);
    assert_eq!(
        c.endpoints("docker.io", "x").unwrap()[0].host,
        "main-mirror.local"
    );
}

#[test]
fn drop_ins_must_be_v2_and_errors_name_them() {
    let tmp = tempfile::tempdir().unwrap();
    let main = tmp.path().join("registries.conf");
    let dir = tmp.path().join("d");
    write(&main, "[registries.search]\nregistries = [\"a.io\"]\n");
    write(
        &dir.join("a.conf"),
        "[registries.block]\nregistries = [\"b.io\"]\n",
    );
    match RegistriesConf::load_from(&main, Some(&dir)) {
        Err(Error::BadConfig { path, reason }) => {
            assert_eq!(path, dir.join("a.conf"));
            assert_eq!(reason, "registry must be in v2 format but is in v1");
        }
        other => panic!("{other:?}"),
    }
    write(&dir.join("a.conf"), "[[registry]\n");
    match RegistriesConf::load_from(&main, Some(&dir)) {
        Err(e @ Error::BadConfig { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("a.conf"), "{msg}");
            assert!(msg.contains("line 1"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    fs::remove_file(dir.join("a.conf")).unwrap();
    let c = RegistriesConf::load_from(&main, Some(&dir)).unwrap();
    assert_eq!(c.unqualified_search_registries, ["a.io"]);
}

#[test]
fn missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let main = tmp.path().join("absent.conf");
    assert!(matches!(
        RegistriesConf::load_from(&main, None),
        Err(Error::Io { .. })
    ));
    write(&main, "");
    let c = RegistriesConf::load_from(&main, Some(&tmp.path().join("no-dir"))).unwrap();
    assert_eq!(c, RegistriesConf::default());
    // The default sources tolerate a missing system file.
    let sources = load::Sources {
        main: tmp.path().join("etc/registries.conf"),
        main_required: false,
        dirs: vec![tmp.path().join("etc/registries.conf.d")],
    };
    assert_eq!(load::load(&sources).unwrap(), RegistriesConf::default());
}
