//! Lookup, store and erase against files in temporary directories and fake helpers.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Value};
use tempfile::TempDir;

use super::*;
use crate::error::Error;

struct Env {
    dir: TempDir,
    files: AuthFiles,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        let files = AuthFiles {
            docker_config_dir: dir.path().join("docker"),
            podman_auth_file: Some(dir.path().join("podman/auth.json")),
            helper_path: Some(OsString::from(format!("/nonexistent:{}", bin.display()))),
        };
        Env { dir, files }
    }

    fn config_path(&self) -> PathBuf {
        self.files.docker_config_file()
    }

    fn podman_path(&self) -> PathBuf {
        self.files.podman_auth_file.clone().unwrap()
    }

    fn write_config(&self, v: Value) {
        write_json(&self.config_path(), &v);
    }

    fn write_podman(&self, v: Value) {
        write_json(&self.podman_path(), &v);
    }

    fn config(&self) -> Value {
        serde_json::from_str(&fs::read_to_string(self.config_path()).unwrap()).unwrap()
    }

    /// Installs `docker-credential-<name>`, a helper keeping one credential in its state
    /// directory: `get` prints it (recording the server URL it was asked for), `store` saves
    /// its input, `erase` deletes it; "credentials not found" when there is none.
    fn fake_helper(&self, name: &str) -> PathBuf {
        let state = self.dir.path().join(format!("state-{name}"));
        fs::create_dir_all(&state).unwrap();
        let script = format!(
            r#"#!/bin/sh
d='{}'
case "$1" in
get) cat > "$d/get_url"
     if [ -f "$d/stored.json" ]; then cat "$d/stored.json"
     else echo "credentials not found in native keychain"; exit 1; fi ;;
store) cat > "$d/stored.json" ;;
erase) cat > "$d/erase_url"
     if [ -f "$d/stored.json" ]; then rm "$d/stored.json"
     else echo "credentials not found in native keychain" >&2; exit 1; fi ;;
*) echo "unknown action $1" >&2; exit 2 ;;
esac
"#,
            state.display()
        );
        self.install(name, &script);
        state
    }

    fn install(&self, name: &str, script: &str) {
        let path = self
            .dir
            .path()
            .join("bin")
            .join(format!("docker-credential-{name}"));
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn write_json(path: &Path, v: &Value) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn basic(u: &str, p: &str) -> Credential {
    Credential::Basic {
        username: u.into(),
        password: p.into(),
    }
}

fn helper_creds(state: &Path, user: &str, secret: &str) {
    let v = json!({ "ServerURL": "x", "Username": user, "Secret": secret });
    fs::write(state.join("stored.json"), v.to_string()).unwrap();
}

#[test]
fn nothing_anywhere_is_none() {
    let env = Env::new();
    assert_eq!(env.files.lookup("quay.io").unwrap(), None);
    assert!(!env.files.erase("quay.io").unwrap());
    let no_podman = AuthFiles {
        podman_auth_file: None,
        ..env.files.clone()
    };
    assert_eq!(no_podman.lookup("quay.io").unwrap(), None);
}

#[test]
fn auths_entry_with_colons_in_password() {
    let env = Env::new();
    env.write_config(json!({ "auths": { "quay.io": { "auth": b64("alice:p:a:ss") } } }));
    assert_eq!(
        env.files.lookup("quay.io").unwrap(),
        Some(basic("alice", "p:a:ss"))
    );
    assert_eq!(
        env.files.lookup("Quay.IO").unwrap(),
        Some(basic("alice", "p:a:ss"))
    );
    assert_eq!(env.files.lookup("quay.io:5000").unwrap(), None);
    assert_eq!(env.files.lookup("docker.io").unwrap(), None);
}

#[test]
fn identity_token_entry() {
    let env = Env::new();
    env.write_config(json!({ "auths": {
        "r.example": { "auth": b64("bob:"), "identitytoken": "refresh-1" },
        "s.example": { "identitytoken": "refresh-2" },
    } }));
    assert_eq!(
        env.files.lookup("r.example").unwrap(),
        Some(Credential::IdentityToken {
            username: "bob".into(),
            token: "refresh-1".into()
        })
    );
    assert_eq!(
        env.files.lookup("s.example").unwrap(),
        Some(Credential::IdentityToken {
            username: String::new(),
            token: "refresh-2".into()
        })
    );
}

#[test]
fn docker_hub_keys_are_one_registry() {
    let env = Env::new();
    env.write_config(json!({ "auths": {
        "https://index.docker.io/v1/": { "auth": b64("hub:pw") },
        "https://legacy.example/v2/": { "auth": b64("leg:pw") },
    } }));
    for r in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
        assert_eq!(
            env.files.lookup(r).unwrap(),
            Some(basic("hub", "pw")),
            "{r}"
        );
    }
    assert_eq!(
        env.files.lookup("legacy.example").unwrap(),
        Some(basic("leg", "pw"))
    );
    // Another spelling of the key works too; the canonical key wins when both exist.
    env.write_config(json!({ "auths": { "docker.io": { "auth": b64("short:pw") } } }));
    assert_eq!(
        env.files.lookup("index.docker.io").unwrap(),
        Some(basic("short", "pw"))
    );
    env.write_config(json!({ "auths": {
        "docker.io": { "auth": b64("short:pw") },
        "https://index.docker.io/v1/": { "auth": b64("hub:pw") },
    } }));
    assert_eq!(
        env.files.lookup("docker.io").unwrap(),
        Some(basic("hub", "pw"))
    );
}

#[test]
fn cred_helpers_beat_creds_store() {
    let env = Env::new();
    let store = env.fake_helper("store");
    let special = env.fake_helper("special");
    helper_creds(&store, "from-store", "s1");
    helper_creds(&special, "from-special", "s2");
    env.write_config(json!({
        "credsStore": "store",
        "credHelpers": { "quay.io": "special" },
        "auths": { "quay.io": { "auth": b64("from-file:x") } },
    }));
    assert_eq!(
        env.files.lookup("quay.io").unwrap(),
        Some(basic("from-special", "s2"))
    );
    assert_eq!(
        fs::read_to_string(special.join("get_url")).unwrap(),
        "quay.io"
    );
    assert_eq!(
        env.files.lookup("docker.io").unwrap(),
        Some(basic("from-store", "s1"))
    );
    // The helper is asked for Docker's key.
    assert_eq!(
        fs::read_to_string(store.join("get_url")).unwrap(),
        DOCKER_HUB_KEY
    );
}

#[test]
fn helper_without_credentials_falls_through() {
    let env = Env::new();
    env.fake_helper("empty");
    env.write_config(json!({
        "credsStore": "empty",
        "auths": { "quay.io": { "auth": b64("file:pw") }, "ghcr.io": {} },
    }));
    env.write_podman(json!({ "auths": { "ghcr.io": { "auth": b64("pod:pw") } } }));
    assert_eq!(
        env.files.lookup("quay.io").unwrap(),
        Some(basic("file", "pw"))
    );
    // An empty `auths` entry (Docker writes them next to helpers) is no credential.
    assert_eq!(
        env.files.lookup("ghcr.io").unwrap(),
        Some(basic("pod", "pw"))
    );
    assert_eq!(env.files.lookup("other.io").unwrap(), None);
}

#[test]
fn helper_returns_identity_token() {
    let env = Env::new();
    let state = env.fake_helper("tok");
    helper_creds(&state, "<token>", "refresh");
    env.write_config(json!({ "credsStore": "tok" }));
    assert_eq!(
        env.files.lookup("quay.io").unwrap(),
        Some(Credential::IdentityToken {
            username: String::new(),
            token: "refresh".into()
        })
    );
}

#[test]
fn missing_or_failing_helper_is_an_error() {
    let env = Env::new();
    env.write_config(json!({ "credsStore": "absent" }));
    let err = env.files.lookup("quay.io").unwrap_err();
    assert!(matches!(err, Error::CredentialHelper { ref helper, .. } if helper == "absent"));
    assert!(
        err.to_string().contains("docker-credential-absent"),
        "{err}"
    );

    env.write_config(json!({ "credsStore": "../evil" }));
    assert!(matches!(
        env.files.lookup("quay.io"),
        Err(Error::CredentialHelper { .. })
    ));

    env.install(
        "broken",
        "#!/bin/sh\ncat > /dev/null\necho \"keyring locked; had hunter2-secret\" >&2\nexit 3\n",
    );
    env.write_config(json!({ "credsStore": "broken" }));
    let err = env.files.lookup("quay.io").unwrap_err().to_string();
    assert!(
        err.contains("docker-credential-broken") && err.contains("keyring locked"),
        "{err}"
    );
    let err = env
        .files
        .store("quay.io", &basic("u", "hunter2-secret"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("docker-credential-broken"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    env.install("garbage", "#!/bin/sh\ncat > /dev/null\necho 'not json'\n");
    env.write_config(json!({ "credsStore": "garbage" }));
    let err = env.files.lookup("quay.io").unwrap_err().to_string();
    assert!(err.contains("docker-credential-garbage"), "{err}");
}

#[test]
fn podman_fallback_and_repository_scoped_keys() {
    let env = Env::new();
    env.write_config(json!({ "auths": { "docker.io": { "auth": b64("docker:pw") } } }));
    env.write_podman(json!({ "auths": {
        "quay.io": { "auth": b64("registry:pw") },
        "quay.io/team": { "auth": b64("team:pw") },
        "quay.io/team/app": { "auth": b64("app:pw") },
        "docker.io": { "auth": b64("podhub:pw") },
        "docker.io/library/busybox": { "auth": b64("busybox:pw") },
        "https://legacy.example/v1/": { "auth": b64("legacy:pw") },
    } }));
    let f = &env.files;
    assert_eq!(f.lookup("quay.io").unwrap(), Some(basic("registry", "pw")));
    assert_eq!(
        f.lookup_for("quay.io", "other/app").unwrap(),
        Some(basic("registry", "pw"))
    );
    assert_eq!(
        f.lookup_for("quay.io", "team/web").unwrap(),
        Some(basic("team", "pw"))
    );
    assert_eq!(
        f.lookup_for("quay.io", "team/app").unwrap(),
        Some(basic("app", "pw"))
    );
    assert_eq!(
        f.lookup_for("quay.io", "team/app/sub").unwrap(),
        Some(basic("app", "pw"))
    );
    assert_eq!(
        f.lookup_for("quay.io", "teamx").unwrap(),
        Some(basic("registry", "pw"))
    );
    assert_eq!(
        f.lookup_for("legacy.example", "a/b").unwrap(),
        Some(basic("legacy", "pw"))
    );
    // Docker's file comes first, with or without a repository.
    assert_eq!(
        f.lookup_for("index.docker.io", "library/busybox").unwrap(),
        Some(basic("docker", "pw"))
    );
    fs::remove_file(env.config_path()).unwrap();
    assert_eq!(
        f.lookup_for("index.docker.io", "library/busybox").unwrap(),
        Some(basic("busybox", "pw"))
    );
    assert_eq!(
        f.lookup_for("docker.io", "library/alpine").unwrap(),
        Some(basic("podhub", "pw"))
    );
}

#[test]
fn store_and_erase_keep_the_rest_of_the_file() {
    let env = Env::new();
    env.write_config(json!({
        "auths": { "other.io": { "auth": b64("o:p"), "email": "o@x" } },
        "psFormat": "table {{.ID}}",
        "proxies": { "default": { "httpProxy": "http://p:3128" } },
        "currentContext": "x",
    }));
    fs::set_permissions(env.config_path(), fs::Permissions::from_mode(0o644)).unwrap();
    let before = env.config();

    let stored = env
        .files
        .store("localhost:5000", &basic("me", "se:cret"))
        .unwrap();
    assert_eq!(stored, StoredIn::File(env.config_path()));
    let meta = fs::metadata(env.config_path()).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    let after = env.config();
    assert_eq!(
        after["auths"]["localhost:5000"],
        json!({ "auth": b64("me:se:cret") })
    );
    for key in ["psFormat", "proxies", "currentContext"] {
        assert_eq!(after[key], before[key], "{key}");
    }
    assert_eq!(after["auths"]["other.io"], before["auths"]["other.io"]);
    assert_eq!(
        env.files.lookup("localhost:5000").unwrap(),
        Some(basic("me", "se:cret"))
    );

    assert!(env.files.erase("localhost:5000").unwrap());
    assert_eq!(env.files.lookup("localhost:5000").unwrap(), None);
    assert_eq!(env.config(), before);
    assert!(!env.files.erase("localhost:5000").unwrap());
    // No temporary files left in the directory.
    assert_eq!(
        fs::read_dir(&env.files.docker_config_dir).unwrap().count(),
        1
    );
}

#[test]
fn store_creates_a_private_directory_and_identity_token_entries() {
    let env = Env::new();
    let token = Credential::IdentityToken {
        username: "me".into(),
        token: "refresh".into(),
    };
    assert_eq!(
        env.files.store("docker.io", &token).unwrap(),
        StoredIn::File(env.config_path())
    );
    let dir_mode = fs::metadata(&env.files.docker_config_dir).unwrap().mode();
    assert_eq!(dir_mode & 0o777, 0o700);
    assert_eq!(
        env.config(),
        json!({ "auths": { DOCKER_HUB_KEY: { "auth": b64("me:"), "identitytoken": "refresh" } } })
    );
    assert!(fs::read_to_string(env.config_path())
        .unwrap()
        .contains("\n\t\"auths\""));
    assert_eq!(
        env.files.lookup("registry-1.docker.io").unwrap(),
        Some(token)
    );
}

#[test]
fn store_and_erase_through_a_helper() {
    let env = Env::new();
    let state = env.fake_helper("keyring");
    env.write_config(json!({ "credsStore": "keyring", "auths": { "quay.io": {} } }));
    let stored = env.files.store("docker.io", &basic("me", "pw")).unwrap();
    assert_eq!(stored, StoredIn::Helper("keyring".into()));
    let wire: Value =
        serde_json::from_str(&fs::read_to_string(state.join("stored.json")).unwrap()).unwrap();
    assert_eq!(
        wire,
        json!({ "ServerURL": DOCKER_HUB_KEY, "Username": "me", "Secret": "pw" })
    );
    assert_eq!(
        env.files.lookup("index.docker.io").unwrap(),
        Some(basic("me", "pw"))
    );
    // The config file is not touched.
    assert_eq!(env.config()["auths"], json!({ "quay.io": {} }));

    let token = Credential::IdentityToken {
        username: String::new(),
        token: "refresh".into(),
    };
    env.files.store("quay.io", &token).unwrap();
    let wire: Value =
        serde_json::from_str(&fs::read_to_string(state.join("stored.json")).unwrap()).unwrap();
    assert_eq!(wire["Username"], "<token>");
    assert_eq!(env.files.lookup("quay.io").unwrap(), Some(token));

    assert!(env.files.erase("quay.io").unwrap());
    assert_eq!(
        fs::read_to_string(state.join("erase_url")).unwrap(),
        "quay.io"
    );
    assert_eq!(env.config()["auths"], json!({}));
    assert!(!env.files.erase("quay.io").unwrap());
}

#[test]
fn erase_docker_hub_under_every_key_and_from_podman() {
    let env = Env::new();
    env.write_config(json!({ "auths": {
        "https://index.docker.io/v1/": { "auth": b64("a:1") },
        "docker.io": { "auth": b64("b:2") },
        "registry-1.docker.io": { "auth": b64("c:3") },
        "quay.io": { "auth": b64("q:4") },
    } }));
    env.write_podman(json!({ "auths": {
        "docker.io": { "auth": b64("d:5") },
        "docker.io/library/busybox": { "auth": b64("e:6") },
        "quay.io": { "auth": b64("f:7") },
    }, "other": true }));
    assert!(env.files.erase("index.docker.io").unwrap());
    assert_eq!(
        env.config()["auths"],
        json!({ "quay.io": { "auth": b64("q:4") } })
    );
    let podman: Value =
        serde_json::from_str(&fs::read_to_string(env.podman_path()).unwrap()).unwrap();
    assert_eq!(
        podman,
        json!({ "auths": {
            "docker.io/library/busybox": { "auth": b64("e:6") },
            "quay.io": { "auth": b64("f:7") },
        }, "other": true })
    );
    assert_eq!(env.files.lookup("docker.io").unwrap(), None);
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let env = Env::new();
    fs::create_dir_all(&env.files.docker_config_dir).unwrap();
    fs::write(env.config_path(), "{ \"auths\": ").unwrap();
    let err = env.files.lookup("quay.io").unwrap_err();
    assert!(matches!(err, Error::BadConfig { ref path, .. } if *path == env.config_path()));
    assert!(err.to_string().contains("config.json"), "{err}");
    assert!(env.files.store("quay.io", &basic("u", "p")).is_err());
    assert!(env.files.erase("quay.io").is_err());
    // The broken file was not overwritten.
    assert_eq!(
        fs::read_to_string(env.config_path()).unwrap(),
        "{ \"auths\": "
    );

    env.write_config(json!({ "auths": { "quay.io": { "auth": "!!!" } } }));
    let err = env.files.lookup("quay.io").unwrap_err().to_string();
    assert!(
        err.contains("config.json") && err.contains("quay.io"),
        "{err}"
    );
    assert!(err.contains("base64"), "{err}");

    env.write_config(json!({}));
    fs::create_dir_all(env.podman_path().parent().unwrap()).unwrap();
    fs::write(env.podman_path(), "not json").unwrap();
    let err = env.files.lookup("quay.io").unwrap_err();
    assert!(matches!(err, Error::BadConfig { ref path, .. } if *path == env.podman_path()));

    env.write_config(json!({ "credsStore": 7 }));
    assert!(matches!(
        env.files.lookup("quay.io"),
        Err(Error::BadConfig { .. })
    ));
}

#[test]
fn debug_never_shows_secrets() {
    let shown = format!(
        "{:?} {:?}",
        basic("alice", "hunter2"),
        Credential::IdentityToken {
            username: "bob".into(),
            token: "refresh-secret".into()
        }
    );
    assert!(shown.contains("alice") && shown.contains("bob"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("refresh-secret"),
        "{shown}"
    );
    assert_eq!(basic("alice", "x").username(), "alice");
}

#[test]
fn endless_helper_output_is_bounded() {
    let env = Env::new();
    env.install("flood", "#!/bin/sh\nexec yes '{\"Username\":\"u\"}'\n");
    env.write_config(json!({ "credsStore": "flood" }));
    let err = env.files.lookup("quay.io").unwrap_err().to_string();
    assert!(
        err.contains("docker-credential-flood") && err.contains("more than"),
        "{err}"
    );
}
