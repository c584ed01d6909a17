//! Fuzz targets (see tests/fuzz): the Dockerfile parser, shell-word expansion and
//! `.dockerignore`. Every input must give `Ok` or an error: no panic, no hang.

use berth_dockerfile::dockerignore::DockerIgnore;
use berth_dockerfile::expand::{EnvList, Lexer};
use berth_dockerfile::parser::{dump, parse};
use berth_fuzz::{fuzz_target, read_seeds};
use std::path::Path;

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance");

/// Largest input: bigger ones test the machine, not the parser.
const MAX_LEN: usize = 16 * 1024;

const DOCKERFILE_TOKENS: &[&str] = &[
    "FROM ",
    "RUN ",
    "COPY ",
    "ADD ",
    "ENV ",
    "ARG ",
    "LABEL ",
    "ONBUILD ",
    "HEALTHCHECK ",
    "SHELL ",
    "CMD ",
    "ENTRYPOINT ",
    "EXPOSE ",
    "USER ",
    "WORKDIR ",
    "VOLUME ",
    "STOPSIGNAL ",
    "MAINTAINER ",
    "# syntax=",
    "# escape=`\n",
    "# escape=\\\n",
    "# check=",
    "<<EOF\n",
    "<<-EOF\n",
    "<<\"EOF\"\n",
    "\nEOF\n",
    "--from=",
    "--mount=type=",
    "--chmod=",
    " AS ",
    "[\"",
    "\"]",
    "\\\n",
    "`\n",
    "${",
    ":-",
    ":+",
    "##",
    "%%",
    "//",
    "\u{feff}",
];

const WORD_TOKENS: &[&str] = &[
    "$",
    "${",
    "}",
    ":-",
    ":+",
    "-",
    "+",
    "?",
    ":?",
    "#",
    "##",
    "%",
    "%%",
    "/",
    "//",
    "'",
    "\"",
    "\\",
    "`",
    "$A",
    "${A}",
    "${EMPTY:-x}",
    "${A/*/y}",
    "*",
    "[a-z]",
    "\\$",
];

const IGNORE_TOKENS: &[&str] = &[
    "**",
    "*",
    "?",
    "[",
    "]",
    "[^",
    "\\",
    "!",
    "/",
    "../",
    "./",
    "\n",
    "#",
    "[a-",
    "[[:alpha:]]",
];

fn parser_seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(CONFORMANCE).join("dockerfile-parser");
    let mut seeds = read_seeds(&dir, MAX_LEN, |p| {
        p.file_name().is_some_and(|n| n == "Dockerfile")
    });
    seeds.push(b"FROM busybox\nRUN <<EOF\necho hi\nEOF\nCOPY --from=a [\"x\", \"y\"]\n".to_vec());
    seeds
}

/// The word column of BuildKit's `envVarTest` and `wordsTest` tables (`A|word | result`).
fn word_seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(CONFORMANCE).join("dockerfile-shell");
    let mut seeds = Vec::new();
    for table in read_seeds(&dir, 1 << 20, |p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with("Test"))
    }) {
        for line in String::from_utf8_lossy(&table).lines() {
            let mut cols = line.split('|');
            if let (Some(_), Some(word)) = (cols.next(), cols.next()) {
                seeds.push(word.trim().as_bytes().to_vec());
            }
        }
    }
    seeds
}

#[test]
fn fuzz_dockerfile_parse() {
    fuzz_target!(
        seeds = parser_seeds(),
        max_len = MAX_LEN,
        dictionary = DOCKERFILE_TOKENS,
        body = |input: &[u8]| {
            if let Ok(file) = parse(input) {
                let _ = dump(&file);
                let _ = file.directives.syntax();
                for inst in &file.instructions {
                    let _ = inst.key_values();
                    for h in &inst.heredocs {
                        let _ = h.chomped_content();
                    }
                }
            }
        },
    );
}

#[test]
fn fuzz_shell_word_expansion() {
    // Variables the seeds use; the first input byte also picks the escape character.
    let env = EnvList::from_entries([
        "PWD=/home",
        "SHELL=bash",
        "KOREAN=한국어",
        "NULL=",
        "A=aaa",
        "B=b b b",
        "EMPTY=",
        "X=*.txt",
    ]);
    fuzz_target!(
        seeds = word_seeds(),
        max_len = 4096,
        dictionary = WORD_TOKENS,
        body = |input: &[u8]| {
            let word = String::from_utf8_lossy(input);
            let escape = if input.first() == Some(&b'`') {
                '`'
            } else {
                '\\'
            };
            let mut lexer = Lexer::new(escape);
            let _ = lexer.process_word(&word, &env);
            let _ = lexer.process_words(&word, &env);
            lexer.skip_unset_env = true;
            lexer.raw_quotes = input.len().is_multiple_of(2);
            let _ = lexer.process_word_with_matches(&word, &env);
        },
    );
}

/// Paths every ignore file is checked against (the input's part after a NUL adds more).
const PATHS: &[&str] = &[
    "",
    ".",
    "Dockerfile",
    "a",
    "a/b",
    "a/b/c.txt",
    "dir/file",
    "dir/dir2/file",
    ".git/HEAD",
    "junk/keep.txt",
    "x/../y",
    "[a]",
    "a*b",
    "deep/a/b/c/d/e/f/g",
];

#[test]
fn fuzz_dockerignore() {
    let seeds = vec![
        b"**\n!keep".to_vec(),
        b"junk\n!junk/keep.txt\n".to_vec(),
        b"# comment\n*.md\n!README.md\n/dir/**/x\n".to_vec(),
        b"[a-c]*\n[^x]?\n\\*\n**/*.o\n\0a/b\nc.o".to_vec(),
        b"dir/**/*.go\n!dir/keep/**\n../up\n./here\n".to_vec(),
    ];
    fuzz_target!(
        seeds = seeds,
        max_len = 4096,
        dictionary = IGNORE_TOKENS,
        body = |input: &[u8]| {
            let text = String::from_utf8_lossy(input);
            let (patterns, extra) = text.split_once('\0').unwrap_or((&text, ""));
            let Ok(ignore) = DockerIgnore::parse(patterns) else {
                return;
            };
            for path in PATHS.iter().copied().chain(extra.lines()) {
                let _ = ignore.matches(path);
                let _ = ignore.may_reinclude_below(path);
                let _ = ignore.can_skip_dir(path);
            }
        },
    );
}

#[test]
fn fuzz_csv_fields() {
    let seeds = vec![
        b"type=bind,source=/a,target=/b".to_vec(),
        b"\"a,b\",c,\"d\"\"e\"".to_vec(),
    ];
    fuzz_target!(
        seeds = seeds,
        max_len = 1024,
        body = |input: &[u8]| {
            let _ = berth_dockerfile::csv::fields(&String::from_utf8_lossy(input));
        },
    );
}
