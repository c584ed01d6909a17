//! Interop with the incumbents: archives berth writes must load in podman, skopeo and Docker;
//! archives they write must load in berth. Each tool is used when installed (and, for Docker,
//! when a daemon answers); otherwise the test says why it skipped, or fails when
//! `BERTH_E2E_REQUIRE` is set. Podman runs on a private vfs store in a temp dir; Docker
//! images the tests create are removed again. Nothing long-lived is started.

mod archive_support;

use std::path::Path;
use std::process::Command;

use archive_support::*;
use berth_store::archive::{load, save, ArchiveFormat, LoadedImage, SaveImage};
use berth_store::{oci, BlobStore, Digest};

#[path = "shared/podman.rs"]
mod podman_support;
use podman_support::podman;

/// Whether `tool` runs; when not, prints why the test skips (or panics when required).
fn have(tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let why = format!("skipping: `{tool} {}` does not work here", args.join(" "));
        if std::env::var_os("BERTH_E2E_REQUIRE").is_some() {
            panic!("{why} (BERTH_E2E_REQUIRE is set)");
        }
        eprintln!("{why}");
    }
    ok
}

/// Runs a command, failing the test with its output when it fails; returns stdout.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// A tiny rootfs tarball to import.
fn rootfs_tar(dir: &Path, marker: &str) -> std::path::PathBuf {
    let p = dir.join(format!("rootfs-{marker}.tar"));
    let tar = layer_tar(&[("etc/hostname", b"berth\n"), ("marker", marker.as_bytes())]);
    std::fs::write(&p, tar).unwrap();
    p
}

/// A berth store with an image of a plain, a gzip and a zstd (or, without `zstd`, another
/// gzip) layer, plus a repeated one. (podman and skopeo 1.9 cannot write zstd layers into a
/// docker-archive, so images that go there through them have none.)
fn berth_image(dir: &Path, zstd: bool) -> (BlobStore, Digest) {
    let s = BlobStore::open(&dir.join(format!("berth-{zstd}"))).unwrap();
    let empty: &[(&str, &[u8])] = &[];
    let last = if zstd { Comp::Zstd } else { Comp::Gzip };
    let m = put_image(
        &s,
        &[
            (&[("etc/hostname", b"berth\n")], Comp::Tar),
            (empty, Comp::Tar),
            (&[("bin/app", b"app")], Comp::Gzip),
            (empty, Comp::Tar),
            (&[("z", b"last layer")], last),
        ],
        "/bin/app",
    );
    (s, m)
}

fn save_to(s: &BlobStore, m: &Digest, names: &[&str], format: ArchiveFormat, path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    let images = [SaveImage {
        manifest: m.clone(),
        names: names.iter().map(|n| n.to_string()).collect(),
    }];
    save(s, &images, format, std::io::BufWriter::new(f)).unwrap();
}

fn berth_load(dir: &Path, archive: &Path) -> (BlobStore, Vec<LoadedImage>) {
    let s = BlobStore::open(&dir.join(format!("load-{}", unique()))).unwrap();
    let loaded = load(&s, std::fs::File::open(archive).unwrap())
        .unwrap_or_else(|e| panic!("berth load {}: {e}", archive.display()));
    assert!(tmp_is_empty(s.root()));
    (s, loaded)
}

/// Checks a loaded image is complete in the store: manifest, config, every layer.
fn assert_complete(s: &BlobStore, img: &LoadedImage) {
    let m = manifest(s, &img.manifest.digest);
    assert_eq!(m.config.digest, img.config);
    assert!(s.exists(&img.config));
    let config: oci::ImageConfig = serde_json::from_slice(&s.read(&img.config).unwrap()).unwrap();
    assert_eq!(config.rootfs.diff_ids.len(), m.layers.len());
    for l in &m.layers {
        assert_eq!(s.size(&l.digest).unwrap(), l.size, "{}", l.digest);
    }
}

#[test]
fn podman_archives_load_in_berth() {
    if !have("podman", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, marker) in [
        ("localhost/berth-it:1", "one"),
        ("localhost/berth-it:2", "two"),
    ] {
        let t = rootfs_tar(d, marker);
        run(podman(d).arg("import").arg(&t).arg(name));
    }
    let docker_tar = d.join("p-docker.tar");
    run(podman(d)
        .args(["save", "--format", "docker-archive", "-o"])
        .arg(&docker_tar)
        .arg("localhost/berth-it:1"));
    let oci_tar = d.join("p-oci.tar");
    run(podman(d)
        .args(["save", "--format", "oci-archive", "-o"])
        .arg(&oci_tar)
        .arg("localhost/berth-it:1"));
    let multi_tar = d.join("p-multi.tar");
    run(podman(d)
        .args(["save", "-m", "-o"])
        .arg(&multi_tar)
        .args(["localhost/berth-it:1", "localhost/berth-it:2"]));
    let id = run(podman(d).args([
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        "localhost/berth-it:1",
    ]));

    for archive in [&docker_tar, &oci_tar] {
        let (s, loaded) = berth_load(d, archive);
        assert_eq!(loaded.len(), 1, "{}", archive.display());
        assert_eq!(loaded[0].names, ["localhost/berth-it:1"]);
        assert_eq!(loaded[0].config.hex(), id.trim());
        assert_complete(&s, &loaded[0]);
    }
    let (s, loaded) = berth_load(d, &multi_tar);
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[0].names, ["localhost/berth-it:1"]);
    assert_eq!(loaded[1].names, ["localhost/berth-it:2"]);
    assert_complete(&s, &loaded[1]);
}

#[test]
fn berth_archives_load_in_podman() {
    if !have("podman", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (s, m) = berth_image(d, true);
    let config = manifest(&s, &m).config.digest;
    let cases = [
        (ArchiveFormat::Docker, "localhost/berth-out:docker"),
        (ArchiveFormat::Oci, "localhost/berth-out:oci"),
    ];
    for (format, name) in cases {
        let archive = d.join(format!("{format:?}.tar"));
        save_to(&s, &m, &[name], format, &archive);
        let out = run(podman(d).arg("load").arg("-i").arg(&archive));
        assert!(out.contains(name), "podman load said: {out}");
        let id = run(podman(d).args(["image", "inspect", "--format", "{{.Id}}", name]));
        assert_eq!(id.trim(), config.hex(), "{format:?}");
        // What podman saves back loads in berth to the same image.
        let back = d.join(format!("{format:?}-back.tar"));
        let back_format = match format {
            ArchiveFormat::Docker => "docker-archive",
            ArchiveFormat::Oci => "oci-archive",
        };
        run(podman(d)
            .args(["save", "--format", back_format, "-o"])
            .arg(&back)
            .arg(name));
        let (_, loaded) = berth_load(d, &back);
        assert_eq!(loaded[0].config, config);
    }
}

#[test]
fn skopeo_reads_berth_archives_and_berth_reads_skopeo_copies() {
    if !have("skopeo", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (s, m) = berth_image(d, true);
    let config = manifest(&s, &m).config.digest;
    let (s_gz, m_gz) = berth_image(d, false);
    let config_gz = manifest(&s_gz, &m_gz).config.digest;
    let oci_gz = d.join("b-oci-gz.tar");
    save_to(
        &s_gz,
        &m_gz,
        &["localhost/berth-gz:1"],
        ArchiveFormat::Oci,
        &oci_gz,
    );
    let oci_gz_ref = format!("oci-archive:{}:localhost/berth-gz:1", oci_gz.display());
    let docker_tar = d.join("b-docker.tar");
    save_to(
        &s,
        &m,
        &["docker.io/library/berth-sk:1"],
        ArchiveFormat::Docker,
        &docker_tar,
    );
    let oci_tar = d.join("b-oci.tar");
    save_to(
        &s,
        &m,
        &["localhost/berth-sk:1"],
        ArchiveFormat::Oci,
        &oci_tar,
    );

    let doc = format!("docker-archive:{}", docker_tar.display());
    let out = run(Command::new("skopeo").args(["inspect", "--config", &doc]));
    let cfg: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(cfg["rootfs"]["diff_ids"].as_array().unwrap().len(), 5);
    let out = run(Command::new("skopeo").args(["inspect", &doc]));
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["Layers"].as_array().unwrap().len(), 5, "{info}");
    let doc_tagged = format!("{doc}:docker.io/library/berth-sk:1");
    run(Command::new("skopeo").args(["inspect", &doc_tagged]));

    let oci_ref = format!("oci-archive:{}:localhost/berth-sk:1", oci_tar.display());
    let out = run(Command::new("skopeo").args(["inspect", &oci_ref]));
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["Digest"], m.to_string(), "{info}");

    // skopeo copies of berth's archives, in both formats, load back in berth.
    let copies = [
        (&doc, "oci-archive", "localhost/sk-copy:oci", &config),
        (&doc, "docker-archive", "localhost/sk-copy:docker", &config),
        (
            &oci_gz_ref,
            "docker-archive",
            "localhost/sk-copy:from-oci",
            &config_gz,
        ),
        (
            &oci_ref,
            "oci-archive",
            "localhost/sk-copy:oci-oci",
            &config,
        ),
    ];
    for (i, (src, transport, name, config)) in copies.iter().enumerate() {
        let dest = d.join(format!("copy-{i}.tar"));
        let dest_ref = format!("{transport}:{}:{name}", dest.display());
        run(Command::new("skopeo").args(["copy", "-q", src, &dest_ref]));
        let (s2, loaded) = berth_load(d, &dest);
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].names, [name.to_string()], "{dest_ref}");
        assert_eq!(&loaded[0].config, *config, "{dest_ref}");
        assert_complete(&s2, &loaded[0]);
    }
}

#[test]
fn docker_interop() {
    if !have("docker", &["info"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (s, m) = berth_image(d, true);
    let config = manifest(&s, &m).config.digest;
    let tag = format!("berth-it-docker:{}", unique());
    let archive = d.join("b-docker.tar");
    save_to(
        &s,
        &m,
        &[&format!("docker.io/library/{tag}")],
        ArchiveFormat::Docker,
        &archive,
    );
    let out = run(Command::new("docker").arg("load").arg("-i").arg(&archive));
    assert!(out.contains(&tag), "docker load said: {out}");
    let id = run(Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", &tag]));
    let back = d.join("d-save.tar");
    let saved = Command::new("docker")
        .arg("save")
        .arg("-o")
        .arg(&back)
        .arg(&tag)
        .output();
    run(Command::new("docker").args(["rmi", &tag]));
    assert!(
        saved.map(|o| o.status.success()).unwrap_or(false),
        "docker save failed"
    );
    assert_eq!(id.trim(), config.to_string());
    let (s2, loaded) = berth_load(d, &back);
    assert_eq!(loaded[0].names, [format!("docker.io/library/{tag}")]);
    assert_eq!(loaded[0].config, config);
    assert_complete(&s2, &loaded[0]);
}
