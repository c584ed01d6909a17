//! `berth build`: real Dockerfiles built on an imported busybox base and run: multi-stage
//! with COPY --from, every instruction's effect on the image, the cache (hit, partial,
//! miss explanations), .dockerignore, build args and targets, failures, reproducibility.

use std::fs;
use std::path::{Path, PathBuf};

use berth_e2e::cmd::Output;
use berth_e2e::{cached_and_run, Berth};

/// A context dir `name` with `files` (path, content); returns its path.
fn context(b: &Berth, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = b.dir.join("ctx").join(name);
    fs::create_dir_all(&dir).unwrap();
    for (p, text) in files {
        let path = dir.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    dir
}

fn build(b: &Berth, ctx: &Path, args: &[&str]) -> Output {
    let mut all = vec!["build", "--progress=plain"];
    all.extend_from_slice(args);
    let c = ctx.display().to_string();
    all.push(&c);
    b.cmd(&all)
}

fn inspect(b: &Berth, image: &str, template: &str) -> String {
    b.cmd(&["image", "inspect", "--format", template, image])
        .ok()
        .out()
        .to_string()
}

#[test]
fn multi_stage_build_runs_with_copy_from() {
    let Some(b) = Berth::new("build-multistage") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "ms",
        &[
            (
                "Dockerfile",
                "FROM bb:1 AS builder\nWORKDIR /src\nCOPY hello.txt .\nRUN tr a-z A-Z < hello.txt > out.txt\n\
                 FROM bb:1 AS unused\nRUN exit 7\n\
                 FROM bb:1\nCOPY --from=builder /src/out.txt /app/out.txt\nCMD [\"cat\", \"/app/out.txt\"]\n",
            ),
            ("hello.txt", "hello from a stage\n"),
        ],
    );
    let o = build(&b, &ctx, &["-t", "ms:1"]).ok();
    assert!(!o.stderr.contains("exit 7"), "the unused stage ran:\n{o}");
    let run = b.cmd(&["run", "--rm", "ms:1"]).ok();
    assert_eq!(run.out(), "HELLO FROM A STAGE");
    // The final image has the base layer plus one COPY layer, nothing from the builder.
    assert_eq!(inspect(&b, "ms:1", "{{len .RootFS.Layers}}"), "2");
    // Removing the image (and collecting garbage) keeps the build cache, builder stage
    // included; `builder prune` drops it.
    b.cmd(&["rmi", "ms:1"]).ok();
    let again = build(&b, &ctx, &["-t", "ms:1"]).ok();
    let (cached, run) = cached_and_run(&again);
    assert_eq!((cached.len(), run.len()), (3, 0), "after rmi:\n{again}");
    assert!(b.cmd(&["system", "df"]).ok().stdout.contains("Build Cache"));
    b.cmd(&["builder", "prune", "-af"]).ok();
    let cold = build(&b, &ctx, &["-t", "ms:1"]).ok();
    assert_eq!(
        cached_and_run(&cold).0.len(),
        0,
        "after builder prune:\n{cold}"
    );
    assert_eq!(
        b.cmd(&["run", "--rm", "ms:1"]).ok().out(),
        "HELLO FROM A STAGE"
    );
}

#[test]
fn every_instruction_shapes_the_image() {
    let Some(b) = Berth::new("build-instructions") else {
        return;
    };
    b.busybox_image("bb:1");
    // A tarball for ADD's auto-extraction.
    let ctx = context(&b, "all", &[("plain.txt", "plain\n")]);
    {
        let mut t = tar::Builder::new(fs::File::create(ctx.join("pack.tar")).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_size(6);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, "inner/file.txt", &b"inside"[..])
            .unwrap();
        t.finish().unwrap();
    }
    fs::write(
        ctx.join("Dockerfile"),
        r#"# syntax=docker/dockerfile:1
ARG BASE=bb:1
FROM ${BASE}
MAINTAINER someone@example.com
ARG GREETING=hi
ENV APP_HOME=/srv/app GREETING_COPY=${GREETING}
LABEL org.example.name="demo app" version=1
EXPOSE 8080 53/udp
WORKDIR $APP_HOME
RUN echo 'appuser:x:1234:1234::/home/appuser:/bin/sh' >> /etc/passwd && echo 'appuser:x:1234:' >> /etc/group && echo built > built.txt
COPY --chown=appuser:appuser --chmod=640 plain.txt owned.txt
ADD pack.tar /srv/extracted/
COPY <<EOF /srv/app/heredoc.txt
greeting=${GREETING}
EOF
RUN <<EOF
echo "script ran" > /srv/app/script.txt
EOF
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "shell is $0" > /srv/app/shell.txt
VOLUME /data
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD true
ONBUILD RUN echo child
USER appuser
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["id -u; pwd; cat owned.txt /srv/extracted/inner/file.txt; echo; cat heredoc.txt script.txt; stat -c %a owned.txt"]
"#,
    )
    .unwrap();
    build(&b, &ctx, &["-t", "all:1", "--build-arg", "GREETING=hello"]).ok();
    let run = b.cmd(&["run", "--rm", "all:1"]).ok();
    assert_eq!(
        run.lines(),
        [
            "1234",
            "/srv/app",
            "plain",
            "inside",
            "greeting=hello",
            "script ran",
            "640"
        ]
    );
    let cfg = |t: &str| inspect(&b, "all:1", t);
    assert!(cfg("{{json .Config.Env}}").contains("\"GREETING_COPY=hello\""));
    assert!(cfg("{{json .Config.Env}}").contains("PATH="));
    assert_eq!(cfg("{{.Config.WorkingDir}}"), "/srv/app");
    assert_eq!(cfg("{{.Config.User}}"), "appuser");
    assert_eq!(
        cfg("{{json .Config.ExposedPorts}}"),
        r#"{"53/udp":{},"8080/tcp":{}}"#
    );
    assert_eq!(cfg("{{json .Config.Volumes}}"), r#"{"/data":{}}"#);
    assert_eq!(cfg("{{.Config.StopSignal}}"), "SIGQUIT");
    assert_eq!(cfg("{{json .Config.Entrypoint}}"), r#"["/bin/sh","-c"]"#);
    assert_eq!(
        cfg("{{index .Config.Labels \"org.example.name\"}}"),
        "demo app"
    );
    assert_eq!(cfg("{{json .Config.OnBuild}}"), r#"["RUN echo child"]"#);
    assert_eq!(cfg("{{json .Config.Shell}}"), r#"["/bin/sh","-e","-c"]"#);
    assert!(cfg("{{json .Config.Healthcheck}}").contains("5000000000"));
    assert_eq!(cfg("{{.Author}}"), "someone@example.com");
    let shell = b
        .cmd(&[
            "run",
            "--rm",
            "--entrypoint",
            "cat",
            "all:1",
            "/srv/app/shell.txt",
        ])
        .ok();
    assert_eq!(shell.out(), "shell is /bin/sh");
    // An image built FROM it runs its ONBUILD trigger and does not inherit it.
    let child = context(&b, "child", &[("Dockerfile", "FROM all:1\n")]);
    let o = build(&b, &child, &["-t", "child:1"]).ok();
    assert!(o.stderr.contains("echo child"), "ONBUILD did not run:\n{o}");
    assert_eq!(inspect(&b, "child:1", "{{json .Config.OnBuild}}"), "null");
}

#[test]
fn cache_hits_misses_and_explains() {
    let Some(b) = Berth::new("build-cache") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "cache",
        &[
            (
                "Dockerfile",
                "FROM bb:1\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCOPY b.txt /b.txt\nRUN cat /b.txt\n",
            ),
            ("a.txt", "a1\n"),
            ("b.txt", "b1\n"),
        ],
    );
    let first = build(&b, &ctx, &["-t", "c:1"]).ok();
    let (cached, run) = cached_and_run(&first);
    assert!(cached.is_empty(), "cold build hit the cache:\n{first}");
    assert_eq!(run.len(), 5, "{first}");
    let id1 = inspect(&b, "c:1", "{{.Id}}");

    let again = build(&b, &ctx, &["-t", "c:1"]).ok();
    let (cached, run) = cached_and_run(&again);
    assert_eq!((cached.len(), run.len()), (5, 0), "no-op rebuild:\n{again}");
    assert_eq!(inspect(&b, "c:1", "{{.Id}}"), id1);

    // Changing b.txt reruns from the step that reads it, not before.
    fs::write(ctx.join("b.txt"), "b2\n").unwrap();
    let partial = build(&b, &ctx, &["-t", "c:2"]).ok();
    let (cached, run) = cached_and_run(&partial);
    assert_eq!(
        (cached.len(), run.len()),
        (3, 2),
        "partial rebuild:\n{partial}"
    );
    assert!(run[0].contains("COPY b.txt"), "{run:?}");
    assert!(
        partial.stderr.contains("cache miss: file b.txt changed"),
        "no explanation:\n{partial}"
    );
    // An mtime-only change (touch) does not miss.
    let f = fs::File::options()
        .write(true)
        .open(ctx.join("a.txt"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    let touched = build(&b, &ctx, &["-t", "c:2"]).ok();
    assert_eq!(
        cached_and_run(&touched).1.len(),
        0,
        "touch missed:\n{touched}"
    );
    // --no-cache runs everything and gives the same image.
    let nc = build(&b, &ctx, &["-t", "c:3", "--no-cache"]).ok();
    assert_eq!(cached_and_run(&nc).1.len(), 5);
    assert_eq!(inspect(&b, "c:3", "{{.Id}}"), inspect(&b, "c:2", "{{.Id}}"));
}

#[test]
fn dockerignore_filters_the_context() {
    let Some(b) = Berth::new("build-ignore") else {
        return;
    };
    b.busybox_image("bb:1");
    let find = "FROM bb:1\nCOPY . /ctx\nCMD [\"find\", \"/ctx\", \"-type\", \"f\"]\n";
    let ctx = context(
        &b,
        "ign",
        &[
            ("Dockerfile", find),
            (".dockerignore", "**/*.log\nsecret\n!keep.log\n"),
            ("app.txt", "x"),
            ("logs/a.log", "x"),
            ("keep.log", "x"),
            ("secret/key", "x"),
            ("other.dockerignore", "app.txt\n"),
            ("other", find),
        ],
    );
    build(&b, &ctx, &["-t", "ign:1"]).ok();
    let files = b.cmd(&["run", "--rm", "ign:1"]).ok().lines();
    assert!(files.contains(&"/ctx/app.txt".to_string()), "{files:?}");
    assert!(files.contains(&"/ctx/keep.log".to_string()), "{files:?}");
    assert!(
        !files
            .iter()
            .any(|f| f.contains("a.log") || f.contains("secret")),
        "{files:?}"
    );
    // <Dockerfile>.dockerignore wins over .dockerignore.
    let df = ctx.join("other").display().to_string();
    build(&b, &ctx, &["-t", "ign:2", "-f", &df]).ok();
    let files = b.cmd(&["run", "--rm", "ign:2"]).ok().lines();
    assert!(!files.contains(&"/ctx/app.txt".to_string()), "{files:?}");
    assert!(files.iter().any(|f| f.contains("a.log")), "{files:?}");
}

/// Issue 13: an excluded dir with a file below it re-included (`junk` then `!junk/keep.txt`)
/// is in the context as that file's parent, holding only it, for COPY of the dir (with or
/// without a trailing slash), COPY of the whole context and a bind mount of it; what stays
/// excluded never changes a cache key, the re-included file does.
#[test]
fn dockerignore_reincludes_below_an_excluded_dir() {
    let Some(b) = Berth::new("build-ignore-reinclude") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "reinc",
        &[
            (
                "Dockerfile",
                "FROM bb:1\nCOPY junk/ /slash/\nCOPY junk /plain\nCOPY . /ctx\n\
                 RUN --mount=type=bind,source=junk,target=/j ls -A /j > /mounted\n\
                 CMD [\"sh\", \"-c\", \"find /slash /plain /ctx | sort; cat /mounted\"]\n",
            ),
            (".dockerignore", "junk\n!junk/keep.txt\n"),
            ("a.txt", "a"),
            ("junk/keep.txt", "keep"),
            ("junk/drop.txt", "drop"),
            ("junk/sub/x.txt", "x"),
        ],
    );
    let first = build(&b, &ctx, &["-t", "reinc:1"]).ok();
    let listing = b.cmd(&["run", "--rm", "reinc:1"]).ok().lines();
    assert_eq!(
        listing,
        [
            "/ctx",
            "/ctx/.dockerignore",
            "/ctx/Dockerfile",
            "/ctx/a.txt",
            "/ctx/junk",
            "/ctx/junk/keep.txt",
            "/plain",
            "/plain/keep.txt",
            "/slash",
            "/slash/keep.txt",
            "keep.txt",
        ],
        "{first}"
    );
    // Excluded files changing, appearing: everything is cached.
    fs::write(ctx.join("junk/drop.txt"), "changed").unwrap();
    fs::write(ctx.join("junk/sub/x.txt"), "changed").unwrap();
    fs::write(ctx.join("junk/new.txt"), "new").unwrap();
    let again = build(&b, &ctx, &["-t", "reinc:1"]).ok();
    let (cached, run) = cached_and_run(&again);
    assert_eq!((cached.len(), run.len()), (4, 0), "{again}");
    // The re-included file changing: every step reading it reruns.
    fs::write(ctx.join("junk/keep.txt"), "changed").unwrap();
    let changed = build(&b, &ctx, &["-t", "reinc:1"]).ok();
    let (cached, run) = cached_and_run(&changed);
    assert_eq!((cached.len(), run.len()), (0, 4), "{changed}");
    assert!(
        changed.stderr.contains("file junk/keep.txt changed"),
        "{changed}"
    );
    // What is still excluded is not found.
    fs::write(ctx.join("Dockerfile"), "FROM bb:1\nCOPY junk/drop.txt /\n").unwrap();
    build(&b, &ctx, &[]).fails().stderr_mentions(&[
        "file not found in build context or excluded by .dockerignore: junk/drop.txt",
    ]);
}

#[test]
fn build_args_and_targets() {
    let Some(b) = Berth::new("build-args") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "args",
        &[(
            "Dockerfile",
            "ARG VERSION=1.0\nFROM bb:1 AS base\nARG VERSION\nARG FLAVOR=plain\nRUN echo \"$VERSION-$FLAVOR\" > /v\n\
             FROM base AS test\nRUN echo tested > /t\n\
             FROM base\nCMD [\"cat\", \"/v\"]\n",
        )],
    );
    build(&b, &ctx, &["-t", "a:1"]).ok();
    assert_eq!(b.cmd(&["run", "--rm", "a:1"]).ok().out(), "1.0-plain");
    let o = build(
        &b,
        &ctx,
        &[
            "-t",
            "a:2",
            "--build-arg",
            "VERSION=2.0",
            "--build-arg",
            "FLAVOR=spicy",
            "--build-arg",
            "UNUSED=1",
        ],
    )
    .ok();
    assert_eq!(b.cmd(&["run", "--rm", "a:2"]).ok().out(), "2.0-spicy");
    assert!(o.stderr.contains("UNUSED"), "no unused-arg warning:\n{o}");
    assert!(
        o.stderr.contains("cache miss: ARG VERSION changed"),
        "the miss does not name the ARG:\n{o}"
    );
    assert!(
        !o.stderr.contains("echo tested"),
        "the test stage ran for the default target:\n{o}"
    );
    build(&b, &ctx, &["-t", "a:test", "--target", "test"]).ok();
    assert_eq!(
        b.cmd(&["run", "--rm", "a:test", "cat", "/t"]).ok().out(),
        "tested"
    );
    build(&b, &ctx, &["--target", "nope"])
        .code_is(1)
        .stderr_mentions(&["target nope"]);
}

#[test]
fn failing_run_reports_and_tags_nothing() {
    let Some(b) = Berth::new("build-fail") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "fail",
        &[(
            "Dockerfile",
            "FROM bb:1\nRUN echo before\nRUN echo about to fail; exit 3\n",
        )],
    );
    let o = build(&b, &ctx, &["-t", "bad:1"]).code_is(1);
    assert!(o.stderr.contains("exit code: 3"), "{o}");
    assert!(o.stderr.contains("echo about to fail; exit 3"), "{o}");
    b.cmd(&["image", "inspect", "bad:1"]).fails();
}

#[test]
fn same_digest_from_different_directories() {
    let Some(b) = Berth::new("build-repro") else {
        return;
    };
    b.busybox_image("bb:1");
    let files = [
        (
            "Dockerfile",
            "FROM bb:1\nCOPY src /src\nRUN cat /src/a > /b\n",
        ),
        ("src/a", "same content\n"),
    ];
    let one = context(&b, "one", &files);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let two = context(&b, "two/deeper", &files);
    build(&b, &one, &["-t", "r:1"]).ok();
    build(&b, &two, &["-t", "r:2", "--no-cache"]).ok();
    assert_eq!(inspect(&b, "r:1", "{{.Id}}"), inspect(&b, "r:2", "{{.Id}}"));
}

#[test]
fn bad_input_gives_located_errors_and_no_image() {
    let Some(b) = Berth::new("build-bad") else {
        return;
    };
    b.busybox_image("bb:1");
    let outside = b.dir.join("outside.txt");
    fs::write(&outside, "host secret").unwrap();
    let cases: Vec<(&str, &str, &[&str])> = vec![
        (
            "unknown",
            "FROM bb:1\nFROBNICATE x\n",
            &["Dockerfile:2", "unknown instruction"],
        ),
        (
            "heredoc",
            "FROM bb:1\nRUN <<EOF\necho never ends\n",
            &["Dockerfile:", "heredoc"],
        ),
        (
            "missing",
            "FROM bb:1\nCOPY nothere.txt /x\n",
            &["Dockerfile:2", "nothere.txt"],
        ),
        (
            "parent",
            "FROM bb:1\nCOPY ../outside.txt /x\n",
            &["Dockerfile:2", "outside"],
        ),
        (
            "symlink",
            "FROM bb:1\nCOPY link /x\n",
            &["Dockerfile:2", "outside"],
        ),
        (
            "chmod",
            "FROM bb:1\nCOPY --chmod=abc f.txt /x\n",
            &["Dockerfile:2", "chmod"],
        ),
        ("nofrom", "RUN echo hi\n", &["no build stage"]),
    ];
    for (name, df, words) in cases {
        let ctx = context(&b, name, &[("Dockerfile", df), ("f.txt", "f")]);
        std::os::unix::fs::symlink(&outside, ctx.join("link")).unwrap();
        let tag = format!("bad-{name}:1");
        let o = build(&b, &ctx, &["-t", &tag]).code_is(1);
        let text = o.stderr.to_lowercase();
        assert!(
            words.iter().all(|w| text.contains(&w.to_lowercase())),
            "{name}: expected all of {words:?}:\n{o}"
        );
        b.cmd(&["image", "inspect", &tag]).fails();
    }
    assert_eq!(fs::read_to_string(&outside).unwrap(), "host secret");
}

#[test]
fn run_mounts_cache_bind_secret_tmpfs() {
    let Some(b) = Berth::new("build-mounts") else {
        return;
    };
    b.busybox_image("bb:1");
    let secret = b.dir.join("token");
    fs::write(&secret, "s3cr3t").unwrap();
    let ctx = context(
        &b,
        "mounts",
        &[
            (
                "Dockerfile",
                "FROM bb:1\n\
                 RUN --mount=type=cache,target=/cache echo x >> /cache/runs && wc -l < /cache/runs > /runs\n\
                 RUN --mount=type=bind,source=data,target=/mnt cat /mnt/d.txt > /from-bind\n\
                 RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /secret-len\n\
                 RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && ls /scratch > /tmpfs\n\
                 CMD cat /runs /from-bind /secret-len /tmpfs\n",
            ),
            ("data/d.txt", "bound\n"),
        ],
    );
    let src = format!("id=token,src={}", secret.display());
    build(&b, &ctx, &["-t", "m:1", "--secret", &src]).ok();
    assert_eq!(
        b.cmd(&["run", "--rm", "m:1"]).ok().lines(),
        ["1", "bound", "6", "x"]
    );
    // The cache mount persists across builds (a --no-cache build sees the earlier run).
    build(&b, &ctx, &["-t", "m:2", "--secret", &src, "--no-cache"]).ok();
    assert_eq!(
        b.cmd(&["run", "--rm", "m:2", "cat", "/runs"]).ok().out(),
        "2"
    );
    // Neither the secret nor the tmpfs content is in the image.
    b.cmd(&[
        "run",
        "--rm",
        "m:1",
        "sh",
        "-c",
        "test ! -e /run/secrets/token && test ! -e /scratch/x",
    ])
    .ok();
}

#[test]
fn stdin_context_and_outputs() {
    let Some(b) = Berth::new("build-stdin") else {
        return;
    };
    b.busybox_image("bb:1");
    let df = b.dir.join("stdin.Dockerfile");
    fs::write(
        &df,
        "FROM bb:1\nRUN echo from-stdin > /s\nCMD [\"cat\", \"/s\"]\n",
    )
    .unwrap();
    let o = b.cmd_stdin(&["build", "-q", "-t", "s:1", "-"], &df).ok();
    assert!(o.out().starts_with("sha256:"), "{o}");
    assert_eq!(b.cmd(&["run", "--rm", "s:1"]).ok().out(), "from-stdin");
    // A context tarball on stdin.
    let ctx = context(
        &b,
        "tarctx",
        &[
            (
                "Dockerfile",
                "FROM bb:1\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n",
            ),
            ("f", "from-tar\n"),
        ],
    );
    let tarball = b.dir.join("ctx.tar");
    let mut t = tar::Builder::new(fs::File::create(&tarball).unwrap());
    t.append_dir_all(".", &ctx).unwrap();
    t.finish().unwrap();
    b.cmd_stdin(&["build", "-t", "s:2", "-"], &tarball).ok();
    assert_eq!(b.cmd(&["run", "--rm", "s:2"]).ok().out(), "from-tar");
    // -o exports: a docker archive and a local directory.
    let archive = b.dir.join("out.tar");
    let dest = b.dir.join("outdir");
    let ctxs = ctx.display().to_string();
    b.cmd(&[
        "build",
        "-o",
        &format!("type=docker,dest={}", archive.display()),
        "-o",
        &format!("type=local,dest={}", dest.display()),
        &ctxs,
    ])
    .ok();
    assert!(fs::metadata(&archive).unwrap().len() > 0);
    assert_eq!(fs::read_to_string(dest.join("f")).unwrap(), "from-tar\n");
    // type=tar (the root filesystem) and type=oci (an OCI layout archive).
    let rootfs_tar = b.dir.join("rootfs.tar");
    let oci = b.dir.join("oci.tar");
    b.cmd(&[
        "build",
        "-o",
        &format!("type=tar,dest={}", rootfs_tar.display()),
        "-o",
        &format!("type=oci,dest={}", oci.display()),
        &ctxs,
    ])
    .ok();
    let names = |p: &Path| -> Vec<String> {
        tar::Archive::new(fs::File::open(p).unwrap())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect()
    };
    let rootfs = names(&rootfs_tar);
    assert!(
        rootfs.iter().any(|n| n.trim_start_matches("./") == "f"),
        "{rootfs:?}"
    );
    assert!(
        rootfs.iter().any(|n| n.contains("bin/busybox")),
        "{rootfs:?}"
    );
    assert!(names(&oci).iter().any(|n| n == "index.json"));
}

/// Issue 13: a context tarball on stdin is a plain tar, not an image layer: `.wh.x` is a
/// file named `.wh.x` (not a whiteout), and a device node does not fail the build (docker's
/// builder creates it, as root; berth's layer unpacker used to refuse the whole context).
/// A `.wh.` name cannot go into a layer as is, so `COPY .wh.x /ctx/` says so instead of
/// losing the file the way docker's legacy builder silently does.
#[test]
fn stdin_context_is_a_plain_tar() {
    let Some(b) = Berth::new("build-stdin-plain") else {
        return;
    };
    b.busybox_image("bb:1");
    let dockerfile = "FROM bb:1\nCOPY .wh.x /ctx/wh-x\nCOPY f /ctx/\n\
                      RUN --mount=type=bind,source=.wh.x,target=/wh stat -c %F /wh > /ctx/type\n\
                      CMD [\"sh\", \"-c\", \"cat /ctx/wh-x /ctx/f /ctx/type\"]\n";
    let tarball = |name: &str, dockerfile: &str| -> PathBuf {
        let path = b.dir.join(name);
        let mut t = tar::Builder::new(fs::File::create(&path).unwrap());
        for (name, data) in [
            ("Dockerfile", dockerfile.as_bytes()),
            (".wh.x", b"not a whiteout\n"),
            ("f", b"plain\n"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_path(name).unwrap();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append(&h, data).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_path("null").unwrap();
        h.set_entry_type(tar::EntryType::Char);
        h.set_device_major(1).unwrap();
        h.set_device_minor(3).unwrap();
        h.set_mode(0o666);
        h.set_size(0);
        h.set_cksum();
        t.append(&h, &b""[..]).unwrap();
        t.finish().unwrap();
        path
    };
    let ctx = tarball("plain.tar", dockerfile);
    let o = b.cmd_stdin(&["build", "-t", "plain:1", "-"], &ctx).ok();
    let out = b.cmd(&["run", "--rm", "plain:1"]).ok();
    assert_eq!(
        out.stdout, "not a whiteout\nplain\nregular file\n",
        "{o}\n{out}"
    );
    let ctx = tarball("all.tar", "FROM bb:1\nCOPY .wh.x /ctx/\n");
    b.cmd_stdin(&["build", "-"], &ctx)
        .fails()
        .stderr_mentions(&["which a layer reads as a whiteout"]);
}

#[test]
fn scratch_numeric_from_copy_flags_network_and_history() {
    let Some(b) = Berth::new("build-more") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "more",
        &[
            (
                "Dockerfile",
                "FROM bb:1\n\
                 RUN [\"sh\", \"-c\", \"echo exec-form > /exec.txt\"]\n\
                 RUN --network=none ls /sys/class/net > /nets.txt\n\
                 ARG TARGETARCH\n\
                 RUN echo \"arch=$TARGETARCH proxy=$HTTP_PROXY\" > /args.txt\n\
                 FROM scratch AS files\n\
                 COPY --from=0 /exec.txt /nets.txt /args.txt /\n\
                 COPY --parents app/*/conf.txt /tree/\n\
                 COPY --exclude=*.tmp --link data/ /data/\n\
                 FROM bb:1\n\
                 COPY --from=files / /out/\n\
                 ENTRYPOINT [\"cat\"]\n",
            ),
            ("app/one/conf.txt", "1"),
            ("app/two/conf.txt", "2"),
            ("data/keep.txt", "k"),
            ("data/skip.tmp", "s"),
        ],
    );
    build(
        &b,
        &ctx,
        &[
            "-t",
            "more:1",
            "--build-arg",
            "HTTP_PROXY=http://proxy.invalid:3128",
        ],
    )
    .ok();
    let cat = |f: &str| b.cmd(&["run", "--rm", "more:1", f]).ok().out().to_string();
    assert_eq!(cat("/out/exec.txt"), "exec-form");
    assert_eq!(
        cat("/out/nets.txt"),
        "lo",
        "RUN --network=none has only loopback"
    );
    assert_eq!(
        cat("/out/args.txt"),
        format!(
            "arch={} proxy=http://proxy.invalid:3128",
            std::env::consts::ARCH
                .replace("x86_64", "amd64")
                .replace("aarch64", "arm64")
        )
    );
    assert_eq!(cat("/out/tree/app/one/conf.txt"), "1");
    assert_eq!(cat("/out/tree/app/two/conf.txt"), "2");
    assert_eq!(cat("/out/data/keep.txt"), "k");
    b.cmd(&[
        "run",
        "--rm",
        "--entrypoint",
        "test",
        "more:1",
        "!",
        "-e",
        "/out/data/skip.tmp",
    ])
    .ok();
    // ENTRYPOINT in the final stage resets the CMD inherited from the base image.
    assert_eq!(inspect(&b, "more:1", "{{json .Config.Cmd}}"), "null");
    // History: BuildKit's created_by strings and comment; the proxy value stays out of it.
    let hist = b
        .cmd(&[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}|{{.Comment}}",
            "more:1",
        ])
        .ok();
    assert!(
        hist.stdout
            .contains("ENTRYPOINT [\"cat\"]|buildkit.dockerfile.v0"),
        "{hist}"
    );
    assert!(hist.stdout.contains("COPY / /out/ # buildkit"), "{hist}");
    let built = b
        .cmd(&[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            "more:1",
        ])
        .ok();
    assert!(
        !built.stdout.contains("proxy.invalid"),
        "proxy in history:\n{built}"
    );
    // Another platform is a clear error.
    let other = context(
        &b,
        "platform",
        &[("Dockerfile", "FROM --platform=linux/s390x bb:1\n")],
    );
    build(&b, &other, &[])
        .code_is(1)
        .stderr_mentions(&["platform linux/s390x"]);
}

/// A tiny HTTP server on 127.0.0.1 of the test's network namespace (where berth runs)
/// answering every GET with `body`; returns its port.
fn serve_http(b: &Berth, body: &'static str) -> u16 {
    use std::io::{Read, Write};
    let listener = berth_net::link::in_netns(&b.netns, || {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap()
    })
    .unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            let _ = write!(
                c,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn add_from_urls_with_checksum_and_git_refused() {
    let Some(b) = Berth::new("build-add-url") else {
        return;
    };
    b.busybox_image("bb:1");
    let port = serve_http(&b, "remote content\n");
    // sha256 of "remote content\n".
    let sum = "c18243bcea0987f0dabe57a6714acda33fe58db2d6096c58a8b5be13ed378588";
    let df = format!(
        "FROM bb:1\nADD --checksum=sha256:{sum} http://127.0.0.1:{port}/files/remote.txt /data/\n\
         ADD http://127.0.0.1:{port}/other.txt /data/renamed.txt\n\
         CMD cat /data/remote.txt /data/renamed.txt\n"
    );
    let ctx = context(&b, "url", &[("Dockerfile", &df)]);
    build(&b, &ctx, &["-t", "url:1"]).ok();
    assert_eq!(
        b.cmd(&["run", "--rm", "url:1"]).ok().lines(),
        ["remote content", "remote content"]
    );
    let bad = context(
        &b,
        "badsum",
        &[(
            "Dockerfile",
            &format!(
                "FROM bb:1\nADD --checksum=sha256:{} http://127.0.0.1:{port}/x /x\n",
                "0".repeat(64)
            ),
        )],
    );
    build(&b, &bad, &["-t", "url:bad"])
        .code_is(1)
        .stderr_mentions(&["checksum mismatch"]);
    let git = context(
        &b,
        "git",
        &[(
            "Dockerfile",
            "FROM bb:1\nADD https://github.com/moby/moby.git /src\n",
        )],
    );
    build(&b, &git, &[])
        .code_is(1)
        .stderr_mentions(&["git repository is not supported yet"]);
}

#[test]
fn labels_iidfile_copy_from_image_and_source_date_epoch() {
    let Some(b) = Berth::new("build-meta") else {
        return;
    };
    b.busybox_image("bb:1");
    let ctx = context(
        &b,
        "meta",
        &[(
            "Dockerfile",
            "FROM scratch\nCOPY --from=bb:1 /bin/busybox /bin/busybox\nCMD [\"/bin/busybox\", \"echo\", \"from scratch\"]\n",
        )],
    );
    let iid = b.dir.join("iid");
    let iids = iid.display().to_string();
    build(
        &b,
        &ctx,
        &[
            "-t",
            "meta:1",
            "--label",
            "stage=test",
            "--label",
            "team=build",
            "--iidfile",
            &iids,
        ],
    )
    .ok();
    let id = fs::read_to_string(&iid).unwrap();
    assert_eq!(id, inspect(&b, "meta:1", "{{.Id}}"));
    assert_eq!(
        inspect(&b, "meta:1", "{{json .Config.Labels}}"),
        r#"{"stage":"test","team":"build"}"#
    );
    assert_eq!(b.cmd(&["run", "--rm", "meta:1"]).ok().out(), "from scratch");
    // SOURCE_DATE_EPOCH sets the image's time (and so its digest).
    build(
        &b,
        &ctx,
        &[
            "-t",
            "meta:2",
            "--build-arg",
            "SOURCE_DATE_EPOCH=1700000000",
        ],
    )
    .ok();
    assert_eq!(
        inspect(&b, "meta:2", "{{.Created}}"),
        "2023-11-14T22:13:20Z"
    );
    build(
        &b,
        &ctx,
        &[
            "-t",
            "meta:3",
            "--build-arg",
            "SOURCE_DATE_EPOCH=1700000000",
            "--no-cache",
        ],
    )
    .ok();
    assert_eq!(
        inspect(&b, "meta:3", "{{.Id}}"),
        inspect(&b, "meta:2", "{{.Id}}")
    );
}

#[test]
fn a_run_layer_holds_only_what_the_step_wrote() {
    let Some(b) = Berth::new("build-run-layer") else {
        return;
    };
    // The busybox base has no /proc, /sys, /dev or /etc/hosts: the step's mount points come
    // from the shared skeleton, so they do not end up in the layer it makes.
    b.busybox_image("bb");
    let ctx = context(&b, "c", &[("Dockerfile", "FROM bb\nRUN echo hi > /x\n")]);
    build(&b, &ctx, &["-t", "one-file"]).ok();
    let archive = b.dir.join("one-file.tar");
    b.cmd(&["save", "-o", archive.to_str().unwrap(), "one-file"])
        .ok();
    let out = b.dir.join("one-file");
    fs::create_dir_all(&out).unwrap();
    let tar = |args: &[&str]| {
        let o = std::process::Command::new("tar")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "tar {args:?}: {o:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    tar(&[
        "-C",
        out.to_str().unwrap(),
        "-xf",
        archive.to_str().unwrap(),
    ]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let layers = manifest[0]["Layers"].as_array().unwrap();
    let last = out.join(layers.last().unwrap().as_str().unwrap());
    assert_eq!(tar(&["-tf", last.to_str().unwrap()]), "x\n");
}
