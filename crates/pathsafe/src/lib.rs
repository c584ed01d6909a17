//! berth's path-safety core. Everything that writes hostile input (an image layer, an
//! archive, a build context, a `cp` stream) or looks up a path chosen by an image inside a
//! root goes through this crate:
//!
//! - [`root`]: resolving a path inside a root directory as if it were `/`
//!   (`openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`, or an `O_NOFOLLOW` walk where
//!   `openat2` is missing);
//! - [`ops`]: directory-fd operations that never follow a symlink (remove, owner, mode,
//!   times, xattrs);
//! - [`entry`]: a tar header read and checked into a [`entry::Meta`] (lexically normalised
//!   path, kind, owner, mode, times, xattrs);
//! - [`extract`]: one tar-entry extractor with a [`extract::Policy`] per caller and a
//!   [`extract::Dirs`] strategy for reaching parent directories;
//! - [`hostile`]: a corpus of hostile tar archives, for every extractor's tests.
#![forbid(unsafe_code)]

pub mod dirs;
pub mod entry;
pub mod error;
pub mod extract;
pub mod hostile;
pub mod ops;
pub mod root;

pub use error::{ExtractError, Result};
pub use root::{proc_fd_path, Create, Lookup, Root, Target, Visible};
