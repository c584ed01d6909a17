//! containerd's normalisation of platform names (`platforms/database.go`): `aarch64` is
//! `arm64`, `x86_64` is `amd64`, `armhf` is `arm` v7, a bare `arm` is v7, and so on; plus the
//! lists of operating systems and architectures Go knows, which decide what a one-word
//! `--platform` means.

/// `os` in canonical form: lower case, `macos` spelled `darwin`.
pub(crate) fn normalize_os(os: &str) -> String {
    let os = os.to_ascii_lowercase();
    match os.as_str() {
        "macos" => "darwin".to_string(),
        _ => os,
    }
}

/// `(architecture, variant)` in canonical form, with `""` for no variant. Unlike containerd
/// (which spells arm64 v8 as no variant), arm64 without a variant is `v8`, so canonical forms
/// compare equal either way; amd64 `v1` is no variant; arm without a variant is `v7`.
pub(crate) fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    match arch.as_str() {
        "i386" | "i686" | "x86" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let v = if variant == "v1" {
                String::new()
            } else {
                variant
            };
            ("amd64".into(), v)
        }
        "aarch64" | "arm64" => {
            let v = match variant.as_str() {
                "" | "8" | "v8" | "v8.0" => "v8".to_string(),
                "9" | "9.0" | "v9.0" => "v9".to_string(),
                _ => variant,
            };
            ("arm64".into(), v)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let v = match variant.as_str() {
                "" | "7" => "v7".to_string(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), v)
        }
        _ => (arch, variant),
    }
}

/// Whether Go knows `os` (already normalised) as an operating system.
pub(crate) fn is_known_os(os: &str) -> bool {
    matches!(
        os,
        "aix"
            | "android"
            | "darwin"
            | "dragonfly"
            | "freebsd"
            | "hurd"
            | "illumos"
            | "ios"
            | "js"
            | "linux"
            | "nacl"
            | "netbsd"
            | "openbsd"
            | "plan9"
            | "solaris"
            | "windows"
            | "zos"
    )
}

/// Whether Go knows `arch` (already normalised) as an architecture.
pub(crate) fn is_known_arch(arch: &str) -> bool {
    matches!(
        arch,
        "386"
            | "amd64"
            | "amd64p32"
            | "arm"
            | "armbe"
            | "arm64"
            | "arm64be"
            | "ppc64"
            | "ppc64le"
            | "loong64"
            | "mips"
            | "mipsle"
            | "mips64"
            | "mips64le"
            | "mips64p32"
            | "mips64p32le"
            | "ppc"
            | "riscv"
            | "riscv64"
            | "s390"
            | "s390x"
            | "sparc"
            | "sparc64"
            | "wasm"
    )
}

/// Whether `part` is a valid platform component: `^[A-Za-z0-9_.-]+$`, without the `.` for
/// the operating system (the first component).
pub(crate) fn is_component(part: &str, first: bool) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && !first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(arch: &str, variant: &str) -> (String, String) {
        normalize_arch(arch, variant)
    }

    #[test]
    fn architecture_aliases() {
        assert_eq!(n("aarch64", ""), ("arm64".into(), "v8".into()));
        assert_eq!(n("ARM64", "8"), ("arm64".into(), "v8".into()));
        assert_eq!(n("arm64", "v8.2"), ("arm64".into(), "v8.2".into()));
        assert_eq!(n("arm64", "9"), ("arm64".into(), "v9".into()));
        assert_eq!(n("x86_64", ""), ("amd64".into(), "".into()));
        assert_eq!(n("x86-64", "v1"), ("amd64".into(), "".into()));
        assert_eq!(n("amd64", "v3"), ("amd64".into(), "v3".into()));
        assert_eq!(n("i386", "whatever"), ("386".into(), "".into()));
        assert_eq!(n("i686", ""), ("386".into(), "".into()));
        assert_eq!(n("armhf", ""), ("arm".into(), "v7".into()));
        assert_eq!(n("armel", "v7"), ("arm".into(), "v6".into()));
        assert_eq!(n("arm", ""), ("arm".into(), "v7".into()));
        assert_eq!(n("arm", "7"), ("arm".into(), "v7".into()));
        assert_eq!(n("arm", "5"), ("arm".into(), "v5".into()));
        assert_eq!(n("s390x", ""), ("s390x".into(), "".into()));
    }

    #[test]
    fn os_and_components() {
        assert_eq!(normalize_os("Linux"), "linux");
        assert_eq!(normalize_os("macos"), "darwin");
        assert!(is_known_os("windows") && !is_known_os("amd64"));
        assert!(is_known_arch("riscv64") && !is_known_arch("linux"));
        assert!(is_component("arm_64-x", true) && !is_component("", false));
        assert!(!is_component("a b", false) && !is_component("a/b", false));
        assert!(is_component("v8.2", false) && !is_component("linux.1", true));
    }
}
