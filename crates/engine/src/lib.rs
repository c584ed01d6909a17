//! berth's engine: images, containers and volumes on top of the store, the runtime and the
//! monitor, with state in SQLite plus files under the state root.

pub mod spec;
