//! Hostile input: the parser must never panic, whatever the bytes.

use berth_dockerfile::parser::{dump, parse};

/// A small deterministic PRNG (xorshift) so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const PIECES: &[&str] = &[
    "RUN ",
    "COPY ",
    "ENV ",
    "LABEL ",
    "ARG ",
    "ONBUILD ",
    "HEALTHCHECK ",
    "FROM ",
    "CMD ",
    "\\",
    "`",
    "\n",
    "\r\n",
    "#",
    "# escape=`\n",
    "# syntax=x\n",
    "<<",
    "<<-",
    "EOF",
    "'",
    "\"",
    "[",
    "]",
    ",",
    "=",
    "--",
    "--mount=",
    " ",
    "\t",
    "\u{a0}",
    "\u{feff}",
    "é",
    "☃",
    "\\u",
    "\\ud800",
    "{",
    "}",
    ":",
    "1",
    "null",
    "\u{0}",
    "\u{7f}",
];

#[test]
fn random_inputs_do_not_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let n = (rng.next() % 40) as usize;
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
        }
        if let Ok(df) = parse(s.as_bytes()) {
            let _ = dump(&df);
        }
    }
}

#[test]
fn random_bytes_do_not_panic() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let n = (rng.next() % 200) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
        let _ = parse(&bytes);
    }
}

#[test]
fn deep_onbuild_nesting_is_an_error_not_a_crash() {
    let src = format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(5_000));
    assert!(parse(src.as_bytes()).is_err());
    assert_eq!(
        dump(&parse(b"ONBUILD ONBUILD RUN x").expect("two levels parse")),
        "(onbuild (onbuild (run \"x\")))\n"
    );
}
