//! Implicit pulls, as Docker does them: `run` and `create` of an image the store lacks pull it
//! first (`Unable to find image 'REF' locally` on stderr, then the pull's output, also on
//! stderr), `--pull never` refuses (exit 125, `No such image`), `--pull always` fetches what
//! the tag names now, and `FROM <registry>/<image>` in `berth build` pulls the base image.
//!
//! The images come into the registry with skopeo, from OCI archives another berth root saved,
//! so the store under test starts empty and nothing here depends on `berth push`.

use std::fs;
use std::path::PathBuf;

use berth_e2e::registry::{self, Client, Registry};
use berth_e2e::Berth;

/// The engine test under test, a second one (another root) that makes the images, and the
/// registry tools; `None` when skipped (printed).
fn setup(name: &str) -> Option<(Berth, Berth)> {
    let b = Berth::new(name)?;
    let seed = Berth::new(&format!("{name}-seed"))?;
    if registry::skip(name) {
        return None;
    }
    Some((b, seed))
}

/// Makes busybox image `tag` in `seed` (with `/version` holding `version` if given) and saves
/// it as an OCI archive; returns (`oci-archive:PATH`, image ID).
fn seed_archive(seed: &Berth, tag: &str, version: Option<&str>) -> (String, String) {
    let id = seed.busybox_image_with(tag, |root| {
        if let Some(v) = version {
            fs::write(root.join("version"), format!("{v}\n")).unwrap();
        }
    });
    let path: PathBuf = seed.dir.join(format!("{}.oci.tar", tag.replace(':', "_")));
    seed.cmd(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        path.to_str().unwrap(),
        tag,
    ])
    .ok();
    (format!("oci-archive:{}", path.display()), id)
}

#[test]
fn run_and_create_pull_missing_images() {
    let name = "registry-implicit-run";
    let Some((b, seed)) = setup(name) else {
        return;
    };
    let (one, id1) = seed_archive(&seed, "bb:1", None);
    let (two, id2) = seed_archive(&seed, "bb:2", Some("2"));
    let r = Registry::plain(&b.netns, &b.dir);
    r.skopeo_push(&one, "bb:1", &[]).ok();
    r.skopeo_push(&two, "bb:2", &[]).ok();
    let c = Client::new(&b);
    let ref1 = r.image("bb:1");
    let ref2 = r.image("bb:2");
    assert!(
        b.cmd(&["images", "-q"]).ok().lines().is_empty(),
        "a fresh store"
    );

    // --pull never: nothing local, nothing fetched.
    c.cmd(&["run", "--rm", "--pull", "never", &ref1, "echo", "no"])
        .code_is(125)
        .stderr_mentions(&["No such image"]);
    c.cmd(&["create", "--pull", "never", &ref2])
        .code_is(125)
        .stderr_mentions(&["No such image"]);
    b.cmd(&["image", "inspect", &ref1]).fails();

    // run: pulled (reported on stderr), then run; stdout is the container's alone.
    let o = c.cmd(&["run", "--rm", &ref1, "echo", "ok"]).ok();
    assert_eq!(o.stdout, "ok\n", "{o}");
    assert!(
        o.stderr
            .contains(&format!("Unable to find image '{ref1}' locally")),
        "{o}"
    );
    assert!(
        o.stderr.contains("Digest: sha256:"),
        "the pull's output:\n{o}"
    );
    assert_eq!(registry::image_id(&b, &ref1), id1);
    // Present now: no pull.
    let o = c.cmd(&["run", "--rm", &ref1, "echo", "again"]).ok();
    assert_eq!(o.stdout, "again\n");
    assert!(!o.stderr.contains("Unable to find image"), "{o}");

    // create pulls too (default --pull missing).
    let o = c.cmd(&["create", "--pull", "missing", &ref2]).ok();
    assert!(
        o.stderr
            .contains(&format!("Unable to find image '{ref2}' locally")),
        "{o}"
    );
    let cid = o.lines().last().cloned().unwrap_or_default();
    assert!(cid.len() == 64, "create prints the container ID last:\n{o}");
    assert_eq!(registry::image_id(&b, &ref2), id2);
    b.cmd(&["rm", &cid]).ok();

    // The tag moves in the registry: the default keeps the local image, --pull always
    // fetches the new one.
    r.skopeo_push(&two, "bb:1", &[]).ok();
    let probe = ["sh", "-c", "cat /version 2>/dev/null || echo old"];
    let mut args = vec!["run", "--rm", ref1.as_str()];
    args.extend(probe);
    let o = c.cmd(&args).ok();
    assert_eq!(o.stdout, "old\n", "{o}");
    let mut args = vec!["run", "--rm", "--pull", "always", ref1.as_str()];
    args.extend(probe);
    let o = c.cmd(&args).ok();
    assert_eq!(
        o.stdout, "2\n",
        "--pull always takes the tag's new image:\n{o}"
    );
    assert_eq!(registry::image_id(&b, &ref1), id2);
    // --pull always with nothing new: still runs.
    let mut args = vec!["run", "--rm", "--pull", "always", ref1.as_str()];
    args.extend(probe);
    let o = c.cmd(&args).ok();
    assert_eq!(o.stdout, "2\n", "{o}");
    // --pull always when the registry lacks the tag: fails, like `pull`.
    c.cmd(&[
        "run",
        "--rm",
        "--pull",
        "always",
        &r.image("bb:gone"),
        "true",
    ])
    .code_is(125)
    .stderr_mentions(&["manifest unknown", "not found"]);
}

#[test]
fn build_pulls_its_base_image() {
    let name = "registry-implicit-build";
    let Some((b, seed)) = setup(name) else {
        return;
    };
    let (one, _) = seed_archive(&seed, "bb:1", Some("base"));
    let r = Registry::plain(&b.netns, &b.dir);
    r.skopeo_push(&one, "bb:1", &[]).ok();
    let c = Client::new(&b);
    let ctx = b.host_dir("ctx");
    fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {}\nRUN echo hi > /x\n", r.image("bb:1")),
    )
    .unwrap();
    let o = c
        .cmd(&["build", "-t", "built:1", ctx.to_str().unwrap()])
        .ok();
    let o2 = c
        .cmd(&["run", "--rm", "built:1", "cat", "/x", "/version"])
        .ok();
    assert_eq!(
        o2.stdout, "hi\nbase\n",
        "built on the pulled base:\n{o}\n{o2}"
    );
}

#[test]
fn build_pushes_its_result() {
    let name = "registry-build-push";
    let Some((b, seed)) = setup(name) else {
        return;
    };
    let (one, _) = seed_archive(&seed, "bb:1", Some("base"));
    let r = Registry::plain(&b.netns, &b.dir);
    r.skopeo_push(&one, "bb:1", &[]).ok();
    let c = Client::new(&b);
    let ctx = b.host_dir("ctx");
    fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {}\nRUN echo pushed > /y\n", r.image("bb:1")),
    )
    .unwrap();
    // `--push` pushes the -t names; `-o type=registry,name=...` a name of its own.
    let out = r.image("out:1");
    let o = c
        .cmd(&["build", "--push", "-t", &out, ctx.to_str().unwrap()])
        .ok();
    assert_eq!(r.tags("out"), ["1"], "{o}");
    let other = r.image("other:2");
    let spec = format!("type=registry,name={other}");
    c.cmd(&["build", "-o", &spec, ctx.to_str().unwrap()]).ok();
    assert_eq!(r.tags("other"), ["2"]);
    // Gone from the store, it comes back from the registry and runs.
    c.cmd(&["rmi", &out]).ok();
    let o = c.cmd(&["run", "--rm", &out, "cat", "/y"]).ok();
    assert_eq!(o.stdout, "pushed\n", "{o}");
}
