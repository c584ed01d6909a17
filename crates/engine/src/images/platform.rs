//! Whether a stored image can run on this machine: an image of another platform may be
//! pulled (`--platform`), but running it needs an emulator registered with binfmt_misc.

use std::path::Path;

use berth_registry::platform::{matches_host, PlatformSpec};

use crate::error::{Error, Result};
use crate::images::resolve::Image;

/// Where the kernel lists its binfmt_misc handlers.
const BINFMT_MISC: &str = "/proc/sys/fs/binfmt_misc";

/// An error naming both platforms when `image` is for another machine and no emulator
/// for its architecture is registered.
pub fn check_runnable(image: &Image, name: &str) -> Result<()> {
    let c = &image.config;
    let os = if c.os.is_empty() { "linux" } else { &c.os };
    if c.architecture.is_empty() || matches_host(os, &c.architecture, c.variant.as_deref()) {
        return Ok(());
    }
    if os == "linux" && emulator_registered(&c.architecture) {
        return Ok(());
    }
    let mut platform = format!("{os}/{}", c.architecture);
    if let Some(v) = &c.variant {
        platform.push('/');
        platform.push_str(v);
    }
    Err(Error::Invalid(format!(
        "image {name} is for {platform}, but this machine is {} and has no emulator for it \
         (register one with binfmt_misc, e.g. Debian's qemu-user-binfmt, or pull the image \
         for this platform: berth pull --platform {} {name})",
        PlatformSpec::host(),
        PlatformSpec::host()
    )))
}

/// Whether a binfmt_misc handler for `architecture` (qemu's names) is registered.
fn emulator_registered(architecture: &str) -> bool {
    let qemu = match architecture {
        "arm64" => "aarch64",
        "amd64" => "x86_64",
        "386" => "i386",
        "ppc64le" => "ppc64le",
        "arm" => "arm",
        other => other,
    };
    let entry = Path::new(BINFMT_MISC).join(format!("qemu-{qemu}"));
    std::fs::read_to_string(entry).is_ok_and(|s| s.lines().next() == Some("enabled"))
}
