//! `config`: the normalised model (YAML or JSON), or one aspect of it per line (services,
//! volumes, networks, profiles, images, config hashes); `-q` only validates.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{bail, Context};

use super::args::{ConfigArgs, ProjectOptions};
use super::project;

/// `config`.
pub fn config(o: &ProjectOptions, a: ConfigArgs) -> anyhow::Result<i32> {
    let mut opts = o.clone();
    if a.profiles {
        opts.profiles = vec!["*".into()];
    }
    let p = project::load(&opts, &a.service_names)?;
    if a.quiet {
        return Ok(0);
    }
    let mut lines: Vec<String> = Vec::new();
    if a.services {
        lines.extend(p.start_order(&a.service_names));
    } else if a.volumes {
        lines.extend(p.volumes.keys().cloned());
    } else if a.networks {
        lines.extend(p.networks.keys().cloned());
    } else if a.profiles {
        let all: BTreeSet<&String> = p.services.values().flat_map(|s| &s.profiles).collect();
        lines.extend(all.into_iter().cloned());
    } else if a.images {
        lines.extend(p.services.values().map(|s| s.image_name(&p.name)));
    } else if let Some(h) = &a.hash {
        let wanted: Vec<String> = if h == "*" {
            p.services.keys().cloned().collect()
        } else {
            h.split(',').map(|s| s.trim().to_string()).collect()
        };
        for s in wanted {
            if !p.services.contains_key(&s) {
                bail!("no such service: {s}");
            }
            lines.push(format!("{s} {}", p.config_hash(&s)));
        }
    } else {
        let text = match a.format.as_deref() {
            None | Some("yaml") => p.to_yaml()?,
            Some("json") => format!("{}\n", serde_json::to_string_pretty(&p.to_json())?),
            Some(f) => bail!("unsupported format {f:?}: use yaml or json"),
        };
        return write_out(a.output.as_deref(), &text);
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    write_out(a.output.as_deref(), &text)
}

fn write_out(path: Option<&std::path::Path>, text: &str) -> anyhow::Result<i32> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("write {}", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
        }
    }
    Ok(0)
}
