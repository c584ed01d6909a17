//! What berth itself can grant a container: the capabilities in its bounding set, the
//! rlimits it may set.

/// Drops capabilities berth itself does not hold (its bounding set): Docker's "all
/// capabilities" (`--privileged`, `--cap-add ALL`) means all the engine can grant.
pub(crate) fn keep_grantable_caps(spec: &mut serde_json::Value) {
    let Ok(held) = caps::read(None, caps::CapSet::Bounding) else {
        return;
    };
    let Some(sets) = spec
        .pointer_mut("/process/capabilities")
        .and_then(|c| c.as_object_mut())
    else {
        return;
    };
    for set in sets.values_mut() {
        if let Some(list) = set.as_array_mut() {
            list.retain(|c| {
                c.as_str()
                    .and_then(|n| n.parse::<caps::Capability>().ok())
                    .is_none_or(|cap| held.contains(&cap))
            });
        }
    }
}

/// Caps an rlimit at what this process may set (no CAP_SYS_RESOURCE here: a hard limit
/// cannot be raised).
pub(crate) fn cap_rlimit(name: &str, soft: u64, hard: u64) -> (u64, u64) {
    use nix::sys::resource::{getrlimit, Resource};
    let res = match name.to_ascii_lowercase().trim_start_matches("rlimit_") {
        "nofile" => Resource::RLIMIT_NOFILE,
        "nproc" => Resource::RLIMIT_NPROC,
        "core" => Resource::RLIMIT_CORE,
        "stack" => Resource::RLIMIT_STACK,
        "memlock" => Resource::RLIMIT_MEMLOCK,
        "fsize" => Resource::RLIMIT_FSIZE,
        "cpu" => Resource::RLIMIT_CPU,
        "as" => Resource::RLIMIT_AS,
        "data" => Resource::RLIMIT_DATA,
        "msgqueue" => Resource::RLIMIT_MSGQUEUE,
        "nice" => Resource::RLIMIT_NICE,
        "rtprio" => Resource::RLIMIT_RTPRIO,
        "sigpending" => Resource::RLIMIT_SIGPENDING,
        _ => return (soft, hard),
    };
    match getrlimit(res) {
        Ok((_, max)) => (soft.min(max), hard.min(max)),
        Err(_) => (soft, hard),
    }
}
