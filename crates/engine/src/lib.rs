//! berth's engine: images, containers and volumes on top of the store, the runtime and the
//! monitor, with state in SQLite plus files under the state root.

#![forbid(unsafe_code)]

pub mod build;
pub mod containers;
pub mod db;
pub mod engine;
pub mod error;
pub mod events;
pub mod ids;
pub mod images;
pub mod lock;
pub mod network;
pub mod paths;
pub mod reference;
pub mod spec;
pub mod system;
pub mod testhook;
mod txn;
pub mod volumes;

pub use engine::Engine;
pub use error::{Error, Result};
pub use paths::Paths;
