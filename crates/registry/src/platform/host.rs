//! Whether an image runs on this machine natively, without an emulator (binfmt/QEMU).

use super::normalize::{normalize_arch, normalize_os};
use super::PlatformSpec;

/// Whether an image for `os`/`arch`/`variant` (as its configuration names them) runs on this
/// machine without an emulator.
///
/// Conservative: the architecture must be the host's, or the image 386 on an amd64 host (as
/// Docker runs them). Variants the host may lack are refused: amd64 images up to `v2` (higher
/// levels need CPU features not probed), arm64 `v8` (or none), 32-bit arm up to `v7`. An
/// empty `os` counts as `linux`, as Docker reads old images.
pub fn matches_host(os: &str, arch: &str, variant: Option<&str>) -> bool {
    runs_on(&PlatformSpec::host(), os, arch, variant)
}

/// [`matches_host`] for a given host platform.
pub(crate) fn runs_on(host: &PlatformSpec, os: &str, arch: &str, variant: Option<&str>) -> bool {
    let host = host.normalized();
    let os = if os.is_empty() {
        "linux".to_string()
    } else {
        normalize_os(os)
    };
    if os != host.os {
        return false;
    }
    let (arch, variant) = normalize_arch(arch, variant.unwrap_or(""));
    if arch == host.architecture {
        return match arch.as_str() {
            "amd64" => matches!(variant.as_str(), "" | "v2"),
            "arm64" => variant == "v8",
            "arm" => {
                let level = |v: &str| v.strip_prefix('v').and_then(|n| n.parse::<u32>().ok());
                let host_level = host.variant.as_deref().and_then(level).unwrap_or(7);
                level(&variant).is_some_and(|l| (5..=host_level).contains(&l))
            }
            _ => true,
        };
    }
    host.architecture == "amd64" && arch == "386"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> PlatformSpec {
        PlatformSpec::parse(s).unwrap()
    }

    #[test]
    fn amd64_host() {
        let h = host("linux/amd64");
        assert!(runs_on(&h, "linux", "amd64", None));
        assert!(runs_on(&h, "linux", "x86_64", Some("v1")));
        assert!(runs_on(&h, "linux", "amd64", Some("v2")));
        assert!(!runs_on(&h, "linux", "amd64", Some("v3")));
        assert!(runs_on(&h, "linux", "386", None));
        assert!(runs_on(&h, "linux", "i386", None));
        assert!(runs_on(&h, "", "amd64", None));
        assert!(!runs_on(&h, "windows", "amd64", None));
        assert!(!runs_on(&h, "linux", "arm64", Some("v8")));
        assert!(!runs_on(&h, "linux", "arm", Some("v7")));
        assert!(!runs_on(&h, "linux", "s390x", None));
    }

    #[test]
    fn arm64_host() {
        let h = PlatformSpec {
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: Some("v8".into()),
        };
        assert!(runs_on(&h, "linux", "arm64", None));
        assert!(runs_on(&h, "linux", "aarch64", Some("v8")));
        assert!(!runs_on(&h, "linux", "arm64", Some("v9")));
        assert!(!runs_on(&h, "linux", "arm", Some("v7")));
        assert!(!runs_on(&h, "linux", "amd64", None));
        assert!(!runs_on(&h, "linux", "386", None));
    }

    #[test]
    fn arm_host() {
        let h = host("linux/arm");
        assert!(runs_on(&h, "linux", "arm", None));
        assert!(runs_on(&h, "linux", "arm", Some("v6")));
        assert!(runs_on(&h, "linux", "armhf", None));
        assert!(!runs_on(&h, "linux", "arm", Some("v8")));
        let v6 = host("linux/arm/v6");
        assert!(!runs_on(&v6, "linux", "arm", Some("v7")));
        assert!(runs_on(&v6, "linux", "arm", Some("v5")));
    }

    #[test]
    fn other_architectures_need_equal_names() {
        let h = host("linux/s390x");
        assert!(runs_on(&h, "linux", "s390x", None));
        assert!(!runs_on(&h, "linux", "ppc64le", None));
    }

    #[test]
    fn this_host_runs_its_own_images() {
        let h = PlatformSpec::host();
        assert!(matches_host("linux", &h.architecture, h.variant.as_deref()));
        assert!(!matches_host("windows", &h.architecture, None));
    }
}
