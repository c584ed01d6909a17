//! Images: the index of names, import, load/save, inspect, removal and garbage collection.

pub mod archive;
pub mod changes;
pub mod connect;
pub mod implicit;
pub mod import;
pub mod index;
pub mod inspect;
pub mod layers;
pub mod live;
pub mod login;
pub mod platform;
pub mod pull;
pub mod push;
pub mod remove;
pub mod resolve;

pub use resolve::Image;
