//! Byte-level mutations of a corpus input: bit flips, interesting bytes, numbers and
//! strings, deletions, duplications, repetitions, splices and truncations.

use crate::rng::Rng;
use crate::shapes::{INTERESTING_NUMBERS, INTERESTING_STRINGS};

/// No mutation grows an input past this many bytes.
pub const MAX_LEN: usize = 1 << 20;

const INTERESTING_BYTES: &[u8] = &[
    0, 1, 0x7f, 0x80, 0xc0, 0xfe, 0xff, b'"', b'\\', b'<', b'>', b'/', b'{', b'}', b'[', b']',
    b':', b',', b'.', b'=', b'&', b'%', b'-', b'9', b' ', b'\n',
];

/// Applies one to eight random mutations to `input`, splicing from `corpus` at times.
pub fn mutate(input: &mut Vec<u8>, rng: &mut Rng, corpus: &[Vec<u8>]) {
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        mutate_once(input, rng, corpus);
    }
    input.truncate(MAX_LEN);
}

fn mutate_once(input: &mut Vec<u8>, rng: &mut Rng, corpus: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(11) {
        0 if len > 0 => {
            let at = rng.below(len);
            input[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            input[at] = *rng.pick(INTERESTING_BYTES);
        }
        2 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64.min(len - start))).min(len);
            input.drain(start..end);
        }
        3 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(256)).min(len);
            let piece = input[start..end].to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, piece);
        }
        4 => {
            let number = rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec();
            replace_number_or_insert(input, rng, &number);
        }
        5 => {
            let piece = rng.pick(INTERESTING_STRINGS).to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, piece);
        }
        6 if !corpus.is_empty() => {
            let other = rng.pick(corpus);
            let keep = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            input.truncate(keep);
            input.extend_from_slice(&other[from..]);
        }
        7 if len > 0 => input.truncate(rng.below(len)),
        8 if len > 0 => {
            // Repeat a short piece many times: long strings, wide or deep documents.
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            let piece = input[start..end].to_vec();
            let times = crate::shapes::length(rng).max(2);
            let mut repeated = Vec::with_capacity(piece.len() * times);
            for _ in 0..times {
                if repeated.len() + piece.len() > MAX_LEN {
                    break;
                }
                repeated.extend_from_slice(&piece);
            }
            input.splice(start..start, repeated);
        }
        9 if len > 0 => {
            // Swap two bytes far apart.
            let (a, b) = (rng.below(len), rng.below(len));
            input.swap(a, b);
        }
        _ => {
            let at = rng.below(len + 1);
            input.insert(at, *rng.pick(INTERESTING_BYTES));
        }
    }
}

/// Replaces a run of digits with `number`, or inserts it where there is none.
fn replace_number_or_insert(input: &mut Vec<u8>, rng: &mut Rng, number: &[u8]) {
    let digits: Vec<usize> = input
        .iter()
        .enumerate()
        .filter(|(i, b)| b.is_ascii_digit() && (*i == 0 || !input[i - 1].is_ascii_digit()))
        .map(|(i, _)| i)
        .collect();
    if digits.is_empty() {
        let at = rng.below(input.len() + 1);
        input.splice(at..at, number.iter().copied());
        return;
    }
    let start = *rng.pick(&digits);
    let end = input[start..]
        .iter()
        .position(|b| !(b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')))
        .map_or(input.len(), |n| start + n);
    input.splice(start..end, number.iter().copied());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_and_bounded() {
        let corpus = vec![b"{\"expires_in\": 3599}".to_vec()];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut input = corpus[0].clone();
            mutate(&mut input, &mut rng, &corpus);
            input
        };
        for seed in 0..500 {
            let once = run(seed);
            assert_eq!(once, run(seed));
            assert!(once.len() <= MAX_LEN);
        }
        assert!((0..500).any(|seed| run(seed) != corpus[0]));
    }

    #[test]
    fn a_number_is_replaced_in_place() {
        let mut input = b"{\"expires_in\": 3599}".to_vec();
        replace_number_or_insert(&mut input, &mut Rng::new(0), b"1e300");
        assert_eq!(input, b"{\"expires_in\": 1e300}");
    }
}
