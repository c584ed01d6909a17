//! Where the engine keeps things: the state root (`/var/lib/berth`) and the run directory
//! (`/run/berth`). `--root` or `BERTH_ROOT` moves both under one directory (tests do this).

use std::path::{Path, PathBuf};

/// The default state root.
pub const DEFAULT_ROOT: &str = "/var/lib/berth";
/// The default run directory.
pub const DEFAULT_RUN: &str = "/run/berth";

/// Every directory and file the engine uses.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The state root.
    pub root: PathBuf,
    /// The run directory (runtime state, sockets); tmpfs by default.
    pub run: PathBuf,
}

impl Paths {
    /// The paths for an explicit root (both under it), else `BERTH_ROOT`, else the defaults.
    /// A relative root is made absolute: monitors and DNS servers run in other directories.
    pub fn new(root: Option<&Path>) -> Paths {
        let explicit = root
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("BERTH_ROOT").map(PathBuf::from))
            .map(|r| std::path::absolute(&r).unwrap_or(r));
        match explicit {
            Some(r) => Paths {
                run: r.join("run"),
                root: r,
            },
            None => Paths {
                root: DEFAULT_ROOT.into(),
                run: DEFAULT_RUN.into(),
            },
        }
    }

    /// The SQLite state index.
    pub fn db(&self) -> PathBuf {
        self.root.join("berth.db")
    }
    /// The OCI image layout (blobs).
    pub fn store(&self) -> PathBuf {
        self.root.join("store")
    }
    /// Unpacked layers, one directory per chain ID.
    pub fn layers(&self) -> PathBuf {
        self.root.clone()
    }
    /// Mount-point skeletons shared by containers (see `containers::skeleton`).
    pub fn skeletons(&self) -> PathBuf {
        self.root.join("skeletons")
    }
    /// One directory per container.
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }
    /// A container's directory.
    pub fn container(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }
    /// Named and anonymous volumes.
    pub fn volumes(&self) -> PathBuf {
        self.root.join("volumes")
    }
    /// The runtime's state root.
    pub fn runtime(&self) -> PathBuf {
        self.run.join("runtime")
    }
    /// Short-named monitor control sockets (`sun_path` holds only 108 bytes).
    pub fn sockets(&self) -> PathBuf {
        self.run.join("s")
    }
    /// A container's monitor control socket.
    pub fn socket(&self, id: &str) -> PathBuf {
        self.sockets().join(&id[..12.min(id.len())])
    }
    /// The build contexts' file digest caches (`berth_build::context::HashCache`).
    pub fn context_caches(&self) -> PathBuf {
        self.root.join("build").join("context-cache")
    }
    /// The digest cache of the build context at `context` (canonical), named by the sha256
    /// of its path.
    pub fn context_cache(&self, context: &Path) -> PathBuf {
        let name = berth_store::Digest::of_bytes(context.as_os_str().as_encoded_bytes());
        self.context_caches().join(name.hex())
    }
    /// Lock files.
    pub fn locks(&self) -> PathBuf {
        self.run.join("locks")
    }
}
