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

/// One `.dockerignore` case of issue 13: the context's files, the ignore file, COPY sources
/// each copied to `/o/<n>` (n: the source's index) in one Dockerfile, and the sources that
/// must not be found.
struct IgnoreCase {
    name: &'static str,
    ignore: &'static str,
    files: &'static [&'static str],
    sources: &'static [&'static str],
    missing: &'static [&'static str],
}

const IGNORE_CASES: [IgnoreCase; 3] = [
    IgnoreCase {
        name: "junk",
        ignore: "junk\n!junk/keep.txt\n",
        files: &["a.txt", "junk/keep.txt", "junk/drop.txt", "junk/sub/x.txt"],
        sources: &["junk/", "junk", ".", "jun*", "junk/keep.txt"],
        missing: &["junk/drop.txt", "junk/sub"],
    },
    IgnoreCase {
        name: "logs",
        ignore: "**/*.log\n!important.log\n",
        files: &[
            "a.log",
            "important.log",
            "keep.txt",
            "sub/important.log",
            "sub/b.log",
            "sub/deep/c.log",
            "sub/x.txt",
        ],
        sources: &[".", "sub", "*.log"],
        missing: &["sub/important.log"],
    },
    IgnoreCase {
        name: "dirstar",
        ignore: "dir/*\n!dir/sub/\n",
        files: &[
            "top.txt",
            "dir/f.txt",
            "dir/sub/a.txt",
            "dir/sub/in/b.txt",
            "dir/other/c.txt",
        ],
        sources: &[".", "dir", "dir/sub", "dir/*"],
        missing: &["dir/other"],
    },
];

/// What the built image holds under `/o`: one line per path, with its mode and type.
const LIST_O: &str =
    r#"CMD ["sh", "-c", "find /o | sort | while read f; do stat -c '%n %a %F' \"$f\"; done"]"#;

/// Issue 13: `.dockerignore` exceptions below excluded directories give the same files,
/// modes and "not found" errors in berth as in docker's legacy builder, and the same cache
/// behaviour (excluded files changing: cached; the re-included one changing: rebuilt).
#[test]
fn dockerignore_exceptions_copy_what_docker_copies() {
    let name = "build-ignore-docker";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(d) = Docker::start(name) else {
        return;
    };
    let tar = b.busybox_tar("base", |_| {});
    b.cmd(&["import", s(&tar), "base:1"]).ok();
    d.cmd(&["import", s(&tar), "base:1"]).ok();
    for case in &IGNORE_CASES {
        let ctx = b.dir.join("ign").join(case.name);
        for f in case.files {
            let p = ctx.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, f).unwrap();
        }
        fs::write(ctx.join(".dockerignore"), case.ignore).unwrap();
        let mut df = String::from("FROM base:1\n");
        for (i, src) in case.sources.iter().enumerate() {
            df.push_str(&format!("COPY {src} /o/{i}/\n"));
        }
        df.push_str(LIST_O);
        df.push('\n');
        fs::write(ctx.join("Dockerfile"), &df).unwrap();
        let tag = format!("ign-{}:1", case.name);
        b.cmd(&["build", "-q", "-t", &tag, s(&ctx)]).ok();
        d.cmd(&["build", "-q", "-t", &tag, s(&ctx)]).ok();
        let ours = b.cmd(&["run", "--rm", &tag]).ok();
        let theirs = d.cmd(&["run", "--rm", "--network", "none", &tag]).ok();
        assert!(
            ours.stdout.lines().count() > case.sources.len(),
            "{}: too little copied:\n{ours}",
            case.name
        );
        assert_eq!(
            ours.stdout, theirs.stdout,
            "{}: berth and docker copied different things",
            case.name
        );
        for src in case.missing {
            let df = format!("FROM base:1\nCOPY {src} /o/\n");
            fs::write(ctx.join("Dockerfile"), df).unwrap();
            for o in [
                b.cmd(&["build", "-q", s(&ctx)]),
                d.cmd(&["build", "-q", s(&ctx)]),
            ] {
                o.fails()
                    .stderr_mentions(&["not found in build context or excluded by .dockerignore"]);
            }
        }
    }

    // The cache: both engines reuse every COPY when only excluded files change, and redo
    // them when the re-included file does.
    let ctx = b.dir.join("ign").join("junk");
    let mut df = String::from("FROM base:1\n");
    for (i, src) in IGNORE_CASES[0].sources.iter().enumerate() {
        df.push_str(&format!("COPY {src} /o/{i}/\n"));
    }
    fs::write(ctx.join("Dockerfile"), &df).unwrap();
    let docker_id = || d.cmd(&["build", "-q", s(&ctx)]).ok().out().to_string();
    let berth_steps = || {
        let o = b.cmd(&["build", "--progress=plain", s(&ctx)]).ok();
        let cached = o.stderr.lines().filter(|l| l.ends_with(" CACHED")).count();
        (cached, o)
    };
    let (id, _) = (docker_id(), berth_steps());
    fs::write(ctx.join("junk/drop.txt"), "changed").unwrap();
    fs::write(ctx.join("junk/sub/x.txt"), "changed").unwrap();
    assert_eq!(docker_id(), id, "docker reuses its cache");
    let (cached, o) = berth_steps();
    assert_eq!(
        cached,
        IGNORE_CASES[0].sources.len(),
        "berth reuses its cache:\n{o}"
    );
    fs::write(ctx.join("junk/keep.txt"), "changed").unwrap();
    assert_ne!(docker_id(), id, "docker rebuilds");
    let (cached, o) = berth_steps();
    assert_eq!(cached, 0, "berth rebuilds:\n{o}");
}
