//! Platforms as containerd's `platforms` package handles them: parsing `--platform` strings
//! (`linux/arm64/v8`, `linux/amd64`, `arm64`, `linux`) with its normalisation, picking the
//! manifest of an image index for a platform (exact match first, then the compatible older
//! variants in containerd's order), and telling whether an image runs on this machine
//! without an emulator.

mod host;
mod normalize;
mod select;

use std::fmt;
use std::str::FromStr;

use berth_store::oci::Platform;

use crate::error::{Error, Result};

pub use host::matches_host;
pub use select::{describe_available, no_match, select};

/// A platform: operating system, architecture and optional variant, as the user or an image
/// index names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlatformSpec {
    /// Operating system (`linux`).
    pub os: String,
    /// Architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Architecture variant (`v7`, `v8`), if any.
    pub variant: Option<String>,
}

impl PlatformSpec {
    /// Parses a platform specifier as containerd's `platforms.Parse` does:
    /// `os`, `arch`, `os/arch` or `os/arch/variant`, each part `[A-Za-z0-9_.-]+` (no `.` in
    /// the operating system; Windows' `os(version)` form is not taken).
    ///
    /// One word is an operating system when Go knows it as one (the architecture is then the
    /// host's), else an architecture (the operating system is then `linux`). Names are
    /// normalised (`aarch64` is `arm64`, `x86_64` is `amd64`, `i386` is `386`, `armhf` is
    /// `arm/v7`, `armel` is `arm/v6`, variant `8` is `v8`, amd64 `v1` is no variant); as in
    /// containerd, `arm/v7` given without its variant keeps none, and `arm64` given with an
    /// empty-after-normalising variant is `v8`.
    pub fn parse(specifier: &str) -> Result<PlatformSpec> {
        let invalid =
            |why: String| Error::Invalid(format!("invalid platform {specifier:?}: {why}"));
        if specifier.contains('*') {
            return Err(invalid("wildcards are not supported".into()));
        }
        let parts: Vec<&str> = specifier.splitn(4, '/').collect();
        let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
        if !normalize::is_component(first, true) {
            return Err(invalid(format!(
                "{first:?} is an invalid operating system: it must match ^[A-Za-z0-9_-]+$"
            )));
        }
        if let Some(bad) = rest.iter().find(|p| !normalize::is_component(p, false)) {
            return Err(invalid(format!(
                "{bad:?} is an invalid component: it must match ^[A-Za-z0-9_.-]+$"
            )));
        }
        match parts.as_slice() {
            [word] => {
                let os = normalize::normalize_os(word);
                if normalize::is_known_os(&os) {
                    let host = PlatformSpec::host();
                    return Ok(PlatformSpec {
                        os,
                        architecture: host.architecture,
                        variant: host.variant,
                    });
                }
                let (arch, variant) = normalize::normalize_arch(word, "");
                if !normalize::is_known_arch(&arch) {
                    return Err(invalid("unknown operating system or architecture".into()));
                }
                Ok(Self::without_default_variant("linux".into(), arch, variant))
            }
            [os, arch] => {
                let (arch, variant) = normalize::normalize_arch(arch, "");
                Ok(Self::without_default_variant(
                    normalize::normalize_os(os),
                    arch,
                    variant,
                ))
            }
            [os, arch, variant] => {
                let (arch, variant) = normalize::normalize_arch(arch, variant);
                Ok(PlatformSpec {
                    os: normalize::normalize_os(os),
                    architecture: arch,
                    variant: non_empty(variant),
                })
            }
            _ => Err(invalid("cannot parse platform specifier".into())),
        }
    }

    /// The platform berth runs on: `linux`, the host's architecture, and for arm64 the
    /// variant `v8` (the 32-bit arm variant is not probed: none, which matches as `v7`).
    pub fn host() -> PlatformSpec {
        let arch = berth_store::oci::host_architecture();
        PlatformSpec {
            os: "linux".into(),
            architecture: arch.into(),
            variant: (arch == "arm64").then(|| "v8".to_string()),
        }
    }

    /// The platform of an image index entry or image configuration, as written there.
    pub fn from_platform(p: &Platform) -> PlatformSpec {
        PlatformSpec {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: p.variant.clone().filter(|v| !v.is_empty()),
        }
    }

    /// This platform as an OCI platform object.
    pub fn to_platform(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
        }
    }

    /// The canonical form used for matching: names normalised, arm64 without a variant is
    /// `v8`, arm without a variant is `v7`, amd64 `v1` is no variant.
    pub fn normalized(&self) -> PlatformSpec {
        let (arch, variant) =
            normalize::normalize_arch(&self.architecture, self.variant.as_deref().unwrap_or(""));
        PlatformSpec {
            os: normalize::normalize_os(&self.os),
            architecture: arch,
            variant: non_empty(variant),
        }
    }

    /// Whether `p` is exactly this platform once both are normalised (no fallbacks).
    pub fn matches(&self, p: &Platform) -> bool {
        self.normalized() == PlatformSpec::from_platform(p).normalized()
    }

    /// containerd keeps no variant for arm (`v7`) and arm64 (`v8`) when the user gave none.
    fn without_default_variant(os: String, arch: String, variant: String) -> PlatformSpec {
        let default = (arch == "arm" && variant == "v7") || (arch == "arm64" && variant == "v8");
        let variant = if default { None } else { non_empty(variant) };
        PlatformSpec {
            os,
            architecture: arch,
            variant,
        }
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for PlatformSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<PlatformSpec> {
        PlatformSpec::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PlatformSpec {
        PlatformSpec::parse(s).unwrap()
    }

    fn spec(os: &str, arch: &str, variant: Option<&str>) -> PlatformSpec {
        PlatformSpec {
            os: os.into(),
            architecture: arch.into(),
            variant: variant.map(str::to_string),
        }
    }

    #[test]
    fn parses_full_specifiers() {
        assert_eq!(p("linux/arm64/v8"), spec("linux", "arm64", Some("v8")));
        assert_eq!(p("linux/arm64/8"), spec("linux", "arm64", Some("v8")));
        assert_eq!(p("linux/aarch64"), spec("linux", "arm64", None));
        assert_eq!(p("linux/amd64"), spec("linux", "amd64", None));
        assert_eq!(p("linux/x86_64"), spec("linux", "amd64", None));
        assert_eq!(p("Linux/X86-64"), spec("linux", "amd64", None));
        assert_eq!(p("linux/amd64/v1"), spec("linux", "amd64", None));
        assert_eq!(p("linux/amd64/v3"), spec("linux", "amd64", Some("v3")));
        assert_eq!(p("linux/i386"), spec("linux", "386", None));
        assert_eq!(p("linux/i686"), spec("linux", "386", None));
        assert_eq!(p("linux/arm"), spec("linux", "arm", None));
        assert_eq!(p("linux/arm/7"), spec("linux", "arm", Some("v7")));
        assert_eq!(p("linux/arm/v6"), spec("linux", "arm", Some("v6")));
        assert_eq!(p("linux/armhf"), spec("linux", "arm", None));
        assert_eq!(p("linux/armel"), spec("linux", "arm", Some("v6")));
        assert_eq!(p("macos/arm64"), spec("darwin", "arm64", None));
        // Unknown names in the two-part form are accepted as they are, as containerd does.
        assert_eq!(p("linux/mycpu"), spec("linux", "mycpu", None));
    }

    #[test]
    fn one_word_is_an_os_or_an_architecture() {
        let host = PlatformSpec::host();
        assert_eq!(p("linux"), host);
        assert_eq!(p("arm64"), spec("linux", "arm64", None));
        assert_eq!(p("aarch64"), spec("linux", "arm64", None));
        assert_eq!(p("s390x"), spec("linux", "s390x", None));
        assert_eq!(p("armhf"), spec("linux", "arm", None));
        assert_eq!(p("windows").os, "windows");
    }

    #[test]
    fn bad_specifiers_are_invalid() {
        for bad in [
            "",
            "x",
            "linux/",
            "/amd64",
            "linux//v8",
            "linux/amd64/v8/extra",
            "linux/*",
            "linux/arm 64",
            "lin.ux/amd64",
            "windows(10.0.17763)/amd64",
        ] {
            match PlatformSpec::parse(bad) {
                Err(Error::Invalid(msg)) => {
                    assert!(
                        msg.starts_with(&format!("invalid platform {bad:?}: ")),
                        "{bad:?}: {msg}"
                    )
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        let Err(Error::Invalid(msg)) = PlatformSpec::parse("x") else {
            panic!()
        };
        assert_eq!(
            msg,
            "invalid platform \"x\": unknown operating system or architecture"
        );
    }

    #[test]
    fn displays_os_arch_variant() {
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64/v8");
        assert_eq!(p("linux/amd64").to_string(), "linux/amd64");
        assert_eq!(p("linux/arm/7").to_string(), "linux/arm/v7");
        assert_eq!(
            "linux/arm64".parse::<PlatformSpec>().unwrap(),
            p("linux/arm64")
        );
    }

    #[test]
    fn host_is_linux_on_this_architecture() {
        let h = PlatformSpec::host();
        assert_eq!(h.os, "linux");
        assert_eq!(h.architecture, berth_store::oci::host_architecture());
        if h.architecture == "arm64" {
            assert_eq!(h.variant.as_deref(), Some("v8"));
        }
    }

    #[test]
    fn normalized_forms_compare_equal() {
        assert_eq!(
            p("linux/arm64").normalized(),
            p("linux/arm64/v8").normalized()
        );
        assert_eq!(p("linux/arm64").normalized().variant.as_deref(), Some("v8"));
        assert_eq!(p("linux/arm").normalized(), p("linux/arm/v7").normalized());
        assert_eq!(
            p("linux/amd64/v1").normalized(),
            p("linux/amd64").normalized()
        );
        let entry = Platform {
            architecture: "aarch64".into(),
            os: "linux".into(),
            variant: None,
        };
        assert!(p("linux/arm64/v8").matches(&entry));
        assert!(!p("linux/arm64/v8.2").matches(&entry));
        assert_eq!(PlatformSpec::from_platform(&entry).to_platform(), entry);
    }
}
