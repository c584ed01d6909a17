//! The runner's own guarantees: bounded inputs, reproducible sequences, every seed run.

use berth_fuzz::{escape, Mutations, Rng};
use std::cell::RefCell;

#[test]
fn inputs_respect_max_len_and_replay_from_the_seed() {
    let m = Mutations::new(vec![b"hello world".to_vec(), vec![b'x'; 100]], 16)
        .with_dictionary(&["${", "}"]);
    // The over-long seed is dropped; an empty one is added.
    assert_eq!(m.seeds(), [b"hello world".to_vec(), Vec::new()]);
    let run = |seed| {
        let mut rng = Rng::new(seed);
        (0..2000).map(|_| m.generate(&mut rng)).collect::<Vec<_>>()
    };
    let a = run(7);
    assert!(a.iter().all(|i| i.len() <= 16));
    assert_eq!(a, run(7), "same seed, same inputs");
    assert_ne!(a, run(8));
    assert!(
        a.iter().any(|i| i.windows(2).any(|w| w == b"${")),
        "dictionary used"
    );
}

#[test]
fn every_seed_runs_before_mutations() {
    std::env::set_var("BERTH_FUZZ_ITERATIONS", "10");
    let seen = RefCell::new(Vec::new());
    berth_fuzz::fuzz_target!(
        seeds = vec![b"one".to_vec(), b"two".to_vec()],
        max_len = 8,
        body = |input: &[u8]| seen.borrow_mut().push(input.to_vec()),
    );
    let seen = seen.into_inner();
    assert_eq!(seen.len(), 3 + 10);
    assert_eq!(seen[..3], [b"one".to_vec(), b"two".to_vec(), Vec::new()]);
}

#[test]
fn escape_is_a_rust_byte_string() {
    assert_eq!(escape(b"a\"\0\xff\n"), "a\\\"\\x00\\xff\\n");
}
