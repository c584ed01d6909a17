//! The Docker Engine API's image routes through Debian's docker CLI: `images`, `image
//! inspect`, `history`, `tag`, `rmi`, `image prune`, `save | load`, `build` (the legacy
//! builder), and `login` / `push` / `pull` against a private registry (TLS, htpasswd) in the
//! test's network namespace; raw requests for the status codes.

use std::fs;

use berth_e2e::api::Api;
use berth_e2e::registry::{self, Registry};

#[test]
fn list_inspect_tag_remove_save_load() {
    let Some(api) = Api::new("api-images") else {
        return;
    };
    api.berth.busybox_image("apimg/bb:1");
    let out = api
        .docker(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        .ok();
    assert!(out.out().contains("apimg/bb:1 "), "{out}");
    let id = api
        .docker(&["image", "inspect", "--format", "{{.Id}}", "apimg/bb:1"])
        .ok()
        .out()
        .to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    let hist = api.docker(&["history", "--no-trunc", "apimg/bb:1"]).ok();
    assert!(hist.out().contains(&id), "{hist}");

    // Tag, list by reference, untag.
    api.docker(&["tag", "apimg/bb:1", "localhost:5000/a/b:two"])
        .ok();
    let (status, v) = api.request_json("GET", "/images/localhost:5000/a/b:two/json", None);
    assert_eq!((status, v["Id"].as_str()), (200, Some(id.as_str())), "{v}");
    let out = api
        .docker(&[
            "images",
            "--filter",
            "reference=localhost:5000/a/*",
            "--format",
            "{{.Tag}}",
        ])
        .ok();
    assert_eq!(out.lines(), ["two"], "{out}");
    let out = api.docker(&["rmi", "localhost:5000/a/b:two"]).ok();
    assert!(
        out.out().contains("Untagged: localhost:5000/a/b:two"),
        "{out}"
    );

    let (status, v) = api.request_json("GET", "/images/apimg%2Fbb%3A1/json", None);
    assert_eq!((status, v["Id"].as_str()), (200, Some(id.as_str())), "{v}");
    // Raw requests: 404, 400, 409 for an image a container uses.
    let (status, v) = api.request_json("GET", "/images/no/such:img/json", None);
    assert_eq!(status, 404, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("No such image"),
        "{v}"
    );
    let (status, v) = api.request_json(
        "GET",
        "/images/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D",
        None,
    );
    assert_eq!(status, 400, "{v}");
    let (status, _) = api.request_json("POST", "/images/apimg/bb:1/tag", None);
    assert_eq!(status, 400);
    api.berth
        .cmd(&["create", "--name", "apimg-user", "apimg/bb:1"])
        .ok();
    let (status, v) = api.request_json("DELETE", &format!("/images/{}", &id[7..19]), None);
    assert_eq!(status, 409, "{v}");
    api.berth.cmd(&["rm", "-f", "apimg-user"]).ok();

    let (status, v) = api.request_json("GET", "/images/get?names=no/such:img", None);
    assert_eq!(status, 404, "{v}");
    let (status, v) = api.request_json("GET", "/images/get", None);
    assert_eq!(status, 400, "{v}");
    let (status, v) = api.request_json("POST", "/images/load", Some("not a tar"));
    assert!(status == 400 || status == 500, "{status} {v}");

    // Save to a file, remove, load it back.
    let tar = api.berth.dir.join("saved.tar");
    api.docker(&["save", "-o", tar.to_str().unwrap(), "apimg/bb:1"])
        .ok();
    assert!(fs::metadata(&tar).map(|m| m.len()).unwrap_or(0) > 100_000);
    let out = api.docker(&["rmi", "apimg/bb:1"]).ok();
    assert!(out.out().contains("Deleted: sha256:"), "{out}");
    let out = api.docker(&["load", "-i", tar.to_str().unwrap()]).ok();
    assert!(out.out().contains("Loaded image: apimg/bb:1"), "{out}");
    let again = api
        .docker(&["image", "inspect", "--format", "{{.Id}}", "apimg/bb:1"])
        .ok();
    assert_eq!(again.out(), id);

    // Import a rootfs tar (fromSrc=-) with a change; a source that is no http(s) URL is refused.
    let rootfs = api.berth.busybox_tar("api-import", |_| {});
    let out = api
        .docker(&[
            "import",
            "-c",
            "ENV IMPORTED=1",
            rootfs.to_str().unwrap(),
            "apimg/imported:1",
        ])
        .ok();
    assert!(out.out().starts_with("sha256:"), "{out}");
    let env = api
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            "apimg/imported:1",
        ])
        .ok();
    assert!(env.out().contains("IMPORTED=1"), "{env}");
    api.docker(&["rmi", "apimg/imported:1"]).ok();
    let (status, v) =
        api.request_json("POST", "/images/create?fromSrc=ftp://127.0.0.1/x.tar", None);
    assert_eq!(status, 400, "{v}");
    let (status, v) = api.request_json("POST", "/images/create", None);
    assert_eq!(status, 400, "{v}");

    // Prune: an untagged image goes.
    api.docker(&["tag", "apimg/bb:1", "apimg/other:1"]).ok();
    let out = api.docker(&["image", "prune", "-f"]).ok();
    assert!(out.out().contains("Total reclaimed space"), "{out}");
    let (status, v) = api.request_json(
        "POST",
        "/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D",
        None,
    );
    assert_eq!(status, 200, "{v}");
    assert!(
        v["ImagesDeleted"].as_array().is_some_and(|a| !a.is_empty()),
        "{v}"
    );
    let out = api.docker(&["images", "-q"]).ok();
    assert!(out.out().is_empty(), "{out}");
}

#[test]
fn legacy_build() {
    let Some(api) = Api::new("api-build") else {
        return;
    };
    api.berth.busybox_image("apibuild/base:1");
    let ctx = api.berth.dir.join("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("hello.txt"), "hello from the context\n").unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        "FROM apibuild/base:1\nARG WHO=nobody\nENV GREETING=hi\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo \"$GREETING $WHO\" > /greeting\n",
    )
    .unwrap();
    let out = api
        .docker(&[
            "build",
            "-t",
            "apibuild/app:1",
            "--build-arg",
            "WHO=api",
            "--label",
            "made.by=api-test",
            ctx.to_str().unwrap(),
        ])
        .ok();
    assert!(
        out.out().contains("Step 1/5 : FROM apibuild/base:1"),
        "{out}"
    );
    assert!(out.out().contains("Successfully built "), "{out}");
    assert!(
        out.out().contains("Successfully tagged apibuild/app:1"),
        "{out}"
    );
    let run = api
        .berth
        .cmd(&[
            "run",
            "--rm",
            "apibuild/app:1",
            "cat",
            "/greeting",
            "/hello.txt",
        ])
        .ok();
    assert_eq!(run.lines(), ["hi api", "hello from the context"], "{run}");
    let label = api
        .docker(&[
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"made.by\"}}",
            "apibuild/app:1",
        ])
        .ok();
    assert_eq!(label.out(), "api-test", "{label}");

    // -f: a Dockerfile elsewhere in the context, and one outside it (the CLI adds it).
    fs::create_dir_all(ctx.join("sub")).unwrap();
    fs::write(
        ctx.join("sub/Other.df"),
        "FROM apibuild/base:1\nRUN echo other > /other\n",
    )
    .unwrap();
    let out = api
        .docker(&[
            "build",
            "-f",
            ctx.join("sub/Other.df").to_str().unwrap(),
            "-t",
            "apibuild/other:1",
            ctx.to_str().unwrap(),
        ])
        .ok();
    assert!(
        out.out().contains("Step 2/2 : RUN echo other > /other"),
        "{out}"
    );
    let outside = api.berth.dir.join("Outside.df");
    fs::write(&outside, "FROM apibuild/base:1\nRUN echo outside > /o\n").unwrap();
    let out = api
        .docker(&[
            "build",
            "-f",
            outside.to_str().unwrap(),
            "-t",
            "apibuild/outside:1",
            ctx.to_str().unwrap(),
        ])
        .ok();
    assert!(
        out.out().contains("Successfully tagged apibuild/outside:1"),
        "{out}"
    );
    api.docker(&["search", "busybox"])
        .fails()
        .stderr_mentions(&["search is not supported"]);
    let q = api.docker(&["build", "-q", ctx.to_str().unwrap()]).ok();
    assert!(q.out().starts_with("sha256:"), "{q}");
    fs::write(ctx.join("Dockerfile"), "FROM apibuild/base:1\nRUN exit 3\n").unwrap();
    api.docker(&["build", "-t", "apibuild/bad:1", ctx.to_str().unwrap()])
        .fails()
        .stderr_mentions(&["exit code: 3"]);
}

#[test]
fn login_push_pull_private_registry() {
    let Some(api) = Api::new("api-registry") else {
        return;
    };
    if registry::skip("api-registry") {
        return;
    }
    let reg = Registry::tls_basic(&api.berth.netns, &api.berth.dir, "apiuser", "apipass-1");
    let addr = reg.addr();
    api.berth.busybox_image("apireg/bb:1");
    api.docker(&["login", "-u", "apiuser", "-p", "wrong", &addr])
        .fails()
        .stderr_mentions(&["unauthorized", "incorrect"]);
    let out = api
        .docker(&["login", "-u", "apiuser", "-p", "apipass-1", &addr])
        .ok();
    assert!(out.out().contains("Login Succeeded"), "{out}");
    let name = reg.image("apireg/bb:1");
    api.docker(&["tag", "apireg/bb:1", &name]).ok();
    let out = api.docker(&["push", &name]).ok();
    assert!(out.out().contains("The push refers to repository"), "{out}");
    let pushed = registry::push_results(&out.stdout);
    assert_eq!(pushed.len(), 1, "{out}");
    api.docker(&["rmi", &name]).ok();
    let out = api.docker(&["pull", &name]).ok();
    assert_eq!(
        registry::pull_digest(&out.stdout),
        Some(pushed[0].1.clone()),
        "{out}"
    );
    assert!(
        registry::pull_status(&out.stdout).is_some_and(|s| s.contains("for ")),
        "{out}"
    );
    let out = api
        .docker(&["pull", &reg.image("apireg/missing:1")])
        .fails();
    assert!(out.stderr.contains("Error response from daemon"), "{out}");
    assert!(
        out.stderr.contains("not found") || out.stderr.contains("denied"),
        "{out}"
    );
    // Logged out, the pull is refused (no prompt: dockerd's "pull access denied").
    api.docker(&["logout", &addr]).ok();
    api.docker(&["rmi", &name]).ok();
    api.docker(&["pull", &name])
        .fails()
        .stderr_mentions(&["pull access denied", "unauthorized"]);
    api.docker(&["login", "-u", "apiuser", "-p", "apipass-1", &addr])
        .ok();
    api.docker(&["pull", &name]).ok();
    // A build whose FROM needs the registry's credentials (X-Registry-Config).
    api.docker(&["rmi", &name]).ok();
    let ctx = api.berth.dir.join("regctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {name}\nRUN echo built > /b\n"),
    )
    .unwrap();
    let out = api
        .docker(&["build", "-t", "apireg/built:1", ctx.to_str().unwrap()])
        .ok();
    assert!(
        out.out().contains("Successfully tagged apireg/built:1"),
        "{out}"
    );
    let (status, v) = api.request_json("GET", &format!("/distribution/{name}/json"), None);
    // Without X-Registry-Auth the registry refuses.
    assert!(status == 401 || status == 404, "{status} {v}");
    let auth = registry::base64_encode(
        format!(r#"{{"username":"apiuser","password":"apipass-1","serveraddress":"{addr}"}}"#)
            .as_bytes(),
    );
    let (status, body) = request_with(
        &api,
        "GET",
        &format!("/distribution/{name}/json"),
        &[("X-Registry-Auth", &auth)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(
        v["Descriptor"]["digest"].as_str(),
        Some(pushed[0].1.as_str()),
        "{v}"
    );
    assert!(v["Platforms"][0]["os"].is_string(), "{v}");
    let bad = format!(r#"{{"username":"apiuser","password":"nope","serveraddress":"{addr}"}}"#);
    let (status, body) = request_with(&api, "POST", "/auth", &[], &bad);
    assert_eq!(status, 401, "{body}");
    let (status, body) = request_with(
        &api,
        "POST",
        "/images/create?fromImage=x&tag=1",
        &[("X-Registry-Auth", "%%%")],
        "",
    );
    assert_eq!(status, 400, "{body}");
    // As dockerd: the push stream starts, then says the image is missing.
    let (status, body) = request_with(&api, "POST", "/images/apireg/none:1/push", &[], "");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""errorDetail""#) && body.contains("does not exist locally"),
        "{body}"
    );
    // A pull into an empty store: per-layer progress as dockerd sends it.
    api.docker(&["image", "prune", "-a", "-f"]).ok();
    let out = api.docker(&["pull", &name]).ok();
    for words in [
        "Pulling fs layer",
        "Download complete",
        "Pull complete",
        "Downloaded newer image",
    ] {
        assert!(out.out().contains(words), "{words}: {out}");
    }
}

#[test]
fn commit_container_changes() {
    let Some(api) = Api::new("api-commit") else {
        return;
    };
    api.berth.busybox_image("apicommit/base:1");
    api.berth
        .cmd(&[
            "run",
            "--name",
            "apicommit-c",
            "apicommit/base:1",
            "sh",
            "-c",
            "echo made > /made.txt",
        ])
        .ok();
    let out = api
        .docker(&[
            "commit",
            "-c",
            "ENV FROM_COMMIT=yes",
            "-m",
            "a note",
            "apicommit-c",
            "apicommit/new:1",
        ])
        .ok();
    assert!(out.out().starts_with("sha256:"), "{out}");
    api.berth.cmd(&["rm", "-f", "apicommit-c"]).ok();
    let run = api
        .berth
        .cmd(&[
            "run",
            "--rm",
            "apicommit/new:1",
            "sh",
            "-c",
            "cat /made.txt; echo $FROM_COMMIT",
        ])
        .ok();
    assert_eq!(run.lines(), ["made", "yes"], "{run}");
    let hist = api
        .docker(&["history", "--format", "{{.Comment}}", "apicommit/new:1"])
        .ok();
    assert_eq!(
        hist.lines().first().map(String::as_str),
        Some("a note"),
        "{hist}"
    );
    // A running container: paused while its changes are copied, running again after.
    api.berth
        .cmd(&[
            "run",
            "-d",
            "--name",
            "apicommit-live",
            "apicommit/base:1",
            "sh",
            "-c",
            "echo live > /live.txt; exec sleep 60",
        ])
        .ok();
    let ready = berth_e2e::wait_until(std::time::Duration::from_secs(10), || {
        api.berth
            .cmd(&["exec", "apicommit-live", "cat", "/live.txt"])
            .success()
    });
    assert!(ready, "the container did not write /live.txt");
    api.docker(&["commit", "apicommit-live", "apicommit/live:1"])
        .ok();
    let state = api
        .berth
        .cmd(&["inspect", "--format", "{{.State.Status}}", "apicommit-live"])
        .ok();
    assert_eq!(state.out(), "running", "{state}");
    api.berth.cmd(&["rm", "-f", "apicommit-live"]).ok();
    let run = api
        .berth
        .cmd(&["run", "--rm", "apicommit/live:1", "cat", "/live.txt"])
        .ok();
    assert_eq!(run.out(), "live", "{run}");
    let (status, v) = api.request_json("POST", "/commit?container=no-such-ctr", None);
    assert_eq!(status, 404, "{v}");
    let (status, v) = api.request_json("POST", "/commit", None);
    assert_eq!(status, 400, "{v}");
}

/// One request with extra headers on the service's socket: (status, de-chunked body).
fn request_with(
    api: &Api,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    berth_e2e::api::raw_request_with(&api.socket, method, path, headers, Some(body))
}

#[test]
fn import_from_url() {
    let Some(api) = Api::new("api-import-url") else {
        return;
    };
    if registry::skip("api-import-url") {
        return;
    }
    // A plain registry serves a pushed layer (a gzipped rootfs tar) at a blob URL.
    let reg = Registry::plain(&api.berth.netns, &api.berth.dir);
    api.berth.busybox_image("apiurl/bb:1");
    let name = reg.image("apiurl/bb:1");
    api.docker(&["tag", "apiurl/bb:1", &name]).ok();
    api.docker(&["push", &name]).ok();
    let manifest = reg
        .curl(&[
            "-H",
            "Accept: application/vnd.oci.image.manifest.v1+json",
            &reg.url("/v2/apiurl/bb/manifests/1"),
        ])
        .ok();
    let m: serde_json::Value = serde_json::from_str(&manifest.stdout).unwrap_or_default();
    let digest = m["layers"][0]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(digest.starts_with("sha256:"), "{manifest}");
    let url = reg.url(&format!("/v2/apiurl/bb/blobs/{digest}"));
    let out = api.docker(&["import", &url, "apiurl/fromurl:1"]).ok();
    assert!(out.out().starts_with("sha256:"), "{out}");
    let run = api
        .berth
        .cmd(&["run", "--rm", "apiurl/fromurl:1", "echo", "imported"])
        .ok();
    assert_eq!(run.out(), "imported", "{run}");
    let (status, v) = api.request_json(
        "POST",
        &format!(
            "/images/create?fromSrc={}",
            reg.url("/v2/apiurl/none/blobs/sha256:00")
        ),
        None,
    );
    assert_eq!(status, 500, "{v}");
}
