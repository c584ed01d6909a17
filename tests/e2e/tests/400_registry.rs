//! Registries: the harness itself (each mode driven with skopeo and curl), and `berth push` /
//! `berth pull` against a plain-HTTP registry, with Docker's output: per-layer lines, then
//! `Digest:` / `Status:` and the full reference (`pull`), `<tag>: digest: ... size: N`
//! (`push`); `-q`, `-a`, pull by digest, and clean failures for what the registry lacks.
//!
//! Every registry runs inside the test's network namespace (see `berth_e2e::registry`), so
//! all traffic stays on that namespace's loopback.

use std::fs;
use std::path::Path;

use berth_e2e::image_archive::sha256_digest;
use berth_e2e::registry::{self, jwt_claims, jwt_header, Client, Registry};
use berth_e2e::{Berth, Output, Value};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An OCI archive of a busybox image berth made (`bb:1`), and its image ID.
fn berth_oci_archive(b: &Berth) -> (String, String) {
    let id = b.busybox_image("bb:1");
    let archive = b.dir.join("bb.oci.tar");
    b.cmd(&["save", "--format", "oci-archive", "-o", s(&archive), "bb:1"])
        .ok();
    (format!("oci-archive:{}", archive.display()), id)
}

/// Checks that `r` serves `path` as the one-layer image `id` (config digest) to skopeo.
fn assert_serves(r: &Registry, path: &str, id: &str) {
    let v = r.skopeo_inspect(path, &[]);
    assert_eq!(v["Os"], "linux", "{v}");
    assert_eq!(v["Layers"].as_array().map(Vec::len), Some(1), "{v}");
    let from = format!("docker://{}", r.image(path));
    let flags = r.skopeo_flags("");
    let mut a: Vec<&str> = vec!["inspect", "--config", "--raw"];
    a.extend(flags.iter().map(String::as_str));
    a.push(&from);
    let o = r.skopeo(&a).ok();
    // skopeo may print a newline after the raw bytes.
    let raw = o.stdout.as_bytes();
    let trimmed = o.stdout.trim_end().as_bytes();
    assert!(
        sha256_digest(raw) == id || sha256_digest(trimmed) == id,
        "the config {from} serves hashes to the image ID {id}:\n{o}"
    );
}

#[test]
fn registry_harness_modes_work() {
    let name = "registry-harness";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let (src, id) = berth_oci_archive(&b);

    // Plain HTTP, anonymous.
    let plain = Registry::plain(&b.netns, &b.dir);
    let o = plain.curl(&["-o", "/dev/null", "-w", "%{http_code}", &plain.url("/v2/")]);
    assert_eq!(o.out(), "200", "{o}");
    plain.skopeo_push(&src, "x:1", &[]).ok();
    assert_serves(&plain, "x:1", &id);
    assert_eq!(plain.tags("x"), ["1"]);

    // HTTPS + basic auth; the CA comes from certs.d (skopeo verifies TLS here).
    let tls = Registry::tls_basic(&b.netns, &b.dir, "berth", "s3cret-pw");
    let ca_dir = tls.certs_d_dir().expect("certs.d dir").to_path_buf();
    assert!(ca_dir.join("ca.crt").is_file());
    assert_eq!(
        ca_dir.file_name().unwrap().to_str().unwrap(),
        tls.addr(),
        "certs.d/<host:port>"
    );
    let o = tls.curl(&["-o", "/dev/null", "-w", "%{http_code}", &tls.url("/v2/")]);
    assert_eq!(o.out(), "401", "no credentials: {o}");
    let o = tls.curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-u",
        "berth:s3cret-pw",
        &tls.url("/v2/"),
    ]);
    assert_eq!(o.out(), "200", "with credentials: {o}");
    let to = format!("docker://{}", tls.image("x:1"));
    let o = tls.skopeo(&["copy", &src, &to]).fails();
    assert!(
        o.stderr.contains("unauthorized") || o.stderr.contains("authentication required"),
        "push without credentials:\n{o}"
    );
    let o = tls
        .skopeo(&["copy", "--dest-creds", "berth:wrong", &src, &to])
        .fails();
    assert!(
        o.stderr.contains("unauthorized") || o.stderr.contains("authentication required"),
        "push with a wrong password:\n{o}"
    );
    tls.skopeo_push(&src, "x:1", &[]).ok();
    assert_serves(&tls, "x:1", &id);
    // The CA given with --cert-dir instead (a dir holding only ca.crt).
    let cd = tls.client_ca_dir().unwrap();
    let o = tls
        .skopeo(&[
            "inspect",
            "--cert-dir",
            s(&cd),
            "--creds",
            "berth:s3cret-pw",
            &to,
        ])
        .ok();
    assert!(o.stdout.contains("\"Digest\""), "{o}");

    // Token auth: anonymous pull, users push.
    let tok = Registry::token(&b.netns, &b.dir, &[("alice", "wonder-pw")]);
    let to = format!("docker://{}", tok.image("x:1"));
    let o = tok
        .skopeo(&["copy", "--dest-tls-verify=false", &src, &to])
        .fails();
    assert!(
        o.stderr.contains("unauthorized")
            || o.stderr.contains("denied")
            || o.stderr.contains("authentication required"),
        "anonymous push:\n{o}\n{}",
        tok.log_tail(10)
    );
    tok.skopeo_push(&src, "x:1", &[]).ok();
    tok.skopeo_push(&src, "private/x:1", &[]).ok();
    // Anonymous pull access (x), none on private/.
    let o = tok.skopeo(&["inspect", "--tls-verify=false", &to]).ok();
    assert!(o.stdout.contains("\"Digest\""), "{o}");
    let private = format!("docker://{}", tok.image("private/x:1"));
    let o = tok
        .skopeo(&["inspect", "--tls-verify=false", &private])
        .fails();
    assert!(
        o.stderr.contains("unauthorized")
            || o.stderr.contains("denied")
            || o.stderr.contains("authentication required"),
        "anonymous pull of private/:\n{o}"
    );
    assert_serves(&tok, "private/x:1", &id);

    // The issuer's answers.
    let issuer = tok.issuer_addr().unwrap();
    let token_url = |q: &str| format!("http://{issuer}/token?service=berth-test&{q}");
    let o = tok
        .curl(&[
            "-u",
            "alice:wonder-pw",
            &token_url("scope=repository:x:pull,push&scope=repository:y:pull&account=alice"),
        ])
        .ok();
    let v: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o}"));
    assert_eq!(v["expires_in"], 300, "{o}");
    assert!(
        v["issued_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{o}"
    );
    assert_eq!(v["token"], v["access_token"], "{o}");
    let t = v["token"].as_str().unwrap();
    let h = jwt_header(t);
    assert_eq!(h["alg"], "RS256");
    assert!(h["x5c"].as_array().is_some_and(|c| c.len() == 1), "{h}");
    let c = jwt_claims(t);
    assert_eq!(c["iss"], "berth-test-issuer");
    assert_eq!(c["aud"], "berth-test");
    assert_eq!(c["sub"], "alice");
    for k in ["exp", "nbf", "iat"] {
        assert!(c[k].is_i64(), "{k}: {c}");
    }
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()), "{c}");
    assert_eq!(
        c["access"],
        serde_json::json!([
            {"type": "repository", "name": "x", "actions": ["pull", "push"]},
            {"type": "repository", "name": "y", "actions": ["pull"]},
        ])
    );
    let o = tok.curl(&[&token_url("scope=repository:x:pull,push")]).ok();
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(
        jwt_claims(v["token"].as_str().unwrap())["access"],
        serde_json::json!([{"type": "repository", "name": "x", "actions": ["pull"]}]),
        "anonymous: pull only"
    );
    let o = tok
        .curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-u",
            "alice:nope",
            &token_url("scope=repository:x:pull"),
        ])
        .ok();
    assert_eq!(o.out(), "401", "wrong password: {o}");
    // OAuth2: password grant (offline: a refresh token), then the refresh grant.
    let post = |form: &str| -> Output {
        tok.curl(&[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "--data",
            form,
            &format!("http://{issuer}/token"),
        ])
    };
    let o = post(
        "grant_type=password&service=berth-test&client_id=berth-e2e&access_type=offline\
         &username=alice&password=wonder-pw&scope=repository%3Ax%3Apull%2Cpush",
    )
    .ok();
    let v: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o}"));
    let refresh = v["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_string();
    assert_eq!(
        jwt_claims(v["access_token"].as_str().unwrap())["access"][0]["actions"],
        serde_json::json!(["pull", "push"])
    );
    let o = post(&format!(
        "grant_type=refresh_token&service=berth-test&client_id=berth-e2e\
         &refresh_token={refresh}&scope=repository%3Ax%3Apull"
    ))
    .ok();
    let v: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o}"));
    assert_eq!(
        jwt_claims(v["access_token"].as_str().unwrap())["sub"],
        "alice"
    );
    let o = post("grant_type=password&service=berth-test&username=alice&password=bad");
    assert!(o.stdout.contains("invalid_grant"), "{o}");
    let log = tok.issuer_log();
    assert!(
        !log.contains("wonder-pw") && !log.contains(&refresh) && !log.contains(t),
        "the issuer's log shows secrets:\n{log}"
    );

    // Short-lived tokens: the registry refuses them right after `expires_in`.
    let short = Registry::token_with_lifetime(
        &b.netns,
        &b.dir,
        &[("alice", "wonder-pw")],
        std::time::Duration::from_secs(2),
    );
    short.skopeo_push(&src, "x:1", &[]).ok();
    let o = short
        .curl(&[&format!(
            "http://{}/token?service=berth-test&scope=repository:x:pull",
            short.issuer_addr().unwrap()
        )])
        .ok();
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["expires_in"], 2);
    let bearer = format!("Authorization: Bearer {}", v["token"].as_str().unwrap());
    let tags_url = short.url("/v2/x/tags/list");
    let code = |r: &Registry| {
        r.curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &bearer,
            &tags_url,
        ])
        .out()
        .to_string()
    };
    assert_eq!(code(&short), "200", "a fresh token works");
    // Refused at most 3 s after it was issued (`exp` is rounded up to a whole second).
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_eq!(code(&short), "401", "an expired token is refused");
}

/// A plain registry in `b`'s namespace, a client, and busybox tagged `<reg>/bb:1`; returns
/// the image ID.
fn tagged_busybox(b: &Berth, r: &Registry) -> String {
    let id = b.busybox_image("bb:1");
    b.cmd(&["tag", "bb:1", &r.image("bb:1")]).ok();
    id
}

#[test]
fn push_rmi_pull_round_trip() {
    let name = "registry-round-trip";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let r = Registry::plain(&b.netns, &b.dir);
    let c = Client::new(&b);
    let id = tagged_busybox(&b, &r);
    let reference = r.image("bb:1");

    let o = c.cmd(&["push", &reference]).ok();
    let pushed = registry::push_results(&o.stdout);
    assert_eq!(pushed.len(), 1, "one `1: digest: ... size: N` line:\n{o}");
    let (tag, digest, size) = pushed[0].clone();
    assert_eq!(tag, "1", "{o}");
    // What the registry holds: that manifest, that size, that config.
    let manifest = r
        .curl(&[
            "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json, \
             application/vnd.docker.distribution.manifest.v2+json",
            &r.url("/v2/bb/manifests/1"),
        ])
        .ok();
    assert_eq!(
        sha256_digest(manifest.stdout.as_bytes()),
        digest,
        "{manifest}"
    );
    assert_eq!(
        manifest.stdout.len() as u64,
        size,
        "push's size: is the manifest's"
    );
    assert_serves(&r, "bb:1", &id);
    assert_eq!(r.tags("bb"), ["1"]);

    // Pull it back into an image store without it.
    b.cmd(&["rmi", &reference, "bb:1"]).ok();
    b.cmd(&["image", "inspect", &reference]).fails();
    let o = c.cmd(&["pull", &reference]).ok();
    let lines = o.lines();
    assert_eq!(pull_digest_of(&o), digest, "{o}");
    assert_eq!(
        registry::pull_status(&o.stdout).as_deref(),
        Some(format!("Downloaded newer image for {reference}").as_str()),
        "{o}"
    );
    assert_eq!(
        lines.last(),
        Some(&reference),
        "the last line names it:\n{o}"
    );
    assert_eq!(
        lines.first().map(String::as_str),
        Some("1: Pulling from bb"),
        "{o}"
    );
    assert_eq!(
        registry::image_id(&b, &reference),
        id,
        "same image ID after the round trip"
    );
    let o = b
        .cmd(&[
            "image",
            "inspect",
            "--format",
            "{{json .RepoDigests}}",
            &reference,
        ])
        .ok();
    assert!(
        o.stdout.contains(&format!("{}/bb@{digest}", r.addr())),
        "RepoDigests names the pulled digest:\n{o}"
    );
    let o = b.cmd(&["run", "--rm", &reference, "echo", "hi"]).ok();
    assert_eq!(o.stdout, "hi\n");

    // Again: up to date.
    let o = c.cmd(&["pull", &reference]).ok();
    assert_eq!(
        registry::pull_status(&o.stdout).as_deref(),
        Some(format!("Image is up to date for {reference}").as_str()),
        "{o}"
    );
    assert_eq!(o.lines().last(), Some(&reference));

    // -q: only the reference.
    b.cmd(&["rmi", &reference]).ok();
    let o = c.cmd(&["pull", "-q", &reference]).ok();
    assert_eq!(o.lines(), std::slice::from_ref(&reference), "pull -q:\n{o}");
    assert_eq!(registry::image_id(&b, &reference), id);

    // By digest.
    let by_digest = format!("{}/bb@{digest}", r.addr());
    b.cmd(&["rmi", &reference]).ok();
    let o = c.cmd(&["pull", &by_digest]).ok();
    assert_eq!(o.lines().last(), Some(&by_digest), "{o}");
    assert_eq!(registry::image_id(&b, &by_digest), id);
    let o = b
        .cmd(&["run", "--rm", &by_digest, "echo", "by digest"])
        .ok();
    assert_eq!(o.stdout, "by digest\n");
}

fn pull_digest_of(o: &Output) -> String {
    registry::pull_digest(&o.stdout).unwrap_or_else(|| panic!("no `Digest:` line:\n{o}"))
}

#[test]
fn pull_of_what_the_registry_lacks_fails_cleanly() {
    let name = "registry-pull-missing";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let r = Registry::plain(&b.netns, &b.dir);
    let c = Client::new(&b);
    tagged_busybox(&b, &r);
    c.cmd(&["push", &r.image("bb:1")]).ok();
    let images_before = b.cmd(&["images", "-q", "--no-trunc"]).ok().lines();

    for missing in [r.image("bb:nope"), r.image("nothere:1")] {
        let o = c
            .cmd(&["pull", &missing])
            .code_is(1)
            .stderr_mentions(&["manifest unknown", "not found"]);
        assert!(
            !o.stdout.contains("Status:") && !o.stderr.contains("panicked"),
            "{o}"
        );
        b.cmd(&["image", "inspect", &missing]).fails();
    }
    // A registry nobody listens on: a clean error, not a hang.
    let o = c.cmd(&["pull", "127.0.0.1:1/bb:1"]).code_is(1);
    assert!(!o.stderr.trim().is_empty(), "{o}");
    // Pushing what is not there locally.
    c.cmd(&["push", &r.image("absent:1")])
        .code_is(1)
        .stderr_mentions(&["does not exist locally", "No such image"]);
    assert_eq!(
        b.cmd(&["images", "-q", "--no-trunc"]).ok().lines(),
        images_before,
        "nothing tagged or stored by the failed pulls"
    );
}

#[test]
fn push_and_pull_all_tags() {
    let name = "registry-all-tags";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let r = Registry::plain(&b.netns, &b.dir);
    let c = Client::new(&b);
    let id1 = b.busybox_image("bb:1");
    let id3 = b.busybox_image_with("bb:3", |root| {
        fs::write(root.join("three"), "3\n").unwrap();
    });
    let repo = r.image("multi");
    for (local, tag) in [("bb:1", "1"), ("bb:1", "2"), ("bb:3", "3")] {
        b.cmd(&["tag", local, &format!("{repo}:{tag}")]).ok();
    }
    let o = c.cmd(&["push", "-a", &repo]).ok();
    let mut tags: Vec<String> = registry::push_results(&o.stdout)
        .into_iter()
        .map(|(t, _, _)| t)
        .collect();
    tags.sort();
    assert_eq!(tags, ["1", "2", "3"], "one digest line per tag:\n{o}");
    assert_eq!(r.tags("multi"), ["1", "2", "3"]);
    // Same image, same manifest.
    let d1 = r.skopeo_inspect("multi:1", &[])["Digest"].clone();
    assert_eq!(r.skopeo_inspect("multi:2", &[])["Digest"], d1);
    assert_serves(&r, "multi:3", &id3);

    for tag in ["1", "2", "3"] {
        b.cmd(&["rmi", &format!("{repo}:{tag}")]).ok();
    }
    let o = c.cmd(&["pull", "-a", &repo]).ok();
    assert!(o.stdout.contains("Status:"), "{o}");
    for (tag, id) in [("1", &id1), ("2", &id1), ("3", &id3)] {
        assert_eq!(
            &registry::image_id(&b, &format!("{repo}:{tag}")),
            id,
            "{repo}:{tag}\n{o}"
        );
    }
    let o = b
        .cmd(&["run", "--rm", &format!("{repo}:3"), "cat", "/three"])
        .ok();
    assert_eq!(o.stdout, "3\n");
}
