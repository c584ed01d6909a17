//! Picking an image index entry for a platform, in the order of containerd's
//! `platforms.Only`: the exact platform first, then the older variants the machine also
//! runs: arm64 `v9.x` -> `v9.(x-1)` .. `v9` -> `v8.(x+5)` .. `v8`, arm64 `v8.x` -> .. `v8`,
//! then 32-bit arm `v8` -> `v7` -> `v6` -> `v5`; amd64 `vN` -> .. `v2` -> plain amd64.
//! Unlike containerd, amd64 never falls back to 386: a missing amd64 image is an error,
//! not a silent 32-bit pull.

use berth_store::oci::{Descriptor, Platform};

use super::normalize::normalize_arch;
use super::PlatformSpec;
use crate::error::Error;

/// Annotation Docker's buildx puts on attestation (provenance, SBOM) entries of an index.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// The entry of `manifests` (an image index's entries) for `want`, or `None` when none fits.
///
/// Exact matches (operating system, architecture and variant, all normalised) win; then the
/// compatible fallbacks in containerd's order (see the module documentation); among equally
/// good entries the first in index order. Entries for another operating system never match.
/// An entry without a platform matches only when it is the index's only entry.
pub fn select<'a>(want: &PlatformSpec, manifests: &'a [Descriptor]) -> Option<&'a Descriptor> {
    if let [only] = manifests {
        if only.platform.is_none() {
            return Some(only);
        }
    }
    let entries: Vec<(PlatformSpec, &Descriptor)> = manifests
        .iter()
        .filter_map(|d| Some((canonical(d.platform.as_ref()?), d)))
        .collect();
    candidates(want)
        .iter()
        .find_map(|c| entries.iter().find(|(p, _)| p == c).map(|(_, d)| *d))
}

/// The platforms of `manifests`, for an error message: `linux/amd64, linux/arm64/v8`, as the
/// index spells them, in index order without repeats. Attestation entries (`unknown/unknown`)
/// and entries without a platform are left out.
pub fn describe_available(manifests: &[Descriptor]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for d in manifests {
        let Some(p) = &d.platform else { continue };
        if is_attestation(d, p) {
            continue;
        }
        let s = PlatformSpec::from_platform(p).to_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen.join(", ")
}

/// Docker's error for an index with no entry for `want`: `no matching manifest for
/// linux/s390x in the manifest list entries (available: linux/amd64, linux/arm64/v8)`.
pub fn no_match(want: &PlatformSpec, manifests: &[Descriptor]) -> Error {
    Error::NoMatchingPlatform {
        platform: want.to_string(),
        available: describe_available(manifests),
    }
}

fn is_attestation(d: &Descriptor, p: &Platform) -> bool {
    let annotated = d
        .annotations
        .as_ref()
        .and_then(|a| a.get(REFERENCE_TYPE))
        .is_some_and(|t| t == "attestation-manifest");
    annotated || (p.os == "unknown" && p.architecture == "unknown")
}

fn canonical(p: &Platform) -> PlatformSpec {
    PlatformSpec::from_platform(p).normalized()
}

fn spec(want: &PlatformSpec, arch: &str, variant: &str) -> PlatformSpec {
    let (architecture, variant) = normalize_arch(arch, variant);
    PlatformSpec {
        os: want.os.clone(),
        architecture,
        variant: (!variant.is_empty()).then_some(variant),
    }
}

/// Parses `vN` or `vN.M` (a missing minor is 0).
fn version(variant: &str) -> Option<(u32, u32)> {
    let v = variant.strip_prefix('v').unwrap_or(variant);
    let (major, minor) = match v.split_once('.') {
        Some((a, b)) => (a, b),
        None => (v, "0"),
    };
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The platforms `want` accepts, best first (containerd's `platformVector`, without 386).
pub(crate) fn candidates(want: &PlatformSpec) -> Vec<PlatformSpec> {
    let want = want.normalized();
    let variant = want.variant.clone().unwrap_or_default();
    let mut out = vec![want.clone()];
    match want.architecture.as_str() {
        "amd64" => {
            if let Some((level, 0)) = version(&variant) {
                for l in (1..level).rev() {
                    out.push(spec(&want, "amd64", &format!("v{l}")));
                }
            }
        }
        "arm" => out.extend(arm_chain(&want, &variant)),
        "arm64" => {
            if let Some((mut major, mut minor)) = version(&variant) {
                if major >= 8 {
                    if major == 9 {
                        for m in (0..minor).rev() {
                            out.push(spec(&want, "arm64", &arm64_variant(9, m)));
                        }
                        // v9.0 diverged from v8.5: v9.x runs v8.(x+5).
                        minor += 5;
                        major = 8;
                        out.push(spec(&want, "arm64", &arm64_variant(8, minor)));
                    }
                    for m in (0..minor).rev() {
                        out.push(spec(&want, "arm64", &arm64_variant(major, m)));
                    }
                }
            }
            let arm = if variant.starts_with("v8.") || variant.starts_with("v9") {
                "v8".to_string()
            } else {
                variant
            };
            out.push(spec(&want, "arm", &arm));
            out.extend(arm_chain(&want, &arm));
        }
        _ => {}
    }
    out.dedup();
    out
}

fn arm64_variant(major: u32, minor: u32) -> String {
    if minor == 0 {
        format!("v{major}")
    } else {
        format!("v{major}.{minor}")
    }
}

/// 32-bit arm below `variant`: `v7` -> `v6`, `v5`.
fn arm_chain(want: &PlatformSpec, variant: &str) -> Vec<PlatformSpec> {
    match version(variant) {
        Some((level, 0)) if level > 5 => (5..level)
            .rev()
            .map(|l| spec(want, "arm", &format!("v{l}")))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;
