//! Containers: create, start, stop, remove, inspect, exec; their records and live state.

pub mod brief;
pub mod checkpoint;
pub mod copy;
pub mod create;
pub mod exec;
pub mod lifecycle;
pub mod listing;
pub mod record;
pub mod remove;
pub mod rootfs;
pub mod safe_path;
pub mod skeleton;
pub mod state;
pub mod stats;
pub mod view;

pub use brief::ContainerBrief;
pub use record::ContainerRecord;
pub use state::State;
