//! Container IDs (64 random hex digits) and Docker-style random names (`eager_turing`).

use std::io::Read;

use crate::error::{io_err, Result};

/// 32 random bytes from the kernel, as 64 hex digits.
pub fn random_id() -> Result<String> {
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(io_err("read", "/dev/urandom"))?;
    Ok(berth_store::digest::hex(&b))
}

const ADJECTIVES: &[&str] = &[
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful",
    "bold", "boring", "brave", "busy", "charming", "clever", "compassionate", "competent", "condescending",
    "confident", "cool", "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager",
    "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic", "exciting", "fervent", "festive",
    "flamboyant", "focused", "friendly", "frosty", "funny", "gallant", "gifted", "goofy", "gracious",
    "great", "happy", "hardcore", "heuristic", "hopeful", "hungry", "infallible", "inspiring", "intelligent",
    "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest",
    "musing", "mystifying", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
    "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "recursing",
    "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange",
    "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
    "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
];

const SURNAMES: &[&str] = &[
    "albattani", "allen", "almeida", "archimedes", "ardinghelli", "babbage", "banach", "bardeen", "bartik",
    "bassi", "bell", "benz", "bhabha", "black", "blackwell", "bohr", "booth", "borg", "bose", "boyd",
    "brahmagupta", "brown", "carson", "chandrasekhar", "curie", "darwin", "davinci", "dijkstra", "dubinsky",
    "easley", "einstein", "elion", "engelbart", "euclid", "euler", "fermat", "fermi", "feynman", "franklin",
    "galileo", "gates", "goldberg", "goldstine", "goodall", "hamilton", "hawking", "heisenberg", "hodgkin",
    "hoover", "hopper", "hypatia", "jackson", "jang", "jennings", "johnson", "kalam", "keller", "kepler",
    "khorana", "kilby", "knuth", "kowalevski", "lalande", "lamarr", "leakey", "leavitt", "lovelace",
    "lumiere", "mayer", "mccarthy", "mcclintock", "meitner", "mendel", "merkle", "mirzakhani", "montalcini",
    "moore", "morse", "napier", "nash", "newton", "nightingale", "nobel", "noether", "noyce", "pare",
    "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "ptolemy", "raman", "ramanujan", "ride",
    "ritchie", "rosalind", "sammet", "shannon", "shockley", "sinoussi", "stonebraker", "swanson", "tesla",
    "thompson", "torvalds", "turing", "varahamihira", "visvesvaraya", "wescoff", "wiles", "williams",
    "wilson", "wing", "wozniak", "wright", "yalow", "yonath",
];

/// A random `adjective_surname` name; `retry` > 0 appends a digit as Docker does on collision.
pub fn random_name(seed: &str, retry: u32) -> String {
    let bytes = seed.as_bytes();
    let pick = |i: usize, n: usize| {
        let v = u16::from_str_radix(seed.get(i * 4..i * 4 + 4).unwrap_or("0"), 16).unwrap_or(bytes.len() as u16);
        v as usize % n
    };
    let name = format!("{}_{}", ADJECTIVES[pick(retry as usize % 8, ADJECTIVES.len())], SURNAMES[pick(retry as usize % 8 + 1, SURNAMES.len())]);
    if retry > 0 {
        format!("{name}{retry}")
    } else {
        name
    }
}

/// Whether `name` is a valid container name (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphanumeric() && b[1..].iter().all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
}
