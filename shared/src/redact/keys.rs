//! Key-name matching: whether a key such as `db_password`, `X-Api-Key` or `token_count` names a secret
//! ([`SECRET_WORDS`], [`EXACT_SECRET_KEYS`]) or only describes one ([`HARMLESS_SUFFIXES`]), ignoring
//! ASCII case and separators, plus the tenant's own key patterns. Keys are matched in place: one table
//! look-up per byte rules out most keys without building a normalised copy.

/// How a key's value is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// Not secret by name; strings inside are still scanned.
    Plain,
    /// Replaced whole.
    Secret,
    /// A bare plural (`tokens`, `max_tokens`): a count when it is a number, secrets otherwise.
    SecretUnlessNumber,
}

/// Secret words matched as substrings of normalised keys (lowercase, no separators).
pub const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "privatekey",
    "secret",
    "sessionkey",
    "signingkey",
    "token",
    "apikey",
    "accesskey",
    "authorization",
    "cookie",
    "credential",
    "jwt",
    "encryptionkey",
    "masterkey",
    // Presigned URLs' signatures (`X-Amz-Signature`, `X-Goog-Signature`, CloudFront's `Signature`)
    // grant access until they expire.
    "signature",
];

/// Secret only as the whole key: as substrings these would hit `session_mode`, `author`, `compass`,
/// `footprint`, `signal`. `session_id` is an identifier the event model itself stores in the clear.
pub const EXACT_SECRET_KEYS: &[&str] = &[
    "session", "pass", "pwd", "auth", "otp", "cvv", "cvc",
    // An Azure shared access signature's `sig=`.
    "sig",
];

/// What may follow a secret word in a key that describes a secret without holding it: counts and limits,
/// times, ids and names, settings, and words that merely start alike (`tokenizer`, `secretary`,
/// `passwordless`). Each is matched as a prefix of the rest of the normalised key, so `change` also covers
/// `changed_at`. A key holding a secret further on (`password_reset_token`) is still secret.
pub const HARMLESS_SUFFIXES: &[&str] = &[
    "count",
    "used",
    "usage",
    "limit",
    "max",
    "min",
    "len",
    "size",
    "type",
    "kind",
    "id",
    "name",
    "label",
    "at",
    "time",
    "date",
    "expir",
    "ttl",
    "age",
    "change",
    "update",
    "create",
    "rotat",
    "reset",
    "polic",
    "rule",
    "strength",
    "require",
    "enable",
    "disable",
    "status",
    "valid",
    "url",
    "uri",
    "endpoint",
    "path",
    "domain",
    "field",
    "version",
    "prefix",
    "last",
    "manager",
    "store",
    "provider",
    "scope",
    "alg",
    "method",
    "detail",
    "per",
    "cache",
    "total",
    "remaining",
    "rate",
    "budget",
    "cost",
    "price",
    "window",
    "consent",
    "accept",
    "banner",
    "setting",
    "iz",
    "ary",
    "less",
];

/// The first three letters of every [`SECRET_WORDS`] and [`EXACT_SECRET_KEYS`] entry, as a bit set over
/// [`trigram`]s: most keys contain none of them and are judged plain after one table look-up per byte.
static WORD_STARTS: [u64; 512] = {
    let mut set = [0u64; 512];
    let mut w = 0;
    while w < SECRET_WORDS.len() + EXACT_SECRET_KEYS.len() {
        let word = if w < SECRET_WORDS.len() {
            SECRET_WORDS[w].as_bytes()
        } else {
            EXACT_SECRET_KEYS[w - SECRET_WORDS.len()].as_bytes()
        };
        let t = trigram(word[0], word[1], word[2]);
        set[t >> 6] |= 1 << (t & 63);
        w += 1;
    }
    set
};

/// Three bytes folded to their low five bits, which ignores ASCII case (`A` and `a` agree). Other bytes
/// may collide with letters; that only costs a closer look.
const fn trigram(a: u8, b: u8, c: u8) -> usize {
    ((a as usize & 31) << 10) | ((b as usize & 31) << 5) | (c as usize & 31)
}

/// Judges a key by the built-in names, ignoring ASCII case and separators inside the words (the first
/// three letters of a word must be adjacent: `api_key`, `Api-Key`, `pass_word` match, `a_p_i_key` does not).
pub(super) fn builtin_kind(key: &[u8]) -> KeyKind {
    let mut kind = KeyKind::Plain;
    let mut candidate = false;
    for (i, w) in key.windows(3).enumerate() {
        let t = trigram(w[0], w[1], w[2]);
        if WORD_STARTS[t >> 6] & (1 << (t & 63)) == 0 {
            continue;
        }
        candidate = true;
        let first = w[0].to_ascii_lowercase();
        for word in SECRET_WORDS
            .iter()
            .filter(|word| word.as_bytes()[0] == first)
        {
            if let Some(end) = match_word(key, i, word.as_bytes()) {
                match rest_kind(&key[end..]) {
                    KeyKind::Secret => return KeyKind::Secret,
                    KeyKind::SecretUnlessNumber => kind = KeyKind::SecretUnlessNumber,
                    KeyKind::Plain => {}
                }
            }
        }
    }
    if candidate
        && kind == KeyKind::Plain
        && (key.len() <= 12 && EXACT_SECRET_KEYS.iter().any(|w| eq_normalized(key, w))
            || SECRET_LAST_SEGMENTS
                .iter()
                .any(|w| last_segment(key).eq_ignore_ascii_case(w.as_bytes())))
    {
        return KeyKind::Secret;
    }
    kind
}

/// Secret as the last segment of a key (`smtp_pass`, `DB_PASS`, `MYSQL_PWD`, `redisPass`), where as
/// a bare substring they would hit `compass` and `bypass`.
const SECRET_LAST_SEGMENTS: &[&str] = &["pass", "pwd"];

/// The key's last segment: after its last separator, or its last capital in camelCase.
fn last_segment(key: &[u8]) -> &[u8] {
    let start = key
        .iter()
        .rposition(|c| is_separator(*c))
        .map_or(0, |at| at + 1);
    let segment = &key[start..];
    let lower = segment.iter().any(u8::is_ascii_lowercase);
    match segment.iter().rposition(u8::is_ascii_uppercase) {
        Some(at) if lower && at > 0 => &segment[at..],
        _ => segment,
    }
}

/// Matches a lowercase `word` at `key[i..]`, ignoring case and separators in the key; returns its end.
fn match_word(key: &[u8], mut i: usize, word: &[u8]) -> Option<usize> {
    for &w in word {
        while i < key.len() && is_separator(key[i]) {
            i += 1;
        }
        if key.get(i)?.to_ascii_lowercase() != w {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// Judges what follows a secret word in a key (see [`HARMLESS_SUFFIXES`]).
fn rest_kind(rest: &[u8]) -> KeyKind {
    let mut buf = [0u8; 24];
    let mut n = 0;
    for &c in rest.iter().filter(|c| !is_separator(**c)).take(buf.len()) {
        buf[n] = c.to_ascii_lowercase();
        n += 1;
    }
    let rest = &buf[..n];
    let harmless = |r: &[u8]| {
        HARMLESS_SUFFIXES
            .iter()
            .any(|w| r.starts_with(w.as_bytes()))
    };
    match rest {
        [] => KeyKind::Secret,
        _ if harmless(rest) => KeyKind::Plain,
        [b's'] => KeyKind::SecretUnlessNumber,
        [b's', plural_rest @ ..] if harmless(plural_rest) => KeyKind::Plain,
        _ => KeyKind::Secret,
    }
}

fn eq_normalized(key: &[u8], word: &str) -> bool {
    let mut key = key
        .iter()
        .filter(|c| !is_separator(**c))
        .map(u8::to_ascii_lowercase);
    word.bytes().all(|w| key.next() == Some(w)) && key.next().is_none()
}

pub(super) fn is_separator(c: u8) -> bool {
    matches!(c, b'_' | b'-' | b'.' | b' ')
}

/// Calls `f` with `bytes` lowercased and without separators, on the stack when it fits.
pub(super) fn with_normalized<R>(bytes: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 64];
    if bytes.len() > buf.len() {
        let heap: Vec<u8> = bytes
            .iter()
            .filter(|c| !is_separator(**c))
            .map(u8::to_ascii_lowercase)
            .collect();
        return f(&heap);
    }
    let mut n = 0;
    for &c in bytes {
        buf[n] = c.to_ascii_lowercase();
        n += usize::from(!is_separator(c));
    }
    f(&buf[..n])
}

/// A tenant key pattern (`name`, `*name`, `name*`, `*name*`) against a normalised key.
pub(super) fn pattern_matches(key: &[u8], pattern: &str) -> bool {
    let any_start = pattern.starts_with('*');
    let any_end = pattern.len() > 1 && pattern.ends_with('*');
    let core = pattern.trim_start_matches('*').trim_end_matches('*');
    with_normalized(core.as_bytes(), |p| {
        if p.is_empty() {
            return false;
        }
        match (any_start, any_end) {
            (false, false) => key == p,
            (true, false) => key.ends_with(p),
            (false, true) => key.starts_with(p),
            (true, true) => key.windows(p.len()).any(|w| w == p),
        }
    })
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
