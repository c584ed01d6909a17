//! Interop of `berth build`: an image berth builds, saved and loaded into docker and podman,
//! runs there with the same output and the same config; `docker build` (docker 20.10's
//! legacy builder) and `berth build` of the same Dockerfile give the same Env, Cmd,
//! Entrypoint, WorkingDir, User and ExposedPorts.
//!
//! Docker is a private dockerd each test starts, podman runs on a private vfs store (see
//! `berth_e2e::peers`): nothing here touches the host's docker or podman state.

use std::fs;
use std::path::{Path, PathBuf};

use berth_e2e::peers::{self, Docker, Podman};
use berth_e2e::{Berth, Value};

/// Config fields compared across engines, as one JSON line.
const CONFIG: &str = "{{json .Config.Env}}|{{json .Config.Cmd}}|{{json .Config.Entrypoint}}|{{.Config.WorkingDir}}|{{.Config.User}}|{{json .Config.ExposedPorts}}";

/// A multi-stage Dockerfile the legacy builder also understands (no heredocs, no --mount).
const DOCKERFILE: &str = r#"FROM base:1 AS build
WORKDIR /src
COPY greeting.txt .
RUN tr a-z A-Z < greeting.txt > /shout.txt
FROM base:1
ENV APP_MODE=production GREETING="hello there"
WORKDIR app
COPY --from=build /shout.txt ./shout.txt
EXPOSE 8080 9090/udp
USER 1000:1000
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat shout.txt; echo $APP_MODE from $(pwd) as $(id -u)"]
"#;

const EXPECTED: &str = "HELLO INTEROP\nproduction from /app as 1000\n";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The build context, and the busybox rootfs tarball every engine imports as `base:1`.
fn setup(b: &Berth) -> (PathBuf, PathBuf) {
    let ctx = b.dir.join("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("Dockerfile"), DOCKERFILE).unwrap();
    fs::write(ctx.join("greeting.txt"), "hello interop\n").unwrap();
    let tar = b.busybox_tar("base", |_| {});
    b.cmd(&["import", s(&tar), "base:1"]).ok();
    (ctx, tar)
}

/// Parses the [`CONFIG`] line into comparable JSON values.
fn config(line: &str) -> Vec<Value> {
    line.split('|')
        .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_string())))
        .collect()
}

fn berth_built(b: &Berth, ctx: &Path) -> (String, Vec<Value>) {
    let o = b.cmd(&["build", "-q", "-t", "built:1", s(ctx)]).ok();
    let id = o.out().to_string();
    let r = b.cmd(&["run", "--rm", "built:1"]).ok();
    assert_eq!(r.stdout, EXPECTED, "berth runs what it built:\n{r}");
    let c = b
        .cmd(&["image", "inspect", "--format", CONFIG, "built:1"])
        .ok();
    (id, config(c.out()))
}

#[test]
fn built_image_runs_the_same_in_docker() {
    let name = "build-to-docker";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(d) = Docker::start(name) else {
        return;
    };
    let (ctx, tar) = setup(&b);
    let (id, berth_cfg) = berth_built(&b, &ctx);
    let archive = b.dir.join("built.tar");
    b.cmd(&["save", "-o", s(&archive), "built:1"]).ok();
    d.cmd(&["load", "-i", s(&archive)]).ok();
    let o = d
        .cmd(&["image", "inspect", "--format", "{{.Id}}", "built:1"])
        .ok();
    assert_eq!(o.out(), id, "docker keeps berth's image ID");
    let o = d
        .cmd(&["image", "inspect", "--format", CONFIG, "built:1"])
        .ok();
    assert_eq!(
        config(o.out()),
        berth_cfg,
        "docker sees berth's config:\n{o}"
    );
    let o = d.cmd(&["run", "--rm", "--network", "none", "built:1"]).ok();
    assert_eq!(o.stdout, EXPECTED, "docker runs berth's build:\n{o}");

    // docker build of the same Dockerfile on the same base: the same config.
    d.cmd(&["import", s(&tar), "base:1"]).ok();
    d.cmd(&[
        "build",
        "-q",
        "--network",
        "none",
        "-t",
        "dbuilt:1",
        s(&ctx),
    ])
    .ok();
    let o = d
        .cmd(&["image", "inspect", "--format", CONFIG, "dbuilt:1"])
        .ok();
    assert_eq!(
        config(o.out()),
        berth_cfg,
        "docker build and berth build disagree on the config:\n{o}"
    );
    let o = d
        .cmd(&["run", "--rm", "--network", "none", "dbuilt:1"])
        .ok();
    assert_eq!(o.stdout, EXPECTED, "docker's own build:\n{o}");
}

#[test]
fn built_image_runs_the_same_in_podman() {
    let name = "build-to-podman";
    let Some(b) = Berth::new(name) else {
        return;
    };
    if peers::skip_unless_installed(name, &Podman::TOOLS) {
        return;
    }
    let (ctx, _) = setup(&b);
    let (id, berth_cfg) = berth_built(&b, &ctx);
    for format in ["oci-archive", "docker-archive"] {
        let p = Podman::new(name).unwrap();
        let archive = b.dir.join(format!("built-{format}.tar"));
        b.cmd(&["save", "--format", format, "-o", s(&archive), "built:1"])
            .ok();
        p.cmd(&["load", "-i", s(&archive)]).ok();
        let loaded = "localhost/built:1";
        let loaded = if p.cmd(&["image", "exists", loaded]).success() {
            loaded
        } else {
            "docker.io/library/built:1"
        };
        let o = p
            .cmd(&["image", "inspect", "--format", "{{.Id}}", loaded])
            .ok();
        assert_eq!(format!("sha256:{}", o.out()), id, "podman keeps the ID");
        let o = p
            .cmd(&["image", "inspect", "--format", CONFIG, loaded])
            .ok();
        assert_eq!(
            config(o.out()),
            berth_cfg,
            "podman sees berth's config:\n{o}"
        );
        let o = p.run(loaded, &[]).ok();
        assert_eq!(
            o.stdout, EXPECTED,
            "podman runs berth's build ({format}):\n{o}"
        );
    }
}
