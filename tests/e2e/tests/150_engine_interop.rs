//! Interop with the incumbents through the CLI: images berth saves (docker-archive, and
//! oci-archive for podman) load in `docker load` / `podman load` and run there with the same
//! output as in berth, config (ENV, WORKDIR, CMD set by `berth import --change`) included;
//! images `docker save` / `podman save` write load in berth (`load -i` and from stdin) and
//! `berth run --rm` prints what docker/podman run printed; skopeo reads berth's archives.
//!
//! Docker is a private dockerd each test starts (see `berth_e2e::peers`), podman runs on a
//! private vfs store: nothing here touches the host's docker or podman state or networking.

use std::fs;
use std::path::{Path, PathBuf};

use berth_e2e::image_archive::sha256_digest;
use berth_e2e::peers::{self, Docker, Podman};
use berth_e2e::{Berth, Output, Value};

/// What the image's CMD prints: ENV, WORKDIR and a file of the layer.
const EXPECTED: &str = "hello from /srv/app\ninterop marker\n";

/// The `--change`s both berth and the peers import the rootfs with.
const CHANGES: [&str; 3] = [
    "ENV GREETING=hello",
    "WORKDIR /srv/app",
    r#"CMD ["sh", "-c", "echo $GREETING from $(pwd); cat /marker"]"#,
];

/// The busybox rootfs tarball every image here is made from (with /marker and /srv/app).
fn rootfs(b: &Berth) -> PathBuf {
    b.busybox_tar("interop", |r| {
        fs::write(r.join("marker"), "interop marker\n").unwrap();
        fs::create_dir_all(r.join("srv/app")).unwrap();
    })
}

/// `import` arguments: `-c CHANGE`... `tar name`.
fn import_args<'a>(tar: &'a str, name: &'a str) -> Vec<&'a str> {
    let mut a = vec!["import"];
    for c in &CHANGES {
        a.extend(["-c", c]);
    }
    a.extend([tar, name]);
    a
}

/// Imports the interop image into berth as `name`, checks that berth runs it as expected;
/// returns its ID.
fn berth_image(b: &Berth, name: &str) -> String {
    let tar = rootfs(b);
    let id = b
        .cmd(&import_args(tar.to_str().unwrap(), name))
        .ok()
        .out()
        .to_string();
    assert!(id.starts_with("sha256:"), "berth import printed {id}");
    let o = b.cmd(&["run", "--rm", name]).ok();
    assert_eq!(o.stdout, EXPECTED, "berth itself runs {name}:\n{o}");
    id
}

/// The image ID berth reports for `name`.
fn berth_id(b: &Berth, name: &str) -> String {
    b.cmd(&["image", "inspect", "--format", "{{.Id}}", name])
        .ok()
        .out()
        .to_string()
}

/// The names in `Loaded image: X` / `Loaded image(s): X,Y` lines.
fn loaded_names(o: &Output) -> Vec<String> {
    let all = format!("{}\n{}", o.stdout, o.stderr);
    all.lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("Loaded image(s):")
                .or_else(|| l.strip_prefix("Loaded image:"))
        })
        .flat_map(|r| r.split(',').map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Asserts that berth's image `name` has the config the import set.
fn assert_berth_config(b: &Berth, name: &str) {
    let o = b
        .cmd(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}|{{.Config.WorkingDir}}|{{json .Config.Cmd}}",
            name,
        ])
        .ok();
    assert_config_line(o.out(), &o);
}

/// `Env|WorkingDir|Cmd` as the inspect formats above print them.
#[track_caller]
fn assert_config_line(line: &str, o: &Output) {
    let mut parts = line.splitn(3, '|');
    let env: Value = serde_json::from_str(parts.next().unwrap_or("")).unwrap_or(Value::Null);
    let wd = parts.next().unwrap_or("");
    let cmd: Value = serde_json::from_str(parts.next().unwrap_or("")).unwrap_or(Value::Null);
    assert!(
        env.as_array()
            .is_some_and(|e| e.iter().any(|v| v == "GREETING=hello")),
        "Env lost GREETING=hello:\n{o}"
    );
    assert_eq!(wd, "/srv/app", "WorkingDir:\n{o}");
    assert_eq!(
        cmd,
        serde_json::json!(["sh", "-c", "echo $GREETING from $(pwd); cat /marker"]),
        "Cmd:\n{o}"
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Loads `archive` into berth with `load -i`, checks the name and ID and that it runs with
/// `want`; removes it, loads it again from stdin and checks the same.
fn berth_loads_and_runs(b: &Berth, archive: &Path, name_like: &str, want_id: &str, want: &str) {
    for how in ["-i", "stdin"] {
        let o = if how == "-i" {
            b.cmd(&["load", "-i", s(archive)]).ok()
        } else {
            b.cmd_stdin(&["load"], archive).ok()
        };
        let names = loaded_names(&o);
        let name = names
            .iter()
            .find(|n| n.contains(name_like))
            .unwrap_or_else(|| panic!("berth load ({how}) did not name {name_like}:\n{o}"))
            .clone();
        assert_eq!(
            berth_id(b, &name),
            want_id,
            "berth load ({how}) kept the image ID (config digest)"
        );
        assert_berth_config(b, &name);
        let r = b.cmd(&["run", "--rm", &name]).ok();
        assert_eq!(
            r.stdout,
            want,
            "berth run of what it loaded ({how}) from {}:\n{r}",
            archive.display()
        );
        // An explicit command works too (the layer, not just the CMD, came across).
        let r = b.cmd(&["run", "--rm", &name, "cat", "/marker"]).ok();
        assert_eq!(r.stdout, "interop marker\n");
        b.cmd(&["rmi", &name]).ok();
    }
}

#[test]
fn berth_docker_archive_runs_in_docker() {
    let name = "interop-to-docker";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(d) = Docker::start(name) else {
        return;
    };
    let id = berth_image(&b, "interop:1");
    b.cmd(&["tag", "interop:1", "interop:two"]).ok();
    let archive = b.dir.join("berth-docker.tar");
    b.cmd(&["save", "-o", s(&archive), "interop:1", "interop:two"])
        .ok();

    let o = d.cmd(&["load", "-i", s(&archive)]).ok();
    let mut names = loaded_names(&o);
    names.sort();
    assert_eq!(names, ["interop:1", "interop:two"], "docker load:\n{o}");
    for n in ["interop:1", "interop:two"] {
        let o = d.cmd(&["image", "inspect", "--format", "{{.Id}}", n]).ok();
        assert_eq!(o.out(), id, "docker's ID for {n} is berth's config digest");
    }
    let o = d
        .cmd(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Env}}|{{.Config.WorkingDir}}|{{json .Config.Cmd}}",
            "interop:1",
        ])
        .ok();
    assert_config_line(o.out(), &o);
    let o = d
        .cmd(&["run", "--rm", "--network", "none", "interop:1"])
        .ok();
    assert_eq!(
        o.stdout, EXPECTED,
        "docker runs berth's image like berth:\n{o}"
    );

    // `berth save` to stdout, into `docker load` from stdin.
    d.cmd(&["rmi", "interop:1", "interop:two"]).ok();
    let piped = b.dir.join("berth-stdout.tar");
    berth_save_to_stdout(&b, &["interop:two"], &piped);
    let o = d.cmd_stdin(&["load"], Some(&piped)).ok();
    assert_eq!(
        loaded_names(&o),
        ["interop:two"],
        "docker load < archive:\n{o}"
    );
    let o = d
        .cmd(&["run", "--rm", "--network", "none", "interop:two"])
        .ok();
    assert_eq!(o.stdout, EXPECTED, "{o}");
}

/// `berth save images...` with stdout into the file `dest` (the harness's capture is text).
fn berth_save_to_stdout(b: &Berth, images: &[&str], dest: &Path) {
    let st = std::process::Command::new(&b.bin)
        .arg("--root")
        .arg(&b.root)
        .arg("save")
        .args(images)
        .stdin(std::process::Stdio::null())
        .stdout(fs::File::create(dest).unwrap())
        .status()
        .expect("run berth save");
    assert!(st.success(), "berth save {images:?} > file: {st}");
}

#[test]
fn berth_archives_run_in_podman() {
    let name = "interop-to-podman";
    let Some(b) = Berth::new(name) else {
        return;
    };
    if peers::skip_unless_installed(name, &Podman::TOOLS) {
        return;
    }
    let id = berth_image(&b, "interop:1");
    for format in ["docker-archive", "oci-archive"] {
        let p = Podman::new(name).unwrap();
        let archive = b.dir.join(format!("berth-{format}.tar"));
        b.cmd(&["save", "--format", format, "-o", s(&archive), "interop:1"])
            .ok();
        let o = p.cmd(&["load", "-i", s(&archive)]).ok();
        let names = loaded_names(&o);
        let loaded = names
            .iter()
            .find(|n| n.ends_with("interop:1"))
            .unwrap_or_else(|| {
                panic!("podman load of berth's {format} did not name interop:1:\n{o}")
            })
            .clone();
        let o = p
            .cmd(&["image", "inspect", "--format", "{{.Id}}", &loaded])
            .ok();
        assert_eq!(
            format!("sha256:{}", o.out()),
            id,
            "podman's ID for berth's {format} image is the config digest"
        );
        let o = p
            .cmd(&[
                "image",
                "inspect",
                "--format",
                "{{json .Config.Env}}|{{.Config.WorkingDir}}|{{json .Config.Cmd}}",
                &loaded,
            ])
            .ok();
        assert_config_line(o.out(), &o);
        let o = p.run(&loaded, &[]).ok();
        assert_eq!(
            o.stdout, EXPECTED,
            "podman runs berth's {format} image like berth:\n{o}"
        );
    }
}

#[test]
fn docker_save_loads_and_runs_in_berth() {
    let name = "docker-to-berth";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(d) = Docker::start(name) else {
        return;
    };
    let tar = rootfs(&b);
    let id = d
        .cmd(&import_args(s(&tar), "dockerimg:1"))
        .ok()
        .out()
        .to_string();
    let o = d
        .cmd(&["run", "--rm", "--network", "none", "dockerimg:1"])
        .ok();
    assert_eq!(o.stdout, EXPECTED, "docker run:\n{o}");
    let docker_out = o.stdout;
    let archive = b.dir.join("docker-save.tar");
    d.cmd(&["save", "-o", s(&archive), "dockerimg:1"]).ok();
    berth_loads_and_runs(&b, &archive, "dockerimg:1", &id, &docker_out);
}

#[test]
fn docker_built_layers_load_and_run_in_berth() {
    let name = "docker-build-to-berth";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(d) = Docker::start(name) else {
        return;
    };
    let tar = rootfs(&b);
    d.cmd(&import_args(s(&tar), "base:1")).ok();
    // A second and third layer: a new file, a deleted one (a whiteout), a changed one.
    let ctx = b.host_dir("ctx");
    fs::write(
        ctx.join("Dockerfile"),
        "FROM base:1\n\
         RUN echo layered > /srv/app/new && rm /marker\n\
         RUN echo replaced > /etc/hostname.extra\n\
         ENV GREETING=built\n\
         CMD [\"sh\", \"-c\", \"echo $GREETING from $(pwd); cat new /etc/hostname.extra; ls /marker 2>&1 || true\"]\n",
    )
    .unwrap();
    let o = d.cmd(&["build", "--network", "none", "-q", "-t", "built:1", s(&ctx)]);
    if !o.success() {
        panic!("docker build (legacy builder) failed:\n{o}");
    }
    let o = d.cmd(&["run", "--rm", "--network", "none", "built:1"]).ok();
    assert!(
        o.stdout
            .starts_with("built from /srv/app\nlayered\nreplaced\n"),
        "docker run:\n{o}"
    );
    let docker_out = o.stdout.clone();
    let id = d
        .cmd(&["image", "inspect", "--format", "{{.Id}}", "built:1"])
        .ok()
        .out()
        .to_string();
    let archive = b.dir.join("docker-built.tar");
    d.cmd(&["save", "-o", s(&archive), "built:1"]).ok();
    b.cmd(&["load", "-i", s(&archive)]).ok();
    assert_eq!(berth_id(&b, "built:1"), id);
    let o = b
        .cmd(&[
            "image",
            "inspect",
            "--format",
            "{{len .RootFS.Layers}}",
            "built:1",
        ])
        .ok();
    assert_eq!(o.out(), "3", "three layers:\n{o}");
    let o = b.cmd(&["run", "--rm", "built:1"]).ok();
    assert_eq!(
        o.stdout, docker_out,
        "berth runs docker's built image like docker"
    );
}

#[test]
fn podman_save_loads_and_runs_in_berth() {
    let name = "podman-to-berth";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(p) = Podman::new(name) else {
        return;
    };
    let tar = rootfs(&b);
    let o = p.cmd(&import_args(s(&tar), "podimg:1")).ok();
    let id = o.lines().last().cloned().unwrap_or_default();
    let id = if id.starts_with("sha256:") {
        id
    } else {
        format!("sha256:{id}")
    };
    let o = p.run("podimg:1", &[]).ok();
    assert_eq!(o.stdout, EXPECTED, "podman run:\n{o}");
    let podman_out = o.stdout;
    for format in ["docker-archive", "oci-archive"] {
        let archive = b.dir.join(format!("podman-{format}.tar"));
        p.cmd(&["save", "--format", format, "-o", s(&archive), "podimg:1"])
            .ok();
        berth_loads_and_runs(&b, &archive, "podimg:1", &id, &podman_out);
    }
    // Two images in one archive (`podman save -m`, docker-archive only).
    let tar = b.dir.join("interop.tar");
    p.cmd(&[
        "import",
        "-c",
        r#"CMD ["echo", "second"]"#,
        s(&tar),
        "podimg:2",
    ])
    .ok();
    let archive = b.dir.join("podman-multi.tar");
    p.cmd(&[
        "save",
        "-m",
        "--format",
        "docker-archive",
        "-o",
        s(&archive),
        "podimg:1",
        "podimg:2",
    ])
    .ok();
    let o = b.cmd(&["load", "-i", s(&archive)]).ok();
    let mut names = loaded_names(&o);
    names.sort();
    assert_eq!(names, ["localhost/podimg:1", "localhost/podimg:2"], "{o}");
    let o = b.cmd(&["run", "--rm", "localhost/podimg:1"]).ok();
    assert_eq!(o.stdout, podman_out);
    let o = b.cmd(&["run", "--rm", "localhost/podimg:2"]).ok();
    assert_eq!(o.stdout, "second\n");
}

#[test]
fn skopeo_inspects_berth_archives() {
    let name = "skopeo-inspect";
    let Some(b) = Berth::new(name) else {
        return;
    };
    let Some(skopeo) = peers::skopeo(name) else {
        return;
    };
    let id = berth_image(&b, "interop:1");
    let scratch = b.dir.join("skopeo-out");
    for (format, transport) in [
        ("docker-archive", "docker-archive"),
        ("oci-archive", "oci-archive"),
    ] {
        let archive = b.dir.join(format!("berth-{format}.tar"));
        b.cmd(&["save", "--format", format, "-o", s(&archive), "interop:1"])
            .ok();
        let r = format!("{transport}:{}", archive.display());
        let o = peers::run(&skopeo, &["inspect", &r], &scratch).ok();
        let v: Value = serde_json::from_str(&o.stdout)
            .unwrap_or_else(|e| panic!("skopeo inspect {r}: not JSON ({e}):\n{o}"));
        assert_eq!(v["Os"], "linux", "{o}");
        assert_eq!(v["Layers"].as_array().map(Vec::len), Some(1), "{o}");
        assert!(
            v["Env"]
                .as_array()
                .is_some_and(|e| e.iter().any(|x| x == "GREETING=hello")),
            "{o}"
        );
        if format == "docker-archive" {
            // skopeo lists no RepoTags for archives, but finds the image by the tag berth
            // wrote into manifest.json.
            let tagged = format!("{r}:interop:1");
            let o = peers::run(&skopeo, &["inspect", &tagged], &scratch).ok();
            let t: Value = serde_json::from_str(&o.stdout).unwrap_or(Value::Null);
            assert_eq!(t["Digest"], v["Digest"], "{o}");
        }
        let o = peers::run(&skopeo, &["inspect", "--config", &r], &scratch).ok();
        let c: Value = serde_json::from_str(&o.stdout)
            .unwrap_or_else(|e| panic!("skopeo inspect --config {r}: not JSON ({e}):\n{o}"));
        assert_eq!(c["config"]["WorkingDir"], "/srv/app", "{o}");
        assert_eq!(
            c["config"]["Cmd"],
            serde_json::json!(["sh", "-c", "echo $GREETING from $(pwd); cat /marker"]),
            "{o}"
        );
        assert_eq!(
            c["rootfs"]["diff_ids"].as_array().map(Vec::len),
            Some(1),
            "{o}"
        );
        let o = peers::run(&skopeo, &["inspect", "--config", "--raw", &r], &scratch).ok();
        let raw = o.stdout.as_bytes();
        let trimmed = o.stdout.trim_end().as_bytes();
        assert!(
            sha256_digest(raw) == id || sha256_digest(trimmed) == id,
            "the raw config skopeo reads from {r} hashes to the image ID {id}:\n{o}"
        );
    }
}
