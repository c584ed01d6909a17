//! Hands the linker the order of berth's hot functions (code-order.txt, written by
//! `scripts/code-order`) so that the runtime's run path, the monitor and the everyday
//! commands sit together at the start of .text. The kernel maps program code in 64 KiB
//! windows, so grouping what a command runs is what keeps its resident memory small.
//!
//! Only for release builds on x86_64 Linux, whose default linker (rust-lld) has
//! `--symbol-ordering-file`; `BERTH_CODE_ORDER=0` turns it off (e.g. with another linker).
//! Names the list has but the binary lacks are ignored: a stale list costs memory, not
//! correctness.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=code-order.txt");
    println!("cargo:rerun-if-env-changed=BERTH_CODE_ORDER");
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let lld_target = std::env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let off = std::env::var("BERTH_CODE_ORDER").is_ok_and(|v| v == "0");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let list = Path::new(&dir).join("code-order.txt");
    if release && lld_target && !off && list.is_file() {
        println!(
            "cargo:rustc-link-arg-bin=berth=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=berth=-Wl,--no-warn-symbol-ordering");
    }
}
