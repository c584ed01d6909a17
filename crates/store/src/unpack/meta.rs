//! What one layer entry asks for, read and checked before anything is written: the
//! path-safety core's header reader ([`berth_pathsafe::entry`]) with the layer policy's
//! checks. Shared by layer unpacking and rootfs import validation.

use std::io::Read;

use berth_pathsafe::entry::Words;
use berth_pathsafe::extract::Policy;

pub use berth_pathsafe::entry::{EntryPath, Kind, Meta};

use crate::error::Result;

/// Reads and checks an entry's header as a layer entry (device nodes outside /dev are
/// refused). `None` for headers that describe no file (PAX global headers, stray extension
/// headers).
pub fn read_meta<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Option<Meta>> {
    let Some(meta) = berth_pathsafe::entry::read_meta(entry, Words::LAYER)? else {
        return Ok(None);
    };
    Policy::layer().check(&meta)?;
    Ok(Some(meta))
}
