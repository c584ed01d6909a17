//! Profiles: which services are enabled (`--profile`, `COMPOSE_PROFILES`, `*`, services named
//! on the command line), and the check that no enabled service depends on a disabled one.

use std::collections::{BTreeMap, BTreeSet};

use super::service::Service;

/// Whether `s` is on for the active `profiles` (a service without profiles always is).
pub(crate) fn enabled_by_profiles(s: &Service, profiles: &[String]) -> bool {
    s.profiles.is_empty()
        || profiles.iter().any(|p| p == "*")
        || s.profiles.iter().any(|p| profiles.contains(p))
}

/// The services to keep: enabled by profile or named in `named`.
pub(crate) fn enabled<'a>(
    services: &'a BTreeMap<String, Service>,
    profiles: &[String],
    named: &[String],
) -> BTreeSet<&'a str> {
    services
        .values()
        .filter(|s| enabled_by_profiles(s, profiles) || named.contains(&s.name))
        .map(|s| s.name.as_str())
        .collect()
}
