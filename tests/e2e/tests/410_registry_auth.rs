//! Registry authentication: `berth login` / `berth logout` and authenticated `push` / `pull`
//! against an HTTPS registry with basic auth (its CA in `/etc/docker/certs.d/<host:port>/`,
//! as Docker finds it) and against a token-auth registry (anonymous pull, authenticated push,
//! `pull access denied ...` for what anonymous clients may not see, short-lived tokens
//! renewed during a long push). Credentials go to `$DOCKER_CONFIG/config.json` (mode 0600),
//! a fresh directory per client.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use berth_e2e::registry::{self, base64_decode, Client, Registry};
use berth_e2e::{Berth, Output};

/// A file holding `text` (for `--password-stdin`).
fn stdin_file(b: &Berth, name: &str, text: &str) -> std::path::PathBuf {
    let p = b.dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Asserts config.json is mode 0600 and holds credentials for `server` (an `auth` of
/// `user:password`, or an identity token).
fn assert_stored(c: &Client, server: &str, user: &str, password: &str) {
    let path = c.config_path();
    let mode = fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{} mode", path.display());
    let entry = c.auth_entry(server).unwrap_or_else(|| {
        panic!(
            "no auths entry for {server} in {}:\n{}",
            path.display(),
            fs::read_to_string(&path).unwrap_or_default()
        )
    });
    // Docker keeps an identity token (a refresh token) when the token server gives one,
    // with `auth` holding only the user name; else `auth` is base64 of `user:password`.
    if entry
        .get("identitytoken")
        .and_then(|t| t.as_str())
        .is_some()
    {
        return;
    }
    let auth = entry
        .get("auth")
        .and_then(|a| a.as_str())
        .unwrap_or_else(|| panic!("auths.{server} has neither auth nor identitytoken: {entry}"));
    let decoded = base64_decode(auth).map(|d| String::from_utf8_lossy(&d).into_owned());
    assert_eq!(
        decoded.as_deref(),
        Some(format!("{user}:{password}").as_str()),
        "auths.{server}.auth"
    );
}

/// Asserts nothing is stored for `server`.
fn assert_not_stored(c: &Client, server: &str) {
    assert!(
        c.auth_entry(server).is_none(),
        "credentials for {server} stored:\n{}",
        fs::read_to_string(c.config_path()).unwrap_or_default()
    );
}

fn assert_login_succeeded(o: &Output) {
    assert!(
        o.lines().iter().any(|l| l == "Login Succeeded"),
        "`Login Succeeded` on stdout:\n{o}"
    );
}

#[test]
fn tls_basic_auth_login_push_pull_logout() {
    let name = "registry-tls-basic";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let (user, password) = ("berth", "s3cret-pw");
    let r = Registry::tls_basic(&b.netns, &b.dir, user, password);
    let server = r.addr();
    let c = Client::new(&b);
    let id = b.busybox_image("bb:1");
    let reference = r.image("bb:1");
    b.cmd(&["tag", "bb:1", &reference]).ok();

    // Not logged in.
    c.cmd(&["push", &reference])
        .code_is(1)
        .stderr_mentions(&["no basic auth credentials", "unauthorized"]);
    assert!(r.tags("bb").is_empty(), "nothing pushed");

    // A wrong password stores nothing.
    c.cmd(&["login", "-u", user, "-p", "wrong-pw", &server])
        .code_is(1)
        .stderr_mentions(&["unauthorized"]);
    assert_not_stored(&c, &server);
    let wrong = stdin_file(&b, "wrong-pw", "wrong-pw\n");
    let o = c
        .cmd_stdin(&["login", "-u", user, "--password-stdin", &server], &wrong)
        .code_is(1)
        .stderr_mentions(&["unauthorized"]);
    assert!(!o.stdout.contains("Login Succeeded"), "{o}");
    assert_not_stored(&c, &server);

    // -p (Docker warns about it on stderr), then logout, then --password-stdin.
    let o = c.cmd(&["login", "-u", user, "-p", password, &server]).ok();
    assert_login_succeeded(&o);
    assert_stored(&c, &server, user, password);
    let o = c.cmd(&["logout", &server]).ok();
    assert_eq!(
        o.lines(),
        [format!("Removing login credentials for {server}")],
        "{o}"
    );
    assert_not_stored(&c, &server);
    let pw = stdin_file(&b, "pw", &format!("{password}\n"));
    let o = c
        .cmd_stdin(&["login", "-u", user, "--password-stdin", &server], &pw)
        .ok();
    assert_login_succeeded(&o);
    assert_stored(&c, &server, user, password);

    // Logged in: push and pull.
    let o = c.cmd(&["push", &reference]).ok();
    assert_eq!(registry::push_results(&o.stdout).len(), 1, "{o}");
    assert_eq!(r.tags("bb"), ["1"]);
    b.cmd(&["rmi", &reference, "bb:1"]).ok();
    let o = c.cmd(&["pull", &reference]).ok();
    assert_eq!(o.lines().last(), Some(&reference), "{o}");
    assert_eq!(registry::image_id(&b, &reference), id);
    let o = b.cmd(&["run", "--rm", &reference, "echo", "over tls"]).ok();
    assert_eq!(o.stdout, "over tls\n");

    // Another client (another DOCKER_CONFIG) has no credentials.
    let other = Client::new(&b);
    other
        .cmd(&["pull", &reference])
        .code_is(1)
        .stderr_mentions(&[
            "no basic auth credentials",
            "unauthorized",
            "pull access denied",
        ]);

    // Logged out: refused again.
    let o = c.cmd(&["logout", &server]).ok();
    assert!(
        o.stdout
            .contains(&format!("Removing login credentials for {server}")),
        "{o}"
    );
    assert_not_stored(&c, &server);
    c.cmd(&["pull", &reference]).code_is(1).stderr_mentions(&[
        "no basic auth credentials",
        "unauthorized",
        "pull access denied",
    ]);
}

#[test]
fn token_auth_anonymous_pull_authenticated_push() {
    let name = "registry-token";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let (user, password) = ("pusher", "tok3n-pw");
    let r = Registry::token(&b.netns, &b.dir, &[(user, password)]);
    let server = r.addr();
    let c = Client::new(&b);
    let anon = Client::new(&b);
    let id = b.busybox_image("bb:1");
    let reference = r.image("bb:1");
    let private = r.image("private/bb:1");
    b.cmd(&["tag", "bb:1", &reference]).ok();
    b.cmd(&["tag", "bb:1", &private]).ok();

    // Anonymous: no push.
    anon.cmd(&["push", &reference])
        .code_is(1)
        .stderr_mentions(&["denied", "unauthorized", "authentication required"]);
    assert!(r.tags("bb").is_empty(), "nothing pushed");

    // A wrong password stores nothing.
    c.cmd(&["login", "-u", user, "-p", "not-it", &server])
        .code_is(1)
        .stderr_mentions(&["unauthorized", "incorrect username or password"]);
    assert_not_stored(&c, &server);

    let o = c.cmd(&["login", "-u", user, "-p", password, &server]).ok();
    assert_login_succeeded(&o);
    assert_stored(&c, &server, user, password);
    for reference in [&reference, &private] {
        let o = c.cmd(&["push", reference]).ok();
        assert_eq!(registry::push_results(&o.stdout).len(), 1, "{o}");
    }
    assert_eq!(r.tags("bb"), ["1"]);
    assert_eq!(r.tags("private/bb"), ["1"]);

    // Anonymous pull of what may be pulled anonymously.
    b.cmd(&["rmi", &reference, &private, "bb:1"]).ok();
    let o = anon.cmd(&["pull", &reference]).ok();
    assert_eq!(o.lines().last(), Some(&reference), "{o}");
    assert_eq!(registry::image_id(&b, &reference), id);
    let o = b.cmd(&["run", "--rm", &reference, "echo", "token"]).ok();
    assert_eq!(o.stdout, "token\n");

    // What anonymous clients get no token for: Docker's "pull access denied".
    let o = anon.cmd(&["pull", &private]).code_is(1);
    let repo = format!("{server}/private/bb");
    assert!(
        o.stderr.contains(&format!(
            "pull access denied for {repo}, repository does not exist or may require \
             'docker login'"
        )),
        "{o}"
    );
    b.cmd(&["image", "inspect", &private]).fails();
    // The logged-in client may.
    c.cmd(&["pull", &private]).ok();
    assert_eq!(registry::image_id(&b, &private), id);

    let o = c.cmd(&["logout", &server]).ok();
    assert!(o.stdout.contains("Removing login credentials for"), "{o}");
    assert_not_stored(&c, &server);
    assert!(
        !r.issuer_log().contains(password),
        "the issuer's log shows the password"
    );
}

/// Limits the loopback of `b`'s namespace to 6 Mbit/s (a token-bucket qdisc, an MTU of 1500
/// and a short queue), so a push of a few MB outlives a token of a few seconds. (`tc` in the
/// test's own namespace: nothing outside it slows down.)
fn throttle_loopback(b: &Berth) {
    b.in_netns(&["ip", "link", "set", "lo", "mtu", "1500"]).ok();
    b.in_netns(&[
        "tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "6mbit", "burst", "64kb",
        "latency", "200ms",
    ])
    .ok();
}

#[test]
fn short_lived_tokens_are_renewed_during_a_long_push() {
    let name = "registry-token-expiry";
    let Some(b) = registry::setup(name) else {
        return;
    };
    if berth_e2e::peers::skip_unless_installed(name, &[("tc", "iproute2"), ("ip", "iproute2")]) {
        return;
    }
    let lifetime = Duration::from_secs(2);
    let (user, password) = ("pusher", "short-pw");
    let r = Registry::token_with_lifetime(&b.netns, &b.dir, &[(user, password)], lifetime);
    let server = r.addr();
    let c = Client::new(&b);
    // 2 MB nobody can compress, and busybox: 4 s on the throttled loopback, so the registry
    // refuses the token the upload started with before the push ends.
    let id = b.busybox_image_with("big:1", |root| {
        fs::create_dir_all(root.join("data")).unwrap();
        fs::write(
            root.join("data/random"),
            registry::incompressible(2 << 20, 1),
        )
        .unwrap();
    });
    let reference = r.image("big:1");
    b.cmd(&["tag", "big:1", &reference]).ok();
    c.cmd(&["login", "-u", user, "-p", password, &server]).ok();
    throttle_loopback(&b);

    let o = c.cmd_timeout(&["push", &reference], Duration::from_secs(150));
    assert!(
        o.success(),
        "push with {lifetime:?} tokens:\n{o}\n{}",
        r.log_tail(20)
    );
    // The push's requests spanned more than a token's life (else this tested nothing).
    let log = r.access_log();
    let first = log
        .iter()
        .find(|a| a.method == "POST" && a.path.starts_with("/v2/big/blobs/uploads/"))
        .map(|a| a.time);
    let manifest = log
        .iter()
        .find(|a| a.method == "PUT" && a.path == "/v2/big/manifests/1" && a.status == 201)
        .map(|a| a.time);
    match (first, manifest) {
        (Some(f), Some(m)) => assert!(
            m - f > lifetime.as_secs() as i64,
            "the uploads took {}s: too fast to outlive a {lifetime:?} token (throttling not in \
             effect?)\n{}",
            m - f,
            r.log_tail(40)
        ),
        _ => panic!(
            "no upload and manifest PUT in the access log:\n{}",
            r.log_tail(40)
        ),
    }
    assert_eq!(r.tags("big"), ["1"]);
    let o = c.cmd(&["push", &reference]).ok();
    assert_eq!(registry::push_results(&o.stdout).len(), 1, "{o}");

    // And back, as slowly.
    b.cmd(&["rmi", &reference, "big:1"]).ok();
    let o = c.cmd_timeout(&["pull", &reference], Duration::from_secs(150));
    assert!(
        o.success(),
        "pull with {lifetime:?} tokens:\n{o}\n{}",
        r.log_tail(20)
    );
    assert_eq!(registry::image_id(&b, &reference), id);
}

#[test]
fn tls_ca_from_certs_d_or_cert_dir() {
    let name = "registry-tls-ca";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let (user, password) = ("berth", "ca-test-pw");
    let r = Registry::tls_basic(&b.netns, &b.dir, user, password);
    let c = Client::new(&b);
    let id = b.busybox_image("bb:1");
    let reference = r.image("bb:1");
    b.cmd(&["tag", "bb:1", &reference]).ok();
    let pw = stdin_file(&b, "pw", password);
    c.cmd_stdin(
        &[
            "login",
            "--tls-verify=true",
            "-u",
            user,
            "--password-stdin",
            &r.addr(),
        ],
        &pw,
    )
    .ok();
    c.cmd(&["push", "--tls-verify=true", &reference]).ok();

    // Verified with the CA in certs.d/<host:port>/.
    b.cmd(&["rmi", &reference, "bb:1"]).ok();
    c.cmd(&["pull", "--tls-verify=true", &reference]).ok();
    assert_eq!(registry::image_id(&b, &reference), id);

    // Without it, verification fails; --cert-dir gives it back.
    r.remove_ca_from_certs_d();
    b.cmd(&["rmi", &reference]).ok();
    c.cmd(&["pull", "--tls-verify=true", &reference])
        .code_is(1)
        .stderr_mentions(&["certificate", "x509", "unknown issuer", "UnknownIssuer"]);
    b.cmd(&["image", "inspect", &reference]).fails();
    let ca_dir = r.client_ca_dir().unwrap();
    c.cmd(&[
        "pull",
        "--tls-verify=true",
        "--cert-dir",
        ca_dir.to_str().unwrap(),
        &reference,
    ])
    .ok();
    assert_eq!(registry::image_id(&b, &reference), id);
}
