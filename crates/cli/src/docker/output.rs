//! Output helpers shared by the commands: tables, `--format`, inspect arrays, filters.

use serde_json::Value;

/// Column headers of `history`.
pub const HISTORY_HEADERS: &[(&str, &str)] = &[
    ("ID", "IMAGE"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("CreatedBy", "CREATED BY"),
    ("Size", "SIZE"),
    ("Comment", "COMMENT"),
];

/// Prints rows as a table (default or `table ...`), JSON lines (`json`) or a template.
pub fn print_rows(
    format: Option<&str>,
    default_table: &str,
    headers: &[(&str, &str)],
    rows: &[Value],
) -> anyhow::Result<()> {
    let text = crate::format::render_rows(format, default_table, headers, rows)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    print!("{text}");
    Ok(())
}

/// Prints inspect results: a JSON array, or one template rendering per object.
pub fn print_inspect(format: Option<&str>, objects: &[Value]) -> anyhow::Result<()> {
    match format {
        None | Some("") => println!("{}", serde_json::to_string_pretty(objects)?),
        Some(f) => {
            let t = crate::format::Template::parse(f).map_err(|e| anyhow::anyhow!("{e}"))?;
            for o in objects {
                println!("{}", t.render(o).map_err(|e| anyhow::anyhow!("{e}"))?);
            }
        }
    }
    Ok(())
}

/// Inspects each name with `inspect`, prints the results (a JSON array or the template per
/// object) and reports failures on stderr; returns the exit code (1 if any failed).
pub fn inspect_each<E: std::fmt::Display>(
    format: Option<&str>,
    names: &[String],
    mut inspect: impl FnMut(&str) -> Result<Value, E>,
) -> anyhow::Result<i32> {
    let mut out = Vec::new();
    let mut code = 0;
    for n in names {
        match inspect(n) {
            Ok(v) => out.push(v),
            Err(err) => {
                eprintln!("Error: {err:#}");
                code = 1;
            }
        }
    }
    print_inspect(format, &out)?;
    Ok(code)
}

/// Docker's human size (`1.23MB`).
pub fn human_size(bytes: u64) -> String {
    crate::format::human::human_size(bytes)
}

/// `"5 minutes ago"` for an RFC 3339 time; empty input gives `N/A`.
pub fn since(time: Option<&str>) -> String {
    let Some(t) = time.and_then(crate::format::parse_rfc3339) else {
        return "N/A".into();
    };
    crate::format::ago(crate::format::human::elapsed(
        t,
        std::time::SystemTime::now(),
    ))
}

/// Truncates with an ellipsis.
pub fn ellipsis(s: &str, max: usize) -> String {
    crate::format::human::ellipsis(s, max)
}

/// Shell-style glob with `*` and `?`.
pub fn glob_match(pattern: &str, s: &str) -> bool {
    fn rec(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => rec(&p[1..], s) || (!s.is_empty() && rec(p, &s[1..])),
            (Some(b'?'), Some(_)) => rec(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => rec(&p[1..], &s[1..]),
            _ => false,
        }
    }
    rec(pattern.as_bytes(), s.as_bytes())
}
