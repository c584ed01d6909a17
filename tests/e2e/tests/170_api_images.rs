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

    // Import a rootfs tar (fromSrc=-) with a change; an image from a URL is refused.
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
    let (status, v) = api.request_json(
        "POST",
        "/images/create?fromSrc=http://127.0.0.1:1/x.tar",
        None,
    );
    assert_eq!(status, 501, "{v}");
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
        "FROM apibuild/base:1\nENV GREETING=hi\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo \"$GREETING\" > /greeting\n",
    )
    .unwrap();
    let out = api
        .docker(&["build", "-t", "apibuild/app:1", ctx.to_str().unwrap()])
        .ok();
    assert!(
        out.out().contains("Step 1/4 : FROM apibuild/base:1"),
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
    assert_eq!(run.lines(), ["hi", "hello from the context"], "{run}");

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
    let (status, v) = api.request_json("POST", "/commit?container=no-such-ctr", None);
    assert_eq!(status, 404, "{v}");
    let (status, v) = api.request_json("POST", "/commit", None);
    assert_eq!(status, 400, "{v}");
}
