//! Fuzz targets (see tests/fuzz): what a registry sends berth, parsed without a network:
//! manifests and indexes (any Content-Type), platform selection in an index, and
//! `WWW-Authenticate` challenges. Every input must give `Ok` or an error: no panic, no hang.

use berth_fuzz::fuzz_target;
use berth_registry::auth::challenge;
use berth_registry::manifest::{self, Document};
use berth_registry::platform::{describe_available, select, PlatformSpec};
use berth_store::oci;

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "1e999",
    "-1",
    "\\u0000",
    "\"mediaType\":",
    "\"manifests\":",
    "\"platform\":",
    "\"architecture\":",
    "\"os\":",
    "\"variant\":",
    "\"os.version\":",
    "\"os.features\":",
    "\"config\":",
    "\"layers\":",
    "\"schemaVersion\":",
    "\"sha256:",
    "\"arm64\"",
    "\"v8\"",
    "\"windows\"",
    "Bearer ",
    "realm=",
    "service=",
    "scope=",
    "error=",
    "=\"",
    "\\\"",
];

/// The Content-Types a registry may answer with; the input's first byte picks one.
const MEDIA_TYPES: &[&str] = &[
    "",
    "application/json",
    oci::MEDIA_MANIFEST,
    oci::MEDIA_INDEX,
    oci::MEDIA_DOCKER_MANIFEST,
    oci::MEDIA_DOCKER_LIST,
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

fn seeds() -> Vec<Vec<u8>> {
    let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut seeds: Vec<Vec<u8>> = [
        format!(r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{d}","size":1,"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"{}","digest":"{d}","size":2,"platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}},{{"mediaType":"{}","digest":"{d}","size":3,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},{{"mediaType":"{}","digest":"{d}","size":4,"platform":{{"architecture":"unknown","os":"unknown"}}}}]}}"#, oci::MEDIA_INDEX, oci::MEDIA_MANIFEST, oci::MEDIA_MANIFEST, oci::MEDIA_MANIFEST, oci::MEDIA_MANIFEST),
        format!(r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{d}","size":0}},"layers":[{{"mediaType":"{}","digest":"{d}","size":0}}]}}"#, oci::MEDIA_DOCKER_MANIFEST, oci::MEDIA_DOCKER_CONFIG, oci::MEDIA_DOCKER_LAYER_GZIP),
        r#"{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]}"#.to_string(),
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#.to_string(),
        r#"Basic realm="Registry Realm", Bearer realm="https://x/token",error="invalid_token""#.to_string(),
        "linux/arm64/v8".to_string(),
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    // Each document also with a Content-Type byte in front.
    let typed: Vec<Vec<u8>> = seeds
        .iter()
        .enumerate()
        .map(|(i, s)| [&[i as u8][..], s].concat())
        .collect();
    seeds.extend(typed);
    seeds
}

#[test]
fn fuzz_registry_documents() {
    let wants: Vec<PlatformSpec> = ["linux/amd64", "linux/arm64", "linux/arm/v7", "windows"]
        .iter()
        .filter_map(|s| PlatformSpec::parse(s).ok())
        .chain([PlatformSpec::host()])
        .collect();
    fuzz_target!(
        seeds = seeds(),
        max_len = 64 * 1024,
        dictionary = JSON_TOKENS,
        body = |input: &[u8]| {
            let (media_type, doc) = match input.split_first() {
                Some((b, rest)) if usize::from(*b) < MEDIA_TYPES.len() => {
                    (MEDIA_TYPES[usize::from(*b)], rest)
                }
                _ => ("", input),
            };
            if let Ok(Document::Index(index)) = manifest::parse(media_type, doc, "fuzz") {
                for want in &wants {
                    let _ = select(want, &index.manifests);
                }
                let _ = describe_available(&index.manifests);
            }
            let text = String::from_utf8_lossy(input);
            for c in challenge::parse(&text) {
                let _ = c.param("realm");
            }
            if let Ok(spec) = PlatformSpec::parse(&text) {
                let _ = spec.normalized();
            }
        },
    );
}
