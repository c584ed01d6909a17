//! Runs every case of cases.txt through berth-gotemplate and through the gotmpl adapter, and
//! compares both with Go's results (go-expected.json, written by go-oracle/).
//!
//! `cargo run --release -- [--all]`: prints the cases where an engine differs from Go (all
//! cases with --all) and a summary.

use gotemplate_compare::{cases, gotmpl_engine};
use serde_json::Value;
use std::collections::BTreeMap;

fn berth(c: &cases::Case) -> String {
    use berth_gotemplate::Template;
    let t = match c.mode.as_str() {
        "fmt" | "header" => Template::parse(&c.template),
        "strict" => Template::parse_raw(&c.template).map(Template::with_missing_key_error),
        _ => Template::parse_raw(&c.template),
    };
    match t {
        Err(e) => e.to_string(),
        Ok(t) if c.mode == "header" => t.render_header(&c.data),
        Ok(t) => t.render(&c.data).unwrap_or_else(|e| e.to_string()),
    }
}

fn gotmpl(c: &cases::Case) -> String {
    use gotmpl_engine::Template;
    let run = || {
        let t = match c.mode.as_str() {
            "fmt" | "header" => Template::parse(&c.template),
            "strict" => Template::parse_raw(&c.template).map(Template::with_missing_key_error),
            _ => Template::parse_raw(&c.template),
        };
        match t {
            Err(e) => e.to_string(),
            Ok(t) if c.mode == "header" => t.render_header(&c.data),
            Ok(t) => t.render(&c.data).unwrap_or_else(|e| e.to_string()),
        }
    };
    std::panic::catch_unwind(run).unwrap_or_else(|_| "PANIC".into())
}

fn main() {
    let all = std::env::args().any(|a| a == "--all");
    let dir = env!("CARGO_MANIFEST_DIR");
    let go: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/go-expected.json"))
            .expect("go-expected.json: run go-oracle first (see README.md)"),
    )
    .expect("go-expected.json is JSON");
    let mut go = go;
    // The oracle is Go 1.19 (Debian's golang-go); the Docker CLI 28 is built with Go >= 1.23,
    // whose text/template ranges over integers (Go 1.22) and has `{{else with}}` (Go 1.23).
    for (name, newer_go) in [("t.range-int", "012"), ("g.with-else-with", "proxy")] {
        go.insert(name.into(), newer_go.into());
    }
    let cases = cases::load(dir);
    let (mut n, mut b_ok, mut g_ok, mut b_err_ok, mut g_err_ok, mut errs) = (0, 0, 0, 0, 0, 0);
    let mut rows = Vec::new();
    for c in &cases {
        let want = go.get(&c.name).cloned().unwrap_or_default();
        let (b, g) = (berth(c), gotmpl(c));
        n += 1;
        let is_err = want.starts_with("template parsing error");
        errs += usize::from(is_err);
        b_ok += usize::from(b == want);
        g_ok += usize::from(g == want);
        if is_err {
            b_err_ok += usize::from(b == want);
            g_err_ok += usize::from(g == want);
        }
        if all || b != want || g != want {
            rows.push((c.name.clone(), c.template.clone(), want, b, g));
        }
    }
    let q = |s: &str| Value::String(s.into()).to_string();
    for (name, t, want, b, g) in &rows {
        println!("## {name}  {}", q(t));
        println!("   go:     {}", q(want));
        let mark = |x: &String| if x == want { "=" } else { "≠" };
        println!("   berth {} {}", mark(b), q(b));
        println!("   gotmpl{} {}", mark(g), q(g));
    }
    println!();
    println!("cases: {n} ({errs} where Go reports an error)");
    println!(
        "berth-gotemplate identical to Go: {b_ok}/{n} (errors {b_err_ok}/{errs}, output {}/{})",
        b_ok - b_err_ok,
        n - errs
    );
    println!(
        "gotmpl 0.6 adapter identical to Go: {g_ok}/{n} (errors {g_err_ok}/{errs}, output {}/{})",
        g_ok - g_err_ok,
        n - errs
    );
}
