//! Docker-style list output: default tables, `table ...` custom tables with a
//! header row, `json` (one object per line) and free-form templates.

use super::tabwriter::align;
use berth_gotemplate::FormatError;
use berth_gotemplate::Template;
use serde_json::{Map, Value};

/// Which row fields a list format can show, so a listing computes only those (at 1,000
/// containers, building every column of every row costs as much as reading them).
pub struct FieldsWanted {
    /// The template text, or `None` when every field may be shown (`json`, a bare `.`).
    text: Option<String>,
}

impl FieldsWanted {
    /// The fields `format` (as given to [`render_rows`]) refers to.
    pub fn of(format: Option<&str>, default_table: &str) -> FieldsWanted {
        let text = match format {
            None | Some("") | Some("table") => default_table,
            Some("json") => return FieldsWanted { text: None },
            Some(f) => f,
        };
        // `.Field` is a field access; a dot followed by anything else (`{{json .}}`,
        // `{{range .}}`, a dot in a string) may reach any field.
        let bytes = text.as_bytes();
        let bare_dot = bytes
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'.' && !bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase));
        FieldsWanted {
            text: (!bare_dot).then(|| text.to_string()),
        }
    }

    /// Whether the format may show field `name` (or a field whose name contains it:
    /// `Label` covers `.Labels` and `.Label "key"`).
    pub fn wants(&self, name: &str) -> bool {
        self.text.as_ref().is_none_or(|t| t.contains(name))
    }
}

/// Renders `rows` the way Docker's list commands (`ps`, `images`, ...) do.
///
/// * `None`, `""` or `"table"`: `default_table` (a `table ...` template).
/// * `"json"`: `{{json .}}` per row.
/// * `"table <template>"`: header row plus one row per value, aligned by
///   Docker's tabwriter. Column titles come from `headers` (field name ->
///   title, e.g. `("ID", "CONTAINER ID")`), else from [`derive_header`].
/// * anything else: the template once per row, each followed by a newline,
///   no header and no alignment.
///
/// Literal `\t` and `\n` in the format are turned into tab and newline.
pub fn render_rows(
    format: Option<&str>,
    default_table: &str,
    headers: &[(&str, &str)],
    rows: &[Value],
) -> Result<String, FormatError> {
    let format = match format {
        None | Some("") | Some("table") => default_table,
        Some("json") => "{{json .}}",
        Some(f) => f,
    };
    let (is_table, body) = match format.strip_prefix("table") {
        Some(rest) => (true, rest),
        None => (false, format),
    };
    let template = Template::parse(body.trim_matches(' '))?;
    let mut text = String::new();
    if is_table {
        let header_data = header_values(&template, headers);
        text.push_str(&template.render_header(&header_data));
        text.push('\n');
    }
    for row in rows {
        text.push_str(&template.render(row)?);
        text.push('\n');
    }
    Ok(if is_table { align(&text) } else { text })
}

/// The header object a table template is rendered against: every field the
/// template uses, mapped to its column title.
fn header_values(template: &Template, headers: &[(&str, &str)]) -> Value {
    let mut map = Map::new();
    for name in template.field_names() {
        let title = headers
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, title)| title.to_string())
            .unwrap_or_else(|| derive_header(&name));
        map.insert(name, Value::String(title));
    }
    for (field, title) in headers {
        map.entry(field.to_string())
            .or_insert_with(|| Value::String(title.to_string()));
    }
    Value::Object(map)
}

/// Derives a column title from a field name: camel-case words upper-cased
/// and separated by spaces (`LocalVolumes` -> `LOCAL VOLUMES`, `ID` -> `ID`).
pub fn derive_header(field: &str) -> String {
    let chars: Vec<char> = field.chars().collect();
    let mut out = String::with_capacity(field.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(' ');
            }
        }
        out.extend(c.to_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::headers::PS;
    use serde_json::json;

    fn rows() -> Vec<Value> {
        vec![
            json!({"ID": "0123456789ab", "Image": "alpine", "Command": "\"sleep 1000\"", "RunningFor": "5 seconds ago", "Status": "Up 5 seconds", "Ports": "", "Names": "web"}),
            json!({"ID": "ba9876543210", "Image": "nginx:latest", "Command": "\"/docker-entrypoint.…\"", "RunningFor": "2 hours ago", "Status": "Exited (0) 1 hour ago", "Ports": "0.0.0.0:8080->80/tcp", "Names": "proxy"}),
        ]
    }

    fn render(format: Option<&str>, rows: &[Value]) -> String {
        render_rows(format, PS.default_table, PS.headers, rows).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn default_ps_table() {
        let expected = "\
CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                  PORTS                  NAMES
0123456789ab   alpine         \"sleep 1000\"             5 seconds ago   Up 5 seconds                                   web
ba9876543210   nginx:latest   \"/docker-entrypoint.…\"   2 hours ago     Exited (0) 1 hour ago   0.0.0.0:8080->80/tcp   proxy
";
        assert_eq!(render(None, &rows()), expected);
        assert_eq!(render(Some("table"), &rows()), expected);
    }

    #[test]
    fn empty_list_prints_header_only() {
        assert_eq!(
            render(Some("table {{.ID}}\\t{{.Names}}"), &[]),
            "CONTAINER ID   NAMES\n"
        );
    }

    #[test]
    fn custom_table() {
        assert_eq!(
            render(Some("table {{.ID}}\\t{{.Names}}"), &rows()),
            "CONTAINER ID   NAMES\n0123456789ab   web\nba9876543210   proxy\n"
        );
        // Unknown fields get a derived title and `<no value>` cells.
        assert_eq!(
            render(Some("table {{.Names}}\\t{{.NetworkMode}}"), &rows()[..1]),
            "NAMES     NETWORK MODE\nweb       <no value>\n"
        );
        // Header functions pass the title through.
        assert_eq!(
            render(
                Some("table {{upper .Names}}\t{{json .Image}}"),
                &rows()[..1]
            ),
            "NAMES     IMAGE\nWEB       \"alpine\"\n"
        );
    }

    #[test]
    fn plain_template_and_json() {
        assert_eq!(
            render(Some("{{.ID}}\\t{{.Names}}"), &rows()),
            "0123456789ab\tweb\nba9876543210\tproxy\n"
        );
        let one = [json!({"b": 1, "a": "x"})];
        assert_eq!(render(Some("json"), &one), "{\"a\":\"x\",\"b\":1}\n");
        assert_eq!(render(Some("{{.Names}}"), &[]), "");
    }

    #[test]
    fn errors_are_reported() {
        assert_eq!(
            render(Some("table {{.ID}"), &rows()),
            "template parsing error: template: :1: bad character U+007D '}'"
        );
        assert_eq!(
            render(Some("{{.Names.X}}"), &rows()),
            "template parsing error: template: :1:8: executing \"\" at <.Names.X>: can't evaluate field X in type string"
        );
    }

    #[test]
    fn derived_headers() {
        assert_eq!(derive_header("LocalVolumes"), "LOCAL VOLUMES");
        assert_eq!(derive_header("ID"), "ID");
        assert_eq!(derive_header("CPUPerc"), "CPU PERC");
    }
}
