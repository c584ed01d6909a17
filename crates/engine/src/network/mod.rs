//! Bridge networks: records, containers' attachments, and (through crates/net) the kernel
//! side: bridges, veths, network namespaces, berth's nftables table, per-network DNS.

mod attachment;
pub mod build_step;
pub mod connect;
pub mod dns;
pub mod manage;
pub mod plan;
pub mod record;
pub mod up;

pub use attachment::{Attachment, PublishedPort};
pub use manage::NetworkCreate;
pub use record::NetworkRecord;
