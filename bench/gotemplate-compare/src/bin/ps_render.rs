//! Renders a typical `docker ps --format` template over N rows with one engine, for size,
//! peak RSS and time: `ps_render berth|gotmpl|none [ROWS] [REPEAT]` (with REPEAT > 1 the table
//! is not printed). The engine is chosen at build time, `RUSTFLAGS='--cfg engine="berth"'`
//! (or "gotmpl"; neither: rows printed as JSON, the baseline), so each binary links only
//! its own engine; run.sh builds all three.

use serde_json::{json, Value};
use std::io::Write;

const FORMAT: &str = "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}\\t{{json .Labels}}\\t{{if eq .State \"running\"}}up{{else}}down{{end}}";

fn rows(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"ID": format!("{i:012x}"), "Image": "nginx:latest",
                   "Command": "\"/docker-entrypoint.…\"", "RunningFor": "2 hours ago",
                   "Status": "Up 2 hours", "State": if i % 3 == 0 { "exited" } else { "running" },
                   "Ports": "0.0.0.0:8080->80/tcp", "Names": format!("web-{i}"),
                   "Labels": {"com.example.app": "web", "idx": i.to_string()}})
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let repeat: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let data = rows(n);
    let body = FORMAT.strip_prefix("table ").unwrap_or(FORMAT);
    let start = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..repeat {
        let mut out = String::new();
        render(
            args.get(1).map_or("none", String::as_str),
            body,
            &data,
            &mut out,
        );
        bytes = out.len();
        if repeat == 1 {
            let _ = std::io::stdout().write_all(out.as_bytes());
        }
    }
    eprintln!(
        "{} rows x{repeat}: {:.3} ms per render, {bytes} bytes",
        n,
        start.elapsed().as_secs_f64() * 1e3 / repeat as f64
    );
}

#[cfg(engine = "berth")]
fn render(_: &str, body: &str, data: &[Value], out: &mut String) {
    let t = berth_gotemplate::Template::parse(body).expect("template");
    let headers = json!({"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
        "RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES",
        "Labels": "LABELS", "State": "STATE"});
    out.push_str(&t.render_header(&headers));
    out.push('\n');
    for row in data {
        out.push_str(&t.render(row).expect("render"));
        out.push('\n');
    }
}

#[cfg(engine = "gotmpl")]
fn render(_: &str, body: &str, data: &[Value], out: &mut String) {
    use gotemplate_compare::gotmpl_engine::Template;
    let t = Template::parse(body).expect("template");
    let headers = json!({"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
        "RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES",
        "Labels": "LABELS", "State": "STATE"});
    out.push_str(&t.render_header(&headers));
    out.push('\n');
    for row in data {
        out.push_str(&t.render(row).expect("render"));
        out.push('\n');
    }
}

#[cfg(not(any(engine = "berth", engine = "gotmpl")))]
fn render(_: &str, _: &str, data: &[Value], out: &mut String) {
    for row in data {
        out.push_str(&row.to_string());
        out.push('\n');
    }
}
