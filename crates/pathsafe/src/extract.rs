//! One tar-entry extractor for every caller, with a [`Policy`] saying what differs:
//!
//! | policy               | whiteouts         | devices                       | replacing            |
//! |----------------------|-------------------|-------------------------------|----------------------|
//! | [`Policy::layer`]    | overlayfs form    | skipped under /dev, else refused | dir merges dir, else replaced |
//! | [`Policy::add`]      | ordinary files    | refused                       | dir merges dir or a symlink to one, else replaced |
//! | [`Policy::context`]  | ordinary files    | created, or skipped with a warning | as ADD          |
//! | [`Policy::cp`]       | ordinary files    | refused                       | never dir over non-dir nor non-dir over dir |
//!
//! Whatever the policy, an entry is written with `*at` calls relative to its parent's
//! directory fd (from a [`Dirs`]), never following a symlink in its own name; names are
//! normalised lexically and may not climb out ([`crate::entry`]); hard links must point at
//! an earlier non-directory of the destination.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::dirs::{Dirs, Mounted};
use crate::entry::{in_dev, read_meta, EntryPath, Kind, Meta, Words};
use crate::error::{ExtractError, Result};
use crate::ops::{self, DIR_FLAGS};

/// Prefix of an OCI whiteout file.
const WHITEOUT: &[u8] = b".wh.";
/// Prefix of OCI whiteout metadata files (ignored but for the opaque marker).
const WHITEOUT_META: &[u8] = b".wh..wh.";
/// The OCI opaque-directory marker.
const OPAQUE: &[u8] = b".wh..wh..opq";
/// The overlayfs xattr that makes a directory opaque.
const OVERLAY_OPAQUE: &str = "trusted.overlay.opaque";

/// What `.wh.` names mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whiteouts {
    /// OCI whiteouts, written in overlayfs form (0:0 character devices, and the
    /// `trusted.overlay.opaque` xattr for opaque directories).
    Overlay,
    /// Ordinary file names.
    Plain,
}

/// What becomes of a block or character device entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Devices {
    /// Refused: the whole extraction fails.
    Refuse,
    /// Under `dev/` skipped (kept in the archive, never created: containers get /dev from a
    /// tmpfs); elsewhere refused. Image layers.
    SkipUnderDev,
    /// Created; where that is not permitted (not root, or root of a user namespace) skipped
    /// with a warning, as Docker's archiver does for a build context.
    CreateOrSkip,
}

/// What a new entry does to what is already at its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// A directory over a directory merges; anything else is replaced (Docker's layers).
    Replace,
    /// As `Replace`, but a directory over a symlink to a directory (resolved inside the
    /// root) merges into it (ADD, a build context).
    FollowDirSymlinks,
    /// A directory never replaces a non-directory nor a non-directory a directory
    /// (Docker's `NoOverwriteDirNonDir`, `cp`).
    NoOverwriteDirNonDir,
}

/// Whose owner entries get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The archive's uid/gid.
    Archive,
    /// This uid/gid for every entry.
    Fixed(u32, u32),
    /// The caller's (no chown at all: not root).
    Caller,
}

/// How one caller extracts.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How messages name entries.
    pub words: Words,
    /// What `.wh.` names mean.
    pub whiteouts: Whiteouts,
    /// Device nodes.
    pub devices: Devices,
    /// Fifos are created (else skipped).
    pub fifos: bool,
    /// Replacement rules.
    pub replace: Replace,
    /// Owners.
    pub owner: Owner,
    /// PAX xattrs are applied (overlayfs' own never are).
    pub xattrs: bool,
    /// The `./` entry's owner, mode and time go on the destination itself.
    pub root_meta: bool,
}

impl Policy {
    /// An OCI image layer unpacked into an overlayfs lower directory.
    pub fn layer() -> Policy {
        Policy {
            words: Words::LAYER,
            whiteouts: Whiteouts::Overlay,
            devices: Devices::SkipUnderDev,
            fifos: true,
            replace: Replace::Replace,
            owner: Owner::Archive,
            xattrs: true,
            root_meta: true,
        }
    }

    /// ADD of a local tar archive into an image root.
    pub fn add(owner: Owner) -> Policy {
        Policy {
            words: Words::ARCHIVE,
            whiteouts: Whiteouts::Plain,
            devices: Devices::Refuse,
            fifos: false,
            replace: Replace::FollowDirSymlinks,
            owner,
            xattrs: false,
            root_meta: false,
        }
    }

    /// A build context read from stdin (`build -`).
    pub fn context(owner: Owner) -> Policy {
        Policy {
            devices: Devices::CreateOrSkip,
            ..Policy::add(owner)
        }
    }

    /// `cp` into a container or onto the host.
    pub fn cp(owner: Owner) -> Policy {
        Policy {
            words: Words::ARCHIVE,
            whiteouts: Whiteouts::Plain,
            devices: Devices::Refuse,
            fifos: true,
            replace: Replace::NoOverwriteDirNonDir,
            owner,
            xattrs: false,
            root_meta: false,
        }
    }

    /// Checks what can be checked from the header alone (device nodes): the same answer
    /// the extraction would give, for callers that validate a stream before storing it.
    pub fn check(&self, meta: &Meta) -> Result<()> {
        if let Kind::Device { .. } = meta.kind {
            let refused = match self.devices {
                Devices::Refuse => true,
                Devices::SkipUnderDev => !in_dev(&meta.path),
                Devices::CreateOrSkip => false,
            };
            if refused {
                return Err(ExtractError::Refused(match self.devices {
                    Devices::SkipUnderDev => format!(
                        "device node {} not allowed in an image layer (only under /dev, where it is skipped)",
                        meta.shown
                    ),
                    _ => format!("{} {:?} is a device node", self.words.entry, meta.shown),
                }));
            }
        }
        Ok(())
    }
}

/// What an extraction wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Entries applied.
    pub entries: u64,
    /// Bytes of regular file content written.
    pub size: u64,
    /// Entries skipped, with why (device nodes that could not be created).
    pub warnings: Vec<String>,
}

/// Writes entries below a destination, remembering directory times for the end.
pub struct Extractor<D: Dirs> {
    dirs: D,
    policy: Policy,
    dir_times: Vec<(EntryPath, (i64, u32))>,
    stats: Stats,
    /// The copy buffer, kept from file to file.
    buf: Vec<u8>,
}

impl<D: Dirs> Extractor<D> {
    /// An extractor writing through `dirs` as `policy` says.
    pub fn new(dirs: D, policy: Policy) -> Extractor<D> {
        Extractor {
            dirs,
            policy,
            dir_times: Vec::new(),
            stats: Stats::default(),
            buf: Vec::new(),
        }
    }

    /// Applies every entry of `archive` (`label` names the stream in errors, "layer tar").
    pub fn apply_archive<R: Read>(
        &mut self,
        archive: &mut tar::Archive<R>,
        label: &str,
    ) -> Result<()> {
        let mut last: Option<String> = None;
        let entries = archive
            .entries()
            .map_err(|e| stream_error(label, last.as_deref(), e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| stream_error(label, last.as_deref(), e))?;
            let Some(meta) = read_meta(&mut entry, self.policy.words)? else {
                continue;
            };
            self.apply(&meta, &mut entry)?;
            last = Some(meta.shown);
        }
        Ok(())
    }

    /// Writes one entry; `data` is its content (read only for regular files).
    pub fn apply(&mut self, meta: &Meta, data: &mut dyn Read) -> Result<()> {
        self.policy.check(meta)?;
        self.stats.entries += 1;
        if meta.path.is_root() {
            return self.apply_root(meta);
        }
        let shown = meta.path.display();
        let parent = self
            .dirs
            .dir(meta.path.parent(), &shown, true)?
            .ok_or_else(|| {
                ExtractError::Refused(format!("{} {shown}: no parent", self.policy.words.entry))
            })?;
        let parent = parent.as_fd();
        let name = meta.path.name();
        if self.policy.whiteouts == Whiteouts::Overlay && name.starts_with(WHITEOUT) {
            return self.whiteout(meta, parent, name);
        }
        match &meta.kind {
            Kind::Dir => self.dir(meta, parent, name)?,
            Kind::File(size) => self.file(meta, parent, name, *size, data)?,
            Kind::Symlink(target) => {
                self.make_room(meta, parent, name, false)?;
                rustix::fs::symlinkat(target.as_slice(), parent, name)
                    .map_err(self.io("create symlink", meta))?;
                self.finish_at(meta, parent, name)?;
            }
            Kind::Fifo if self.policy.fifos => {
                self.make_room(meta, parent, name, false)?;
                let mode = Mode::from_raw_mode(meta.mode);
                rustix::fs::mknodat(parent, name, FileType::Fifo, mode, 0)
                    .map_err(self.io("create fifo", meta))?;
                self.finish_at(meta, parent, name)?;
                rustix::fs::chmodat(parent, name, mode, rustix::fs::AtFlags::empty())
                    .map_err(self.io("chmod", meta))?;
            }
            Kind::Fifo => {}
            Kind::Hardlink(target) => self.hardlink(meta, parent, name, target)?,
            Kind::Device {
                block,
                major,
                minor,
            } => match self.policy.devices {
                // `check` refused the others.
                Devices::Refuse | Devices::SkipUnderDev => {}
                Devices::CreateOrSkip => {
                    if let Err(e) = self.device(meta, parent, name, *block, (*major, *minor)) {
                        self.stats
                            .warnings
                            .push(format!("skipped device node {:?}: {e}", meta.shown));
                    }
                }
            },
        }
        Ok(())
    }

    /// Sets directory times, after all content is written (writing changes them).
    pub fn finish(mut self) -> Result<Stats> {
        let dir_times = std::mem::take(&mut self.dir_times);
        for (path, ts) in dir_times.into_iter().rev() {
            if path.is_root() {
                if let Some(root) = self.dirs.dir(&[], ".", false)? {
                    rustix::fs::futimens(&*root, &ops::times(ts)).map_err(|e| {
                        ExtractError::Io {
                            what: "set times",
                            path: self.dirs.show(&[]),
                            source: e.into(),
                        }
                    })?;
                }
                continue;
            }
            if self.dirs.mounted(path.components()).is_some() {
                continue;
            }
            let Some(parent) = self.dirs.dir(path.parent(), &path.display(), false)? else {
                continue;
            };
            if ops::kind_at(parent.as_fd(), path.name()) == Ok(Some(FileType::Directory)) {
                ops::set_times_at(parent.as_fd(), path.name(), ts).map_err(|e| {
                    ExtractError::Io {
                        what: "set times",
                        path: self.dirs.show(path.components()),
                        source: e.into(),
                    }
                })?;
            }
        }
        Ok(self.stats)
    }

    /// The `./` entry: with `root_meta`, its owner, mode, xattrs and time go on the
    /// destination itself; a non-directory there is refused.
    fn apply_root(&mut self, meta: &Meta) -> Result<()> {
        if meta.kind != Kind::Dir {
            return Err(ExtractError::Refused(format!(
                "{} {} would replace the {} with a non-directory",
                self.policy.words.entry, meta.shown, self.policy.words.root
            )));
        }
        if !self.policy.root_meta {
            return Ok(());
        }
        let root = self
            .dirs
            .dir(&[], ".", true)?
            .ok_or_else(|| ExtractError::Refused("no destination".into()))?;
        self.set_owner_mode_xattrs(root.as_fd(), meta)?;
        self.dir_times.push((meta.path.clone(), meta.mtime));
        Ok(())
    }

    fn dir(&mut self, meta: &Meta, parent: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
        let mounted = self.dirs.mounted(meta.path.components());
        let fd = match mounted {
            Some(Mounted::Dir) => None,
            Some(Mounted::File(_)) => {
                return Err(ExtractError::Conflict(format!(
                    "cannot overwrite non-directory {} with directory",
                    self.dirs.show(meta.path.components()).display()
                )))
            }
            None => {
                let mut followed = None;
                if self.policy.replace == Replace::FollowDirSymlinks
                    && ops::kind_at(parent, name) == Ok(Some(FileType::Symlink))
                {
                    followed = self.dirs.dir(meta.path.components(), &meta.shown, false)?;
                }
                match followed {
                    Some(fd) => Some(
                        rustix::fs::openat(&*fd, ".", DIR_FLAGS, Mode::empty())
                            .map_err(self.io("open directory", meta))?,
                    ),
                    None => {
                        if !self.make_room(meta, parent, name, true)? {
                            rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700))
                                .map_err(self.io("create directory", meta))?;
                        }
                        Some(
                            rustix::fs::openat(parent, name, DIR_FLAGS, Mode::empty())
                                .map_err(self.io("open directory", meta))?,
                        )
                    }
                }
            }
        };
        // A mount's root keeps its own owner and mode.
        if let Some(fd) = fd {
            self.set_owner_mode_xattrs(fd.as_fd(), meta)?;
            self.dir_times.push((meta.path.clone(), meta.mtime));
        }
        Ok(())
    }

    fn file(
        &mut self,
        meta: &Meta,
        parent: BorrowedFd<'_>,
        name: &[u8],
        size: u64,
        data: &mut dyn Read,
    ) -> Result<()> {
        if meta.sparse && size > MAX_SPARSE_SIZE {
            // Refused before anything is read: the reader would yield every hole as zeros.
            return Err(ExtractError::Refused(format!(
                "{} {} is a sparse file over {} GiB",
                self.policy.words.entry,
                meta.shown,
                MAX_SPARSE_SIZE >> 30
            )));
        }
        let mut file = match self.dirs.mounted(meta.path.components()) {
            // A bind-mounted file is written in place (replacing it would detach the mount).
            Some(Mounted::File(host)) => std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&host)
                .map_err(|source| ExtractError::Io {
                    what: "open",
                    path: host,
                    source,
                })?,
            Some(Mounted::Dir) => {
                return Err(ExtractError::Conflict(format!(
                    "cannot overwrite directory {} with non-directory",
                    self.dirs.show(meta.path.components()).display()
                )))
            }
            None => {
                self.make_room(meta, parent, name, false)?;
                let flags = OFlags::WRONLY
                    | OFlags::CREATE
                    | OFlags::EXCL
                    | OFlags::NOFOLLOW
                    | OFlags::CLOEXEC;
                let fd = rustix::fs::openat(parent, name, flags, Mode::from_raw_mode(0o600))
                    .map_err(self.io("create file", meta))?;
                File::from(fd)
            }
        };
        if self.buf.is_empty() {
            self.buf = vec![0u8; 128 * 1024];
        }
        let copied = if meta.sparse {
            copy_sparse(data, &mut file, &mut self.buf)
        } else {
            copy(data, &mut file, &mut self.buf)
        };
        let written = copied.map_err(|source| match source.kind() {
            std::io::ErrorKind::FileTooLarge => ExtractError::Refused(format!(
                "{} {} is a sparse file over {} GiB",
                self.policy.words.entry,
                meta.shown,
                MAX_SPARSE_SIZE >> 30
            )),
            _ => ExtractError::Stream {
                what: format!(
                    "reading {} {} (truncated archive?)",
                    self.policy.words.entry, meta.shown
                ),
                source,
            },
        })?;
        if written != size && !meta.sparse {
            return Err(ExtractError::Refused(format!(
                "{} {} is truncated: {written} of {size} bytes",
                self.policy.words.entry, meta.shown
            )));
        }
        self.stats.size += written;
        let fd = OwnedFd::from(file);
        self.set_owner_mode_xattrs(fd.as_fd(), meta)?;
        rustix::fs::futimens(&fd, &ops::times(meta.mtime)).map_err(self.io("set times", meta))
    }

    /// A device node, created owner-only and given its mode once its owner is set.
    fn device(
        &mut self,
        meta: &Meta,
        parent: BorrowedFd<'_>,
        name: &[u8],
        block: bool,
        (major, minor): (u32, u32),
    ) -> Result<()> {
        self.make_room(meta, parent, name, false)?;
        let kind = if block {
            FileType::BlockDevice
        } else {
            FileType::CharacterDevice
        };
        rustix::fs::mknodat(
            parent,
            name,
            kind,
            Mode::from_raw_mode(0o600),
            rustix::fs::makedev(major, minor),
        )
        .map_err(self.io("create device node", meta))?;
        self.finish_at(meta, parent, name)?;
        rustix::fs::chmodat(
            parent,
            name,
            Mode::from_raw_mode(meta.mode),
            rustix::fs::AtFlags::empty(),
        )
        .map_err(self.io("chmod", meta))
    }

    /// `.wh..wh..opq` marks the parent opaque; `.wh.<name>` becomes a 0:0 character device
    /// `<name>`; other `.wh..wh.*` entries are ignored.
    fn whiteout(&mut self, meta: &Meta, parent: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
        if name == OPAQUE {
            return rustix::fs::fsetxattr(
                parent,
                OVERLAY_OPAQUE,
                b"y",
                rustix::fs::XattrFlags::empty(),
            )
            .map_err(self.io(
                "mark opaque (set trusted.overlay.opaque on the parent)",
                meta,
            ));
        }
        if name.starts_with(WHITEOUT_META) {
            return Ok(());
        }
        let hidden = &name[WHITEOUT.len()..];
        if hidden.is_empty() || hidden == b"." || hidden == b".." {
            return Err(ExtractError::Refused(format!(
                "{} {} is a whiteout without a name",
                self.policy.words.entry, meta.shown
            )));
        }
        if let Ok(Some(kind)) = ops::kind_at(parent, hidden) {
            if kind == FileType::Directory {
                self.dirs.invalidate();
            }
            ops::remove_at(parent, hidden).map_err(|source| ExtractError::Io {
                what: "remove (whited out)",
                path: self.dirs.show(meta.path.components()),
                source,
            })?;
        }
        rustix::fs::mknodat(
            parent,
            hidden,
            FileType::CharacterDevice,
            Mode::empty(),
            rustix::fs::makedev(0, 0),
        )
        .map_err(self.io("create whiteout device", meta))?;
        ops::lchown_at(parent, hidden, meta.uid, meta.gid).map_err(self.io("chown whiteout", meta))
    }

    /// A hard link: the target must be an earlier entry (a non-directory) of the
    /// destination.
    fn hardlink(
        &mut self,
        meta: &Meta,
        parent: BorrowedFd<'_>,
        name: &[u8],
        target: &EntryPath,
    ) -> Result<()> {
        let missing = || {
            ExtractError::Refused(format!(
                "{} {} is a hard link to {}, which is not an earlier file of the {} (no such file, or a directory)",
                self.policy.words.entry,
                meta.shown,
                target.display(),
                if self.policy.words == Words::LAYER {
                    "layer"
                } else {
                    "archive"
                }
            ))
        };
        let tparent = self
            .dirs
            .dir(target.parent(), &meta.shown, false)?
            .ok_or_else(missing)?;
        match ops::kind_at(tparent.as_fd(), target.name()) {
            Ok(Some(kind)) if kind != FileType::Directory => {}
            _ => return Err(missing()),
        }
        if target == &meta.path {
            return Ok(());
        }
        self.make_room(meta, parent, name, false)?;
        // If making room removed a directory holding the target, linkat fails: an error.
        rustix::fs::linkat(
            &*tparent,
            target.name(),
            parent,
            name,
            rustix::fs::AtFlags::empty(),
        )
        .map_err(self.io("create hard link", meta))
    }

    /// The owner an entry gets, if any.
    fn owner(&self, meta: &Meta) -> Option<(u32, u32)> {
        match self.policy.owner {
            Owner::Archive => Some((meta.uid, meta.gid)),
            Owner::Fixed(u, g) => Some((u, g)),
            Owner::Caller => None,
        }
    }

    /// Xattrs to apply: none unless the policy says so, and never overlayfs' own.
    fn xattrs<'m>(&self, meta: &'m Meta) -> impl Iterator<Item = (&'m str, &'m [u8])> {
        let on = self.policy.xattrs;
        meta.xattrs
            .iter()
            .filter(move |(k, _)| {
                on && !k.starts_with("trusted.overlay.") && !k.starts_with("user.overlay.")
            })
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Owner, mode (after chown, which clears setuid) and xattrs (after chown, which clears
    /// security.capability) of an open file or directory.
    fn set_owner_mode_xattrs(&self, fd: BorrowedFd<'_>, meta: &Meta) -> Result<()> {
        if let Some((uid, gid)) = self.owner(meta) {
            ops::fchown(fd, uid, gid).map_err(self.io("chown", meta))?;
        }
        ops::fchmod(fd, meta.mode).map_err(self.io("chmod", meta))?;
        ops::fset_xattrs(fd, self.xattrs(meta)).map_err(self.io("set xattr", meta))
    }

    /// Owner, xattrs and times of `name` itself (a symlink, fifo or device).
    fn finish_at(&self, meta: &Meta, parent: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
        if let Some((uid, gid)) = self.owner(meta) {
            ops::lchown_at(parent, name, uid, gid).map_err(self.io("lchown", meta))?;
        }
        ops::set_xattrs_at(parent, name, self.xattrs(meta)).map_err(self.io("set xattr", meta))?;
        ops::set_times_at(parent, name, meta.mtime).map_err(self.io("set times", meta))
    }

    /// Clears the way for a new entry at `name` as the policy says. Returns true when a
    /// directory stays (a directory entry over a directory).
    fn make_room(
        &mut self,
        meta: &Meta,
        parent: BorrowedFd<'_>,
        name: &[u8],
        is_dir: bool,
    ) -> Result<bool> {
        if let Some(m) = self.dirs.mounted(meta.path.components()) {
            let shown = self.dirs.show(meta.path.components());
            return Err(ExtractError::Conflict(match m {
                Mounted::Dir if !is_dir => format!(
                    "cannot overwrite directory {} with non-directory",
                    shown.display()
                ),
                _ => format!(
                    "cannot replace {}: a file mounted into the container",
                    shown.display()
                ),
            }));
        }
        let existing = match ops::kind_at(parent, name) {
            Ok(None) => return Ok(false),
            Ok(Some(kind)) => kind,
            Err(e) => return Err(self.io("stat", meta)(e)),
        };
        let existing_dir = existing == FileType::Directory;
        if existing_dir && is_dir {
            return Ok(true);
        }
        if self.policy.replace == Replace::NoOverwriteDirNonDir && (existing_dir || is_dir) {
            let shown = self.dirs.show(meta.path.components());
            return Err(ExtractError::Conflict(if existing_dir {
                format!(
                    "cannot overwrite directory {} with non-directory",
                    shown.display()
                )
            } else {
                format!(
                    "cannot overwrite non-directory {} with directory",
                    shown.display()
                )
            }));
        }
        // A cached handle may be the removed directory, or one reached through the
        // removed symlink.
        if existing_dir || existing == FileType::Symlink {
            self.dirs.invalidate();
        }
        ops::remove_at(parent, name).map_err(|source| ExtractError::Io {
            what: "replace",
            path: self.dirs.show(meta.path.components()),
            source,
        })?;
        Ok(false)
    }

    /// Maps an errno to an I/O error naming the entry's place.
    fn io(&self, what: &'static str, meta: &Meta) -> impl FnOnce(Errno) -> ExtractError {
        let path: PathBuf = self.dirs.show(meta.path.components());
        move |e| ExtractError::Io {
            what,
            path,
            source: e.into(),
        }
    }
}

/// A read error of the tar stream: corrupt, truncated, or the source failed.
pub fn stream_error(label: &str, after: Option<&str>, source: std::io::Error) -> ExtractError {
    let what = match after {
        Some(entry) => format!("corrupt or truncated {label} (after entry {entry})"),
        None => format!("corrupt or truncated {label} (at its first entry)"),
    };
    ExtractError::Stream { what, source }
}

/// The largest apparent size of a GNU sparse file in an archive. Its holes are skipped, not
/// written, but the tar reader yields them as zeros, so a few header bytes declaring a huge
/// file would keep the extractor reading for hours.
const MAX_SPARSE_SIZE: u64 = 16 << 30;

/// Copies a sparse file's content through `buf`, seeking over all-zero blocks so that holes
/// stay holes (a 1.5 KiB layer declaring 1 GiB of holes would otherwise write 1 GiB); returns
/// its apparent size, or a `FileTooLarge` error past [`MAX_SPARSE_SIZE`].
fn copy_sparse(from: &mut dyn Read, to: &mut File, buf: &mut [u8]) -> std::io::Result<u64> {
    use std::io::{Seek, SeekFrom};
    let mut total = 0u64;
    loop {
        let n = match from.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > MAX_SPARSE_SIZE {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        if buf[..n].iter().all(|&b| b == 0) {
            to.seek(SeekFrom::Current(n as i64))?;
        } else {
            to.write_all(&buf[..n])?;
        }
    }
    to.set_len(total)?;
    Ok(total)
}

/// Copies through `buf`; returns the bytes copied.
fn copy(from: &mut dyn Read, to: &mut File, buf: &mut [u8]) -> std::io::Result<u64> {
    let mut total = 0u64;
    loop {
        let n = match from.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}
