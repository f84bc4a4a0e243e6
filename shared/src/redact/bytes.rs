//! Byte-level helpers shared by the scanner and the detectors: ASCII classes, runs and look-arounds
//! over the bytes of a UTF-8 string. Every detector anchors on ASCII, so ranges never split a character.

pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub(super) fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.len() >= prefix.len() && b[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The end of the run of bytes from `i` that satisfy `f`.
pub(super) fn run(b: &[u8], mut i: usize, f: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && f(b[i]) {
        i += 1;
    }
    i
}

pub(super) fn skip_blanks(b: &[u8], i: usize) -> usize {
    run(b, i, |c| c == b' ' || c == b'\t')
}

pub(super) fn prev_non_blank(b: &[u8], i: usize) -> u8 {
    let mut j = i;
    while j > 0 && matches!(b[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    if j > 0 {
        b[j - 1]
    } else {
        0
    }
}

pub(super) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

pub(super) fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1])
}

pub(super) fn is_quote(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'`')
}

pub(super) fn is_base64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

pub(super) fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._~+/=-".contains(&c)
}
