//! Reading an `env_file:` with the same dotenv rules as `.env` (the loader's parser).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Error;
use crate::Result;

/// Reads an env file into its variables, in file order (later lines win). `lookup` is the
/// interpolation environment, which beats variables defined earlier in the file.
pub(crate) fn read_env_file(
    path: &Path,
    lookup: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        what: "reading env file",
        path: path.to_path_buf(),
        source,
    })?;
    crate::load::dotenv::parse(&text, &|k| lookup.get(k).cloned()).map_err(|message| Error::At {
        span: None,
        path: path.display().to_string(),
        message,
    })
}
