//! Whole-engine commands: `info`, `version`, `system df`, `system prune`, `system check`,
//! and the queries behind `events`.

pub mod check;
mod check_containers;
mod check_networks;
mod check_store;
mod check_volumes;
pub mod df;
pub mod event_filter;
pub mod info;
pub mod prune;
pub mod prune_filter;
mod util;

pub(crate) use check_store::remove_path;
