//! A COPY's heredoc files and an ADD's downloads, written into a scratch tree that is
//! hashed into the step's key and copied like any other source.

use std::fs;
use std::path::{Path, PathBuf};

use berth_dockerfile::expand::Lexer;

use super::invalid;
use crate::context::{content_hash, CopyOptions, Source, SourceTree};
use crate::error::{io_err, BuildError, Result};
use crate::exec::stage::StageState;
use crate::exec::Shared;
use crate::fetch::{self, Fetched};
use crate::instructions::Copy;
use crate::progress::StepHandle;

/// A scratch directory holding a COPY's heredoc files and an ADD's downloads; removed on drop.
struct ScratchFiles(PathBuf);

impl Drop for ScratchFiles {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The heredocs and downloads of one step, and their sources in the scratch tree.
pub(super) struct Scratch {
    files: ScratchFiles,
    downloaded: Vec<Fetched>,
    /// The heredocs, then the downloads, by file name.
    sources: Vec<Source>,
}

/// Writes the step's heredocs and downloads its URLs into a scratch tree; `None` when it
/// has neither.
pub(super) fn prepare(
    sh: &Shared,
    st: &StageState,
    cp: &Copy,
    urls: &[&String],
    step: &mut StepHandle,
) -> Result<Option<Scratch>> {
    if cp.heredocs.is_empty() && urls.is_empty() {
        return Ok(None);
    }
    let files = write_heredocs(sh, st, cp)?;
    let mut downloaded = Vec::new();
    for url in urls {
        step.note(&format!("downloading {url}"));
        let f = fetch::fetch(url, &files.0, cp.checksum.as_deref(), None).map_err(invalid)?;
        downloaded.push(f);
    }
    let file_source = |rel: &str| Source {
        rel: rel.to_string(),
        is_dir: false,
        ..Default::default()
    };
    let sources = (cp.heredocs.iter().map(|h| file_source(&h.name)))
        .chain(downloaded.iter().map(|f| file_source(&f.file_name)))
        .collect();
    Ok(Some(Scratch {
        files,
        downloaded,
        sources,
    }))
}

impl Scratch {
    /// The scratch tree.
    fn tree(&self) -> SourceTree<'_> {
        SourceTree {
            root: &self.files.0,
            ignore: None,
            context: false,
        }
    }

    /// The scratch tree's part of the cache key (its content); explains each download
    /// and the heredocs in `why`.
    pub(super) fn hash_part(&self, cp: &Copy, why: &mut Vec<String>) -> Result<String> {
        for f in &self.downloaded {
            why.push(format!("url {}: {}", f.file_name, f.digest));
        }
        let h = content_hash(&self.tree(), &self.sources, &[]).map_err(invalid)?;
        if !cp.heredocs.is_empty() {
            why.push(format!("heredocs: {h}"));
        }
        Ok(h)
    }

    /// Copies the heredoc files and downloads to `dest` under `rootfs`.
    pub(super) fn copy_onto(
        &self,
        rootfs: &Path,
        dest: &str,
        workdir: &str,
        opts: &CopyOptions,
    ) -> Result<()> {
        crate::context::copy(&self.tree(), &self.sources, rootfs, dest, workdir, opts)
            .map_err(invalid)
    }
}

/// Writes each heredoc (expanded unless quoted) as a 0644 file in a new scratch directory.
fn write_heredocs(sh: &Shared, st: &StageState, cp: &Copy) -> Result<ScratchFiles> {
    let dir = ScratchFiles(sh.runner.scratch_dir().map_err(BuildError::Runner)?);
    let env = st.expand_env();
    let lexer = Lexer {
        skip_process_quotes: true,
        raw_escapes: true,
        ..Lexer::new('\\')
    };
    for h in &cp.heredocs {
        let body = h.chomped_content();
        let body = if h.expand {
            lexer.process_word(&body, &env).map_err(invalid)?
        } else {
            body
        };
        if h.name.contains('/') || h.name == ".." || h.name == "." {
            return Err(BuildError::Invalid(format!(
                "bad heredoc name {:?}",
                h.name
            )));
        }
        let path = dir.0.join(&h.name);
        fs::write(&path, body).map_err(io_err("write", &path))?;
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
            .map_err(io_err("chmod", &path))?;
    }
    Ok(dir)
}
