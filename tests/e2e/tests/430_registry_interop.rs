//! Registry interop: what a private dockerd pushes, berth pulls and runs (same image ID, same
//! digest); what berth pushes, dockerd and podman pull and run and skopeo reads; a
//! multi-platform OCI index (this machine's busybox plus a fake image for another platform)
//! pulled by platform.
//!
//! The private dockerd runs in the test's network namespace (started through
//! `registry::in_netns`: a process is born in its parent thread's namespace), so it reaches
//! the registry on that namespace's loopback, which Docker treats as an insecure (HTTP)
//! registry by default; its clients still talk to it over its unix socket. podman's pulls
//! run there too; podman and docker run containers with `--network none`.

use std::fs;
use std::path::{Path, PathBuf};

use berth_e2e::image_archive::{
    go_arch, image_config, layer_from_dir, sha256_digest, RunConfig, CREATED,
};
use berth_e2e::peers::{Docker, Podman};
use berth_e2e::registry::{self, in_netns, Client, Registry};
use berth_e2e::{json, make_busybox_rootfs, Berth, Value};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A busybox image `tag` with `/marker` saying "interop marker".
fn marked_image(b: &Berth, tag: &str) -> String {
    b.busybox_image_with(tag, |root| {
        fs::write(root.join("marker"), "interop marker\n").unwrap();
    })
}

/// The digest the registry answers for `repo:reference` (`Docker-Content-Digest`).
fn registry_digest(r: &Registry, repo: &str, reference: &str) -> String {
    let o = r
        .curl(&[
            "-I",
            "-H",
            "Accept: application/vnd.oci.image.index.v1+json, \
             application/vnd.docker.distribution.manifest.list.v2+json, \
             application/vnd.oci.image.manifest.v1+json, \
             application/vnd.docker.distribution.manifest.v2+json",
            &r.url(&format!("/v2/{repo}/manifests/{reference}")),
        ])
        .ok();
    o.stdout
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no Docker-Content-Digest:\n{o}"))
}

#[test]
fn berth_pulls_what_docker_pushed() {
    let name = "registry-docker-push";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let r = Registry::plain(&b.netns, &b.dir);
    let Some(d) = in_netns(&b.netns, || Docker::start(name)) else {
        return;
    };
    marked_image(&b, "interop:1");
    let archive = b.dir.join("interop.tar");
    b.cmd(&["save", "-o", s(&archive), "interop:1"]).ok();
    d.cmd(&["load", "-i", s(&archive)]).ok();
    b.cmd(&["rmi", "interop:1"]).ok();

    let reference = r.image("dock/bb:1");
    d.cmd(&["tag", "interop:1", &reference]).ok();
    let o = d.cmd(&["push", &reference]);
    assert!(o.success(), "docker push:\n{o}\n{}", d.log_tail(20));
    let docker_id = d
        .cmd(&["image", "inspect", "--format", "{{.Id}}", &reference])
        .ok()
        .out()
        .to_string();
    let repo_digest = d
        .cmd(&[
            "image",
            "inspect",
            "--format",
            "{{index .RepoDigests 0}}",
            &reference,
        ])
        .ok()
        .out()
        .to_string();

    let c = Client::new(&b);
    let o = c.cmd(&["pull", &reference]).ok();
    assert_eq!(o.lines().last(), Some(&reference), "{o}");
    let digest = registry::pull_digest(&o.stdout).unwrap_or_default();
    assert_eq!(
        repo_digest,
        format!("{}/dock/bb@{digest}", r.addr()),
        "docker's RepoDigest and berth's pulled digest:\n{o}"
    );
    assert_eq!(
        registry::image_id(&b, &reference),
        docker_id,
        "same image ID as docker's"
    );
    let o = b.cmd(&["run", "--rm", &reference, "cat", "/marker"]).ok();
    assert_eq!(o.stdout, "interop marker\n");
}

#[test]
fn docker_podman_and_skopeo_pull_what_berth_pushed() {
    let name = "registry-berth-push";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let r = Registry::plain(&b.netns, &b.dir);
    let Some(d) = in_netns(&b.netns, || Docker::start(name)) else {
        return;
    };
    let Some(p) = Podman::new(name) else {
        return;
    };
    let id = marked_image(&b, "bb:1");
    let reference = r.image("berth/bb:1");
    b.cmd(&["tag", "bb:1", &reference]).ok();
    let c = Client::new(&b);
    let o = c.cmd(&["push", &reference]).ok();
    let pushed = registry::push_results(&o.stdout);
    assert_eq!(pushed.len(), 1, "{o}");
    let digest = pushed[0].1.clone();

    // skopeo reads it: that digest, that config.
    let v = r.skopeo_inspect("berth/bb:1", &[]);
    assert_eq!(v["Digest"], digest.as_str(), "{v}");
    let cfg = r.skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--config",
        "--raw",
        &format!("docker://{reference}"),
    ]);
    let cfg = cfg.ok();
    assert!(
        sha256_digest(cfg.stdout.as_bytes()) == id
            || sha256_digest(cfg.stdout.trim_end().as_bytes()) == id,
        "the pushed config is the image's:\n{cfg}"
    );

    // docker.
    let o = d.cmd(&["pull", &reference]);
    assert!(o.success(), "docker pull:\n{o}\n{}", d.log_tail(20));
    let o = d
        .cmd(&["image", "inspect", "--format", "{{.Id}}", &reference])
        .ok();
    assert_eq!(o.out(), id, "docker's image ID");
    let o = d
        .cmd(&[
            "run",
            "--rm",
            "--network",
            "none",
            &reference,
            "cat",
            "/marker",
        ])
        .ok();
    assert_eq!(o.stdout, "interop marker\n");

    // podman (its pull runs in the namespace).
    let o = in_netns(&b.netns, || {
        p.cmd(&["pull", "--tls-verify=false", &reference])
    });
    assert!(o.success(), "podman pull:\n{o}");
    let o = p
        .cmd(&["image", "inspect", "--format", "{{.Id}}", &reference])
        .ok();
    assert_eq!(
        o.out(),
        id.trim_start_matches("sha256:"),
        "podman's image ID"
    );
    let o = p.run(&reference, &["cat", "/marker"]).ok();
    assert_eq!(o.stdout, "interop marker\n");
}

/// Writes `data` as a blob of the OCI layout `dir`; returns its descriptor fields.
fn blob(dir: &Path, data: &[u8]) -> (String, usize) {
    let d = sha256_digest(data);
    let p = dir
        .join("blobs/sha256")
        .join(d.trim_start_matches("sha256:"));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
    (d, data.len())
}

/// An image manifest blob for `config` and `layer`; returns (digest, size).
fn manifest(dir: &Path, config: &[u8], layer: &[u8]) -> (String, usize) {
    let (cd, cs) = blob(dir, config);
    let (ld, ls) = blob(dir, layer);
    let m = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}],
    });
    blob(dir, m.to_string().as_bytes())
}

/// The platform that is not this machine's: (architecture, variant, `os/arch[/variant]`).
fn other_platform() -> (&'static str, Option<&'static str>, &'static str) {
    if go_arch() == "arm64" {
        ("amd64", None, "linux/amd64")
    } else {
        ("arm64", Some("v8"), "linux/arm64/v8")
    }
}

/// An OCI layout whose `index.json` names (ref `1`) an image index of two images: busybox for
/// this machine, and for [`other_platform`] an image whose one layer holds `/arch`. Returns
/// (layout dir, host config digest, other config digest).
fn multi_platform_layout(b: &Berth) -> (PathBuf, String, String) {
    let dir = b.dir.join("multi-layout");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();

    let host_root = b.dir.join("multi-host-rootfs");
    make_busybox_rootfs(&host_root);
    let host_layer = layer_from_dir(&host_root).unwrap();
    let host_config = image_config(std::slice::from_ref(&host_layer), &RunConfig::default())
        .to_string()
        .into_bytes();
    let (hm, hs) = manifest(&dir, &host_config, &host_layer);

    let (arch, variant, _) = other_platform();
    let other_root = b.dir.join("multi-other-rootfs");
    fs::create_dir_all(&other_root).unwrap();
    fs::write(other_root.join("arch"), format!("{arch}\n")).unwrap();
    let other_layer = layer_from_dir(&other_root).unwrap();
    let mut other_config = json!({
        "architecture": arch,
        "os": "linux",
        "created": CREATED,
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/arch"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&other_layer)]},
        "history": [{"created": CREATED, "created_by": "berth-e2e fake platform"}],
    });
    let mut other_platform = json!({"architecture": arch, "os": "linux"});
    if let Some(v) = variant {
        other_config["variant"] = json!(v);
        other_platform["variant"] = json!(v);
    }
    let other_config = other_config.to_string().into_bytes();
    let (om, os) = manifest(&dir, &other_config, &other_layer);

    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": hm, "size": hs,
             "platform": {"architecture": go_arch(), "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": om, "size": os,
             "platform": other_platform},
        ],
    });
    let (id, is) = blob(&dir, index.to_string().as_bytes());
    fs::write(
        dir.join("index.json"),
        json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": id, "size": is,
                "annotations": {"org.opencontainers.image.ref.name": "1"},
            }],
        })
        .to_string(),
    )
    .unwrap();
    (
        dir,
        sha256_digest(&host_config),
        sha256_digest(&other_config),
    )
}

#[test]
fn multi_platform_index_pulls_by_platform() {
    let name = "registry-multi-platform";
    let Some(b) = registry::setup(name) else {
        return;
    };
    let r = Registry::plain(&b.netns, &b.dir);
    let (layout, host_id, other_id) = multi_platform_layout(&b);
    r.skopeo_push(
        &format!("oci:{}:1", layout.display()),
        "multi:1",
        &["--all"],
    )
    .ok();
    let index_digest = registry_digest(&r, "multi", "1");
    let v: Value = serde_json::from_str(
        &r.curl(&[
            "-H",
            "Accept: application/vnd.oci.image.index.v1+json",
            &r.url("/v2/multi/manifests/1"),
        ])
        .ok()
        .stdout,
    )
    .unwrap();
    assert_eq!(v["manifests"].as_array().map(Vec::len), Some(2), "{v}");

    let c = Client::new(&b);
    let reference = r.image("multi:1");
    let inspect = |what: &str| {
        b.cmd(&["image", "inspect", "--format", what, &reference])
            .ok()
            .out()
            .to_string()
    };

    // This machine's image by default.
    let o = c.cmd(&["pull", &reference]).ok();
    assert_eq!(
        registry::pull_digest(&o.stdout).as_deref(),
        Some(index_digest.as_str()),
        "pull's Digest: is the index's:\n{o}"
    );
    assert_eq!(registry::image_id(&b, &reference), host_id, "{o}");
    assert_eq!(inspect("{{.Architecture}}"), go_arch());
    let o = b.cmd(&["run", "--rm", &reference, "echo", "native"]).ok();
    assert_eq!(o.stdout, "native\n");

    // The other platform when asked.
    let (arch, _, platform) = other_platform();
    let o = c.cmd(&["pull", "--platform", platform, &reference]).ok();
    assert_eq!(registry::image_id(&b, &reference), other_id, "{o}");
    assert_eq!(inspect("{{.Architecture}}"), arch);
    assert_eq!(inspect("{{.Os}}"), "linux");
    let o = b.cmd(&["run", "--rm", &reference]).fails();
    let named = format!("linux/{arch}");
    assert!(
        o.stderr.contains(&named),
        "running a {platform} image here fails naming {named}:\n{o}"
    );

    // A platform the index lacks.
    c.cmd(&["pull", "--platform", "linux/s390x", &r.image("multi:1")])
        .code_is(1)
        .stderr_mentions(&["no matching manifest", "linux/s390x"]);
    assert_eq!(
        registry::image_id(&b, &reference),
        other_id,
        "the failed pull changed nothing"
    );
}
