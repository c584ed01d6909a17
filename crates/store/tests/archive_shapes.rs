//! Archive shapes berth does not write but must read: Docker 25+ (OCI layout plus
//! manifest.json), nested multi-platform indexes, Docker schema 2 manifests in a layout.

mod archive_support;

use std::collections::BTreeMap;

use archive_support::*;
use berth_store::archive::load;
use berth_store::oci::{self, Descriptor, Index, Platform};
use berth_store::{BlobStore, Digest};

/// A tar of named byte strings.
fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// Every blob of the image `m` as layout entries.
fn blob_entries(s: &BlobStore, m: &Digest) -> Vec<(String, Vec<u8>)> {
    let man = manifest(s, m);
    let mut out = vec![(format!("blobs/sha256/{}", m.hex()), s.read(m).unwrap())];
    let c = &man.config.digest;
    out.push((format!("blobs/sha256/{}", c.hex()), s.read(c).unwrap()));
    for l in &man.layers {
        out.push((
            format!("blobs/sha256/{}", l.digest.hex()),
            s.read(&l.digest).unwrap(),
        ));
    }
    out
}

fn json(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn ann(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn source() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = BlobStore::open(dir.path()).unwrap();
    (dir, s)
}

#[test]
fn docker_25_layout_with_manifest_json() {
    let (_d, s) = source();
    let m = put_image(
        &s,
        &[(&[("a", b"1")], Comp::Tar), (&[("b", b"2")], Comp::Tar)],
        "x",
    );
    let man = manifest(&s, &m);
    let mut files = blob_entries(&s, &m);
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    let mut d = desc(oci::MEDIA_MANIFEST, m.clone(), s.size(&m).unwrap());
    d.annotations = ann(&[
        ("io.containerd.image.name", "docker.io/library/new:1"),
        (oci::ANNOTATION_REF_NAME, "1"),
    ]);
    let index = Index {
        schema_version: 2,
        media_type: Some(oci::MEDIA_INDEX.into()),
        manifests: vec![d],
        annotations: None,
    };
    files.push(("index.json".into(), json(&index)));
    let layers: Vec<String> = man
        .layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", l.digest.hex()))
        .collect();
    let mj = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", man.config.digest.hex()),
        "RepoTags": ["new:1"],
        "Layers": layers,
    }]);
    files.push(("manifest.json".into(), json(&mj)));
    let (_d2, dst) = source();
    let loaded = load(&dst, &tar_of(&files)[..]).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].names, ["docker.io/library/new:1"]);
    assert_eq!(loaded[0].config, man.config.digest);
    // Plain layers: the manifest berth builds is the one in the layout.
    assert_eq!(loaded[0].manifest.digest, m);

    // Without manifest.json it is read as an OCI layout, named by the containerd annotation.
    files.retain(|(n, _)| n != "manifest.json");
    let (_d3, dst) = source();
    let loaded = load(&dst, &tar_of(&files)[..]).unwrap();
    assert_eq!(loaded[0].names, ["docker.io/library/new:1"]);
}

#[test]
fn nested_index_picks_the_host_platform() {
    let (_d, s) = source();
    let host = put_image(&s, &[(&[("host", b"yes")], Comp::Gzip)], "host");
    let other = put_image(&s, &[(&[("other", b"no")], Comp::Gzip)], "other");
    let mut files = blob_entries(&s, &host);
    files.extend(blob_entries(&s, &other));
    let other_arch = if oci::host_architecture() == "s390x" {
        "amd64"
    } else {
        "s390x"
    };
    let plat = |arch: &str| {
        Some(Platform {
            architecture: arch.into(),
            os: "linux".into(),
            variant: None,
        })
    };
    let mut d_other = desc(oci::MEDIA_MANIFEST, other.clone(), s.size(&other).unwrap());
    d_other.platform = plat(other_arch);
    let mut d_attest = desc(oci::MEDIA_MANIFEST, other.clone(), s.size(&other).unwrap());
    d_attest.platform = plat("unknown");
    let mut d_host = desc(oci::MEDIA_MANIFEST, host.clone(), s.size(&host).unwrap());
    d_host.platform = plat(oci::host_architecture());
    let inner = Index {
        schema_version: 2,
        media_type: Some(oci::MEDIA_INDEX.into()),
        manifests: vec![d_other.clone(), d_host, d_attest],
        annotations: None,
    };
    let inner_bytes = json(&inner);
    let inner_digest = Digest::of_bytes(&inner_bytes);
    files.push((
        format!("blobs/sha256/{}", inner_digest.hex()),
        inner_bytes.clone(),
    ));
    let mut top = desc(oci::MEDIA_INDEX, inner_digest, inner_bytes.len() as u64);
    top.annotations = ann(&[(oci::ANNOTATION_REF_NAME, "quay.io/multi/arch:2")]);
    let index = Index {
        schema_version: 2,
        media_type: None,
        manifests: vec![top],
        annotations: None,
    };
    files.push(("index.json".into(), json(&index)));
    let (_d2, dst) = source();
    let loaded = load(&dst, &tar_of(&files)[..]).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].manifest.digest, host);
    assert_eq!(loaded[0].names, ["quay.io/multi/arch:2"]);
    assert!(
        !dst.exists(&manifest(&s, &other).layers[0].digest),
        "only the host image"
    );

    // An index without the host platform says which platforms it has.
    let only_other = Index {
        schema_version: 2,
        media_type: Some(oci::MEDIA_INDEX.into()),
        manifests: vec![d_other],
        annotations: None,
    };
    let b = json(&only_other);
    let dg = Digest::of_bytes(&b);
    let mut files2 = blob_entries(&s, &other);
    files2.push((format!("blobs/sha256/{}", dg.hex()), b.clone()));
    let top = Index {
        schema_version: 2,
        media_type: None,
        manifests: vec![desc(oci::MEDIA_INDEX, dg, b.len() as u64)],
        annotations: None,
    };
    files2.push(("index.json".into(), json(&top)));
    let (_d3, dst) = source();
    let e = load(&dst, &tar_of(&files2)[..]).unwrap_err();
    assert!(
        e.to_string().contains(&format!("linux/{other_arch}")),
        "{e}"
    );
}

#[test]
fn docker_schema2_manifest_in_a_layout_becomes_oci() {
    let (_d, s) = source();
    let m = put_image(&s, &[(&[("a", b"1")], Comp::Gzip)], "x");
    let mut man = manifest(&s, &m);
    man.media_type = Some(oci::MEDIA_DOCKER_MANIFEST.into());
    man.config.media_type = oci::MEDIA_DOCKER_CONFIG.into();
    man.layers[0].media_type = oci::MEDIA_DOCKER_LAYER_GZIP.into();
    let bytes = json(&man);
    let dm = Digest::of_bytes(&bytes);
    let mut files = blob_entries(&s, &m);
    files.retain(|(n, _)| !n.ends_with(m.hex()));
    files.push((format!("blobs/sha256/{}", dm.hex()), bytes.clone()));
    let mut d: Descriptor = desc(oci::MEDIA_DOCKER_MANIFEST, dm, bytes.len() as u64);
    d.annotations = ann(&[(oci::ANNOTATION_REF_NAME, "localhost/conv:1")]);
    let index = Index {
        schema_version: 2,
        media_type: None,
        manifests: vec![d],
        annotations: None,
    };
    files.push(("index.json".into(), json(&index)));
    let (_d2, dst) = source();
    let loaded = load(&dst, &tar_of(&files)[..]).unwrap();
    let got = manifest(&dst, &loaded[0].manifest.digest);
    assert_eq!(got.media_type.as_deref(), Some(oci::MEDIA_MANIFEST));
    assert_eq!(got.config.media_type, oci::MEDIA_CONFIG);
    assert_eq!(got.layers[0].media_type, oci::MEDIA_LAYER_GZIP);
    assert_eq!(got.layers[0].digest, manifest(&s, &m).layers[0].digest);
}
