use std::collections::BTreeMap;

use berth_store::Digest;

use super::*;

fn entry(os: &str, arch: &str, variant: Option<&str>) -> Descriptor {
    let id = format!("{os}/{arch}/{variant:?}");
    Descriptor {
        media_type: berth_store::oci::MEDIA_MANIFEST.into(),
        digest: Digest::of_bytes(id.as_bytes()),
        size: 100,
        annotations: None,
        platform: Some(Platform {
            architecture: arch.into(),
            os: os.into(),
            variant: variant.map(str::to_string),
        }),
    }
}

fn attestation(of: &Descriptor) -> Descriptor {
    let mut a = entry("unknown", "unknown", None);
    a.digest = Digest::of_bytes(format!("att {}", of.digest).as_bytes());
    a.annotations = Some(BTreeMap::from([
        (
            REFERENCE_TYPE.to_string(),
            "attestation-manifest".to_string(),
        ),
        (
            "vnd.docker.reference.digest".to_string(),
            of.digest.to_string(),
        ),
    ]));
    a
}

/// Like Docker Hub's `alpine`/`busybox` indexes: many platforms, then attestations.
fn hub_index() -> Vec<Descriptor> {
    let mut v = vec![
        entry("linux", "amd64", None),
        entry("linux", "arm", Some("v5")),
        entry("linux", "arm", Some("v6")),
        entry("linux", "arm", Some("v7")),
        entry("linux", "arm64", Some("v8")),
        entry("linux", "386", None),
        entry("linux", "ppc64le", None),
        entry("linux", "riscv64", None),
        entry("linux", "s390x", None),
    ];
    let atts: Vec<Descriptor> = v.iter().map(attestation).collect();
    v.extend(atts);
    v
}

fn want(s: &str) -> PlatformSpec {
    PlatformSpec::parse(s).unwrap()
}

fn picked(s: &str, index: &[Descriptor]) -> Option<String> {
    select(&want(s), index)
        .and_then(|d| d.platform.as_ref())
        .map(|p| PlatformSpec::from_platform(p).to_string())
}

#[test]
fn exact_platforms_from_a_hub_index() {
    let idx = hub_index();
    assert_eq!(picked("linux/amd64", &idx).as_deref(), Some("linux/amd64"));
    assert_eq!(
        picked("linux/arm64", &idx).as_deref(),
        Some("linux/arm64/v8")
    );
    assert_eq!(
        picked("linux/arm64/v8", &idx).as_deref(),
        Some("linux/arm64/v8")
    );
    assert_eq!(picked("aarch64", &idx).as_deref(), Some("linux/arm64/v8"));
    assert_eq!(picked("linux/arm", &idx).as_deref(), Some("linux/arm/v7"));
    assert_eq!(
        picked("linux/arm/v7", &idx).as_deref(),
        Some("linux/arm/v7")
    );
    assert_eq!(
        picked("linux/arm/v6", &idx).as_deref(),
        Some("linux/arm/v6")
    );
    assert_eq!(picked("linux/armel", &idx).as_deref(), Some("linux/arm/v6"));
    assert_eq!(
        picked("linux/arm/v5", &idx).as_deref(),
        Some("linux/arm/v5")
    );
    assert_eq!(picked("linux/386", &idx).as_deref(), Some("linux/386"));
    assert_eq!(picked("linux/i686", &idx).as_deref(), Some("linux/386"));
    assert_eq!(
        picked("linux/ppc64le", &idx).as_deref(),
        Some("linux/ppc64le")
    );
    assert_eq!(picked("linux/s390x", &idx).as_deref(), Some("linux/s390x"));
    assert_eq!(picked("linux/mips64le", &idx), None);
    assert_eq!(picked("windows/amd64", &idx), None);
}

#[test]
fn arm64_entries_with_and_without_variant() {
    let bare = vec![entry("linux", "amd64", None), entry("linux", "arm64", None)];
    assert_eq!(
        picked("linux/arm64/v8", &bare).as_deref(),
        Some("linux/arm64")
    );
    assert_eq!(picked("linux/arm64", &bare).as_deref(), Some("linux/arm64"));
    let spelled = vec![entry("linux", "aarch64", Some("8"))];
    assert_eq!(
        picked("linux/arm64", &spelled).as_deref(),
        Some("linux/aarch64/8")
    );
}

#[test]
fn arm64_minor_variants_fall_back_in_order() {
    let idx = vec![
        entry("linux", "arm64", Some("v8")),
        entry("linux", "arm64", Some("v8.1")),
        entry("linux", "arm64", Some("v8.4")),
    ];
    assert_eq!(
        picked("linux/arm64/v8.2", &idx).as_deref(),
        Some("linux/arm64/v8.1")
    );
    assert_eq!(
        picked("linux/arm64/v8.4", &idx).as_deref(),
        Some("linux/arm64/v8.4")
    );
    assert_eq!(
        picked("linux/arm64/v8.9", &idx).as_deref(),
        Some("linux/arm64/v8.4")
    );
    assert_eq!(
        picked("linux/arm64", &idx).as_deref(),
        Some("linux/arm64/v8")
    );
    // v9.0 diverged from v8.5: v9.1 runs v8.6 and below.
    assert_eq!(
        picked("linux/arm64/v9.1", &idx).as_deref(),
        Some("linux/arm64/v8.4")
    );
    let v9 = vec![
        entry("linux", "arm64", Some("v8.6")),
        entry("linux", "arm64", Some("v9")),
    ];
    assert_eq!(
        picked("linux/arm64/v9.2", &v9).as_deref(),
        Some("linux/arm64/v9")
    );
    assert_eq!(
        picked("linux/arm64/v8.7", &v9).as_deref(),
        Some("linux/arm64/v8.6")
    );
    assert_eq!(picked("linux/arm64/v8.5", &v9), None);
}

#[test]
fn candidate_order_matches_containerd() {
    let names =
        |s: &str| -> Vec<String> { candidates(&want(s)).iter().map(|p| p.to_string()).collect() };
    assert_eq!(
        names("linux/arm64/v9.1"),
        [
            "linux/arm64/v9.1",
            "linux/arm64/v9",
            "linux/arm64/v8.6",
            "linux/arm64/v8.5",
            "linux/arm64/v8.4",
            "linux/arm64/v8.3",
            "linux/arm64/v8.2",
            "linux/arm64/v8.1",
            "linux/arm64/v8",
            "linux/arm/v8",
            "linux/arm/v7",
            "linux/arm/v6",
            "linux/arm/v5",
        ]
    );
    assert_eq!(
        names("linux/amd64/v4"),
        [
            "linux/amd64/v4",
            "linux/amd64/v3",
            "linux/amd64/v2",
            "linux/amd64"
        ]
    );
    assert_eq!(names("linux/amd64"), ["linux/amd64"]);
    assert_eq!(
        names("linux/arm/v8"),
        [
            "linux/arm/v8",
            "linux/arm/v7",
            "linux/arm/v6",
            "linux/arm/v5"
        ]
    );
    assert_eq!(names("linux/arm/v5"), ["linux/arm/v5"]);
    assert_eq!(names("linux/s390x"), ["linux/s390x"]);
}

#[test]
fn arm_falls_back_to_older_variants() {
    let idx = vec![
        entry("linux", "amd64", None),
        entry("linux", "arm", Some("v5")),
        entry("linux", "arm", Some("v6")),
    ];
    assert_eq!(
        picked("linux/arm/v7", &idx).as_deref(),
        Some("linux/arm/v6")
    );
    assert_eq!(picked("linux/arm", &idx).as_deref(), Some("linux/arm/v6"));
    assert_eq!(
        picked("linux/arm/v6", &idx).as_deref(),
        Some("linux/arm/v6")
    );
    assert_eq!(
        picked("linux/arm/v5", &idx).as_deref(),
        Some("linux/arm/v5")
    );
    // arm64 machines run 32-bit arm images, as containerd's matcher allows.
    assert_eq!(picked("linux/arm64", &idx).as_deref(), Some("linux/arm/v6"));
    // ...but never a newer variant than asked for.
    let v7_only = vec![entry("linux", "arm", Some("v7"))];
    assert_eq!(picked("linux/arm/v6", &v7_only), None);
}

#[test]
fn amd64_levels_fall_back_but_never_to_386() {
    let idx = vec![
        entry("linux", "386", None),
        entry("linux", "amd64", None),
        entry("linux", "amd64", Some("v2")),
    ];
    assert_eq!(
        picked("linux/amd64/v3", &idx).as_deref(),
        Some("linux/amd64/v2")
    );
    assert_eq!(
        picked("linux/amd64/v2", &idx).as_deref(),
        Some("linux/amd64/v2")
    );
    assert_eq!(picked("linux/amd64", &idx).as_deref(), Some("linux/amd64"));
    let plain = vec![entry("linux", "386", None), entry("linux", "x86_64", None)];
    assert_eq!(
        picked("linux/amd64/v3", &plain).as_deref(),
        Some("linux/x86_64")
    );
    let only_386 = vec![entry("linux", "386", None), entry("linux", "arm64", None)];
    assert_eq!(picked("linux/amd64", &only_386), None);
    assert_eq!(picked("linux/amd64/v2", &only_386), None);
    // A newer level than asked for is not picked.
    let v3 = vec![entry("linux", "amd64", Some("v3"))];
    assert_eq!(picked("linux/amd64", &v3), None);
}

#[test]
fn ties_go_to_the_first_entry() {
    let mut a = entry("linux", "amd64", None);
    let mut b = entry("linux", "amd64", Some("v1"));
    a.size = 1;
    b.size = 2;
    let idx = vec![a, b];
    assert_eq!(select(&want("linux/amd64"), &idx).map(|d| d.size), Some(1));
    let idx = vec![idx[1].clone(), idx[0].clone()];
    assert_eq!(select(&want("linux/amd64"), &idx).map(|d| d.size), Some(2));
}

#[test]
fn entries_without_platform() {
    let mut lone = entry("linux", "amd64", None);
    lone.platform = None;
    let one = vec![lone.clone()];
    assert!(select(&want("linux/s390x"), &one).is_some());
    let two = vec![lone.clone(), lone];
    assert!(select(&want("linux/amd64"), &two).is_none());
    assert!(select(&want("linux/amd64"), &[]).is_none());
}

#[test]
fn other_operating_systems_never_match() {
    let idx = vec![
        entry("windows", "amd64", None),
        entry("darwin", "arm64", None),
        entry("linux", "arm64", None),
    ];
    assert_eq!(picked("linux/amd64", &idx), None);
    assert_eq!(picked("linux/arm64", &idx).as_deref(), Some("linux/arm64"));
    assert_eq!(picked("macos/arm64", &idx).as_deref(), Some("darwin/arm64"));
}

#[test]
fn unknown_attestation_entries_are_never_picked() {
    let idx: Vec<Descriptor> = hub_index().into_iter().skip(9).collect();
    assert_eq!(idx.len(), 9);
    assert_eq!(picked("linux/amd64", &idx), None);
    assert_eq!(describe_available(&idx), "");
}

#[test]
fn describes_available_platforms_like_docker() {
    let idx = hub_index();
    assert_eq!(
        describe_available(&idx),
        "linux/amd64, linux/arm/v5, linux/arm/v6, linux/arm/v7, linux/arm64/v8, \
         linux/386, linux/ppc64le, linux/riscv64, linux/s390x"
    );
    let small = vec![
        entry("linux", "amd64", None),
        entry("linux", "arm64", Some("v8")),
    ];
    let err = no_match(&want("linux/s390x"), &small);
    assert_eq!(
        err.to_string(),
        "no matching manifest for linux/s390x in the manifest list entries \
         (available: linux/amd64, linux/arm64/v8)"
    );
    assert!(matches!(
        no_match(&want("linux/s390x"), &[]),
        Error::NoMatchingPlatform { available, .. } if available.is_empty()
    ));
}
