//! Fuzz target (see tests/fuzz): the compose loader on one file from standard input (YAML,
//! anchors and merge keys, `.env` and interpolation, schema validation, `extends`), then the
//! typed model, the start order and `compose config`'s output. An input is the YAML text,
//! optionally followed by a NUL and the text of the project's `.env`. Every input must give
//! `Ok` or an error: no panic, no hang.

use berth_compose::load::{load_with_warnings, LoadOptions};
use berth_compose::model;
use berth_fuzz::{fuzz_target, read_seeds};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MAX_LEN: usize = 16 * 1024;

const COMPOSE_TOKENS: &[&str] = &[
    "services:\n",
    "  web:\n",
    "    image: ",
    "    build: .\n",
    "    ports:\n",
    "      - ",
    "    volumes:\n",
    "    environment:\n",
    "    depends_on:\n",
    "    extends:\n",
    "    healthcheck:\n",
    "    deploy:\n",
    "    profiles: [",
    "networks:\n",
    "volumes:\n",
    "secrets:\n",
    "configs:\n",
    "include:\n",
    "x-",
    "&a ",
    "*a",
    "<<: *a\n",
    "!reset ",
    "!override ",
    "${",
    "${X:-",
    "${X:?",
    "$$",
    "}",
    "---\n",
    "...\n",
    "? ",
    ": ",
    "- ",
    "|\n",
    ">-\n",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    "8080:80/udp",
    "127.0.0.1:80-90:80-90",
    "1.5g",
    "10s",
    "null",
    "~",
    "0x1F",
    "1e9",
    ".inf",
    "\t",
    "\0",
];

fn seeds() -> Vec<Vec<u8>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let is = |p: &Path, exts: &[&str]| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
    };
    let mut seeds = read_seeds(&data, MAX_LEN, |p| is(p, &["yaml", "yml"]));
    let envs = read_seeds(&data, 2048, |p| is(p, &["env"]));
    // A few files with a `.env` after them.
    let with_env: Vec<Vec<u8>> = seeds
        .iter()
        .zip(envs.iter().cycle())
        .take(envs.len())
        .map(|(y, e)| [y.as_slice(), b"\0", e.as_slice()].concat())
        .collect();
    seeds.extend(with_env);
    seeds.push(b"services:\n  a: &a\n    image: x\n    environment: [A=${A:-1}]\n  b:\n    <<: *a\n    depends_on: [a]\n".to_vec());
    // Nested aliases (a small "billion laughs").
    seeds.push(b"x-a: &a [1,1,1,1,1,1,1,1]\nx-b: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nx-c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nx-d: &d [*c,*c,*c,*c,*c,*c,*c,*c]\nservices:\n  s:\n    image: x\n".to_vec());
    // Seven levels of ten aliases (ten million nodes), and sequences nested a thousand deep:
    // both once took the loader down (a hang, a stack overflow).
    let mut laughs = b"x-0: &a0 [1,1,1,1,1,1,1,1,1,1]\n".to_vec();
    for i in 1..7 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        laughs.extend_from_slice(format!("x-{i}: &a{i} [{refs}]\n").as_bytes());
    }
    seeds.push(laughs);
    seeds.push(format!("x-a:\n{}1\nservices: {{}}\n", "- ".repeat(1000)).into_bytes());
    seeds
}

#[test]
fn fuzz_compose_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env_file = dir.path().join(".env");
    let environment: BTreeMap<String, String> = [("A", "a"), ("EMPTY", ""), ("HOME", "/root")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    fuzz_target!(
        seeds = seeds(),
        max_len = MAX_LEN,
        dictionary = COMPOSE_TOKENS,
        body = |input: &[u8]| {
            let (yaml, env) = match input.iter().position(|b| *b == 0) {
                Some(i) => (&input[..i], Some(&input[i + 1..])),
                None => (input, None),
            };
            match env {
                Some(env) => std::fs::write(&env_file, env).expect("write .env"),
                None => {
                    let _ = std::fs::remove_file(&env_file);
                }
            }
            let opts = LoadOptions {
                files: vec![PathBuf::from("-")],
                stdin: Some(String::from_utf8_lossy(yaml).into_owned()),
                project_name: Some("fuzz".into()),
                environment: environment.clone(),
                working_dir: dir.path().to_path_buf(),
                ..LoadOptions::default()
            };
            let Ok((loaded, _warnings)) = load_with_warnings(&opts) else {
                return;
            };
            let Ok(project) = model::project(&loaded, &[]) else {
                return;
            };
            let names: Vec<String> = project.services.keys().cloned().collect();
            let _ = project.start_order(&names);
            let _ = project.to_yaml();
            for name in &names {
                let _ = project.config_hash(name);
            }
        },
    );
}
