//! `build -o type=local|tar`: an image's merged root filesystem, as a directory or a tar.

use std::fs;
use std::io::{Seek, Write};
use std::path::Path;

use berth_build::runner::Runner;

use super::runner::EngineRunner;
use crate::engine::Engine;
use crate::error::{from_runner, io_err, Result};

impl Engine {
    /// Writes the root filesystem of image `id` as a tar to `tar_out`, or unpacks it into
    /// the directory `dir`.
    pub fn export_image_rootfs(
        &mut self,
        id: &str,
        dir: Option<&Path>,
        tar_out: Option<Box<dyn Write + '_>>,
    ) -> Result<()> {
        let runner = EngineRunner::new(self, false)?;
        let result = (|| {
            let image = runner.image(id).map_err(from_runner)?;
            let lowers: Vec<_> = image.layers.iter().map(|l| l.dir.clone()).collect();
            let snap = runner.scratch_dir().map_err(from_runner)?;
            let root = runner.mount(&snap, &lowers, true).map_err(from_runner)?;
            let written = match (tar_out, dir) {
                (Some(out), _) => write_tar(&root, out),
                (None, Some(dest)) => {
                    let tmp = snap.join("rootfs.tar");
                    let mut f = fs::File::options()
                        .create(true)
                        .truncate(true)
                        .read(true)
                        .write(true)
                        .open(&tmp)
                        .map_err(io_err("create", &tmp))?;
                    write_tar(&root, Box::new(&mut f))?;
                    f.rewind().map_err(io_err("rewind", &tmp))?;
                    fs::create_dir_all(dest).map_err(io_err("create", dest))?;
                    let mut archive = tar::Archive::new(f);
                    archive.set_preserve_permissions(true);
                    archive.unpack(dest).map_err(io_err("unpack into", dest))
                }
                (None, None) => Ok(()),
            };
            let _ = runner.unmount(&snap);
            written
        })();
        runner.finish();
        result
    }
}

fn write_tar(root: &Path, out: Box<dyn Write + '_>) -> Result<()> {
    let mut b = tar::Builder::new(out);
    b.follow_symlinks(false);
    b.append_dir_all(".", root)
        .map_err(io_err("archive", root))?;
    b.into_inner()
        .and_then(|mut w| w.flush())
        .map_err(io_err("archive", root))
}
