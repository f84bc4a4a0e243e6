//! The [`Detector::CodeAssignment`] detector: secrets assigned in code, config, query strings and
//! headers (`password = "hunter2"`, `TOKEN=abc`, `{"x-api-key", "..."}`, `@secret "..."`). The key before
//! the operator is judged like an object key; only the value is redacted, so the code stays readable.

use super::bytes::{
    find, is_quote, is_word, prev_non_blank, run, skip_blanks, starts_with_ci, word_start,
};
use super::keys::KeyKind;
use super::rules::Detector;
use super::walk::Redactor;
use super::REDACTED;

impl Redactor<'_> {
    /// An Elixir module attribute holding a secret: `@api_key "..."`.
    pub(super) fn attribute(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::CodeAssignment) || self.identifier || !word_start(b, i) {
            return None;
        }
        let name_end = run(b, i + 1, is_word);
        let value = skip_blanks(b, name_end);
        if name_end == i + 1 || value == name_end || !b.get(value).is_some_and(|c| is_quote(*c)) {
            return None;
        }
        match self.classify(&b[i + 1..name_end]) {
            KeyKind::Plain => None,
            kind => quoted_value(b, value, kind),
        }
    }

    /// A command-line option holding a secret, `--password hunter2` or `--api-key "value"`, with `b[i]`
    /// the first `-`: the value. (`--password=value` is an assignment.) A value starting with `-` is the
    /// next option, so `--password --verbose` keeps both; an unquoted value must look like a secret (a
    /// digit or a symbol), since many such options take no value: `pg_dump --password mydb`,
    /// `docker login --password-stdin registry.io`.
    pub(super) fn cli_option(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::CodeAssignment)
            || self.identifier
            || b.get(i + 1) != Some(&b'-')
            || (i > 0 && !matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'"' | b'\'' | b'`' | b'('))
        {
            return None;
        }
        let name_end = run(b, i + 2, |c| is_word(c) || c == b'-');
        let v = skip_blanks(b, name_end);
        if name_end - i - 2 < 3 || v == name_end || v == b.len() || b[v] == b'-' {
            return None;
        }
        match self.classify(&b[i + 2..name_end]) {
            KeyKind::Plain => None,
            kind if is_quote(b[v]) => quoted_value(b, v, kind),
            kind => unquoted_value(b, v, kind, false),
        }
    }

    /// SQL's `PASSWORD 'x'` (`CREATE USER`, `ALTER ROLE ... WITH PASSWORD`) and `IDENTIFIED BY 'x'`,
    /// with `b[i]` the opening quote: the quoted value.
    pub(super) fn sql_password(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::CodeAssignment) || self.identifier || b[i] != b'\'' {
            return None;
        }
        let word_before = |end: usize| {
            let end = {
                let mut j = end;
                while j > 0 && matches!(b[j - 1], b' ' | b'\t' | b'\n') {
                    j -= 1;
                }
                j
            };
            let start = {
                let mut k = end;
                while k > 0 && b[k - 1].is_ascii_alphabetic() {
                    k -= 1;
                }
                k
            };
            (start < end && end < i && word_start(b, start)).then_some((start, &b[start..end]))
        };
        let (start, word) = word_before(i)?;
        let sql = word.eq_ignore_ascii_case(b"password")
            || word.eq_ignore_ascii_case(b"by")
                && word_before(start).is_some_and(|(_, w)| w.eq_ignore_ascii_case(b"identified"));
        if !sql || start + word.len() == i {
            return None;
        }
        quoted_value(b, i, KeyKind::Secret)
    }

    /// `key = value`, `key: value`, `key := value`, `key => value`, `key == value` and the tuple
    /// `{"key", "value"}`, with `b[i]` the `=`, `:` or `,`.
    pub(super) fn assignment(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::CodeAssignment) {
            return None;
        }
        let op = b[i];
        if self.identifier && op != b'=' {
            return None;
        }
        let prev = if i > 0 { b[i - 1] } else { 0 };
        let next = b.get(i + 1).copied().unwrap_or(0);
        let mut v = i + 1;
        match op {
            b':' => {
                if prev == b':' || next == b':' {
                    return None;
                }
                if next == b'=' {
                    v += 1;
                }
            }
            b'=' => {
                if b"=!<>:+-*/%&|^~".contains(&prev) {
                    return None;
                }
                if next == b'=' || next == b'>' {
                    v += 1;
                    if b.get(v) == Some(&b'=') {
                        v += 1;
                    }
                }
            }
            _ => {
                // A comma only pairs a key with a quoted value: a quoted key inside `{` or `(`, or
                // an Elixir atom (`{:password, "x"}`, `put_env(:ex_aws, :secret_access_key, "x")`).
                let before = prev_non_blank(b, i);
                if !is_quote(before) && !is_word(before) {
                    return None;
                }
            }
        }
        let key = key_before(b, i)?;
        let query = op == b'=' && key.start > 0 && matches!(b[key.start - 1], b'?' | b'&');
        if self.identifier && !query {
            return None;
        }
        if op == b':' && user_option_before(b, key.start) {
            // `curl -u user:password`, `--user user:password`: the part after the colon.
            return unquoted_value(b, i + 1, KeyKind::Secret, true);
        }
        // The shortest secret key names (`pwd`, `otp`) have three letters.
        if key.name.len() < 3 {
            return None;
        }
        let atom = !key.quoted
            && key.start > 0
            && b[key.start - 1] == b':'
            && (key.start < 2 || b[key.start - 2] != b':');
        // An argument list's option: `["--password", "x"]` (`System.cmd`, `subprocess.run`).
        let option = key.quoted && key.name.starts_with(b"--");
        if op == b','
            && !(key.quoted && matches!(prev_non_blank(b, key.start), b'{' | b'(')
                || atom
                || option)
        {
            return None;
        }
        let kind = self.classify(key.name);
        if kind == KeyKind::Plain {
            return None;
        }
        let mut v = skip_blanks(b, v);
        // Python string prefixes: f"...", b'...'.
        if b.get(v).is_some_and(|c| b"fbru".contains(c))
            && b.get(v + 1).is_some_and(|c| is_quote(*c))
        {
            v += 1;
        }
        if b.get(v).is_some_and(|c| is_quote(*c)) {
            return quoted_value(b, v, kind);
        }
        if b.get(v) == Some(&b'\\') && b.get(v + 1).is_some_and(|c| is_quote(*c)) {
            return escaped_quoted_value(b, v, kind);
        }
        if op == b',' {
            return None;
        }
        let env = op == b'='
            && !key.quoted
            && key.end == i
            && v == i + 1
            && key.name.iter().any(u8::is_ascii_uppercase)
            && !key.name.iter().any(u8::is_ascii_lowercase);
        unquoted_value(b, v, kind, query || env)
    }
}

/// Auth schemes a header's value may start with, kept readable before the credential.
const AUTH_SCHEMES: [&[u8]; 5] = [b"bearer ", b"basic ", b"token ", b"digest ", b"apikey "];

/// Whether the word starting at `start` follows a `-u` or `--user` option (and a blank): curl's,
/// wget's and others' `user:password`.
fn user_option_before(b: &[u8], start: usize) -> bool {
    let mut end = start;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    if end == start {
        return false;
    }
    let before = &b[..end];
    [&b"-u"[..], b"--user"].iter().any(|option| {
        before.ends_with(option)
            && (before.len() == option.len()
                || before[before.len() - option.len() - 1].is_ascii_whitespace())
    })
}

/// The key just before the operator at `i`: `key`, `"key"`, `'key'` or `["key"]`.
struct KeyBefore<'b> {
    name: &'b [u8],
    /// Where the key starts, its opening quote included.
    start: usize,
    /// Where the key ends, its closing quote and bracket included.
    end: usize,
    quoted: bool,
}

fn key_before(b: &[u8], i: usize) -> Option<KeyBefore<'_>> {
    let mut end = i;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    let key_end = end;
    let mut j = end;
    if j > 0 && b[j - 1] == b']' {
        j -= 1;
    }
    if j > 0 && is_quote(b[j - 1]) {
        let quote = b[j - 1];
        let close = j - 1;
        let mut k = close;
        while k > 0 && b[k - 1] != quote {
            if b[k - 1] == b'\n' || close - k >= 80 {
                return None;
            }
            k -= 1;
        }
        if k == 0 || k == close {
            return None;
        }
        // JSON inside a string escapes its quotes: `\"password\":`, the key then ends in `\`.
        let name = &b[k..close];
        let name = name.strip_suffix(b"\\").unwrap_or(name);
        return Some(KeyBefore {
            name,
            start: k - 1,
            end: key_end,
            quoted: true,
        });
    }
    let mut k = j;
    while k > 0 && (is_word(b[k - 1]) || b[k - 1] == b'-' || b[k - 1] == b'.') && j - k < 80 {
        k -= 1;
    }
    // Names do not start with a digit; this also passes over times (`10:00`) quickly.
    (k < j && !b[k].is_ascii_digit()).then_some(KeyBefore {
        name: &b[k..j],
        start: k,
        end: key_end,
        quoted: false,
    })
}

/// The contents of the string literal opening at `b[v]` (single, double or back quotes, or tripled),
/// minus a leading auth scheme (`"Bearer " <> token` stays readable). An unterminated literal runs to the
/// end of the line.
fn quoted_value(b: &[u8], v: usize, kind: KeyKind) -> Option<(usize, usize)> {
    let quote = b[v];
    let triple = [quote; 3];
    let (start, end) = if b[v..].starts_with(&triple) {
        let start = v + 3;
        (
            start,
            find(&b[start..], &triple).map_or(b.len(), |at| start + at),
        )
    } else {
        let mut j = v + 1;
        while j < b.len() && b[j] != quote && b[j] != b'\n' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        (v + 1, j.min(b.len()))
    };
    quoted_contents(b, start, end, kind)
}

/// `b[start..end]`, a string's contents, minus a leading auth scheme; `None` when nothing is left to
/// redact.
fn quoted_contents(
    b: &[u8],
    mut start: usize,
    end: usize,
    kind: KeyKind,
) -> Option<(usize, usize)> {
    for scheme in AUTH_SCHEMES {
        if starts_with_ci(&b[start..end], scheme) {
            start = skip_blanks(b, start + scheme.len()).min(end);
            break;
        }
    }
    let value = &b[start..end];
    if value.is_empty()
        || value == REDACTED.as_bytes()
        || (kind == KeyKind::SecretUnlessNumber && value.iter().all(u8::is_ascii_digit))
    {
        return None;
    }
    Some((start, end))
}

/// The contents of a string literal whose quotes are escaped, opening at `b[v]` with `\"` (JSON
/// written inside a string: `"{\"password\":\"hunter2\"}"`), up to the next `\"` or the line's end.
fn escaped_quoted_value(b: &[u8], v: usize, kind: KeyKind) -> Option<(usize, usize)> {
    let quote = b[v + 1];
    let start = v + 2;
    let mut end = start;
    while end < b.len() && b[end] != b'\n' {
        match (b[end], b.get(end + 1)) {
            (b'\\', Some(c)) if *c == quote => break,
            // `\\` is the inner string's backslash, which escapes the inner character after it
            // (`\\\"` is an escaped quote of the inner string, not its end).
            (b'\\', Some(b'\\')) => {
                end += 2;
                end += if b.get(end) == Some(&b'\\') { 2 } else { 1 };
            }
            (b'\\', _) => end += 2,
            _ => end += 1,
        }
    }
    let end = end.min(b.len());
    quoted_contents(b, start, end, kind)
}

/// An unquoted value at `b[v]`, up to a blank or a closing delimiter. Calls, indexing and references to
/// other names are code, not secrets, unless `always` (environment lines, query strings).
fn unquoted_value(b: &[u8], mut v: usize, kind: KeyKind, always: bool) -> Option<(usize, usize)> {
    // `Authorization: Token 9944b0…`: the credential follows the scheme, after a blank.
    for scheme in AUTH_SCHEMES {
        if starts_with_ci(&b[v..], scheme) {
            let credential = skip_blanks(b, v + scheme.len());
            if credential < b.len() && !b[credential].is_ascii_whitespace() {
                v = credential;
            }
            break;
        }
    }
    let mut end = v;
    while end < b.len() {
        match b[end] {
            c if c.is_ascii_whitespace() => break,
            b',' | b';' | b')' | b'}' | b']' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'&' | b'|' => {
                break
            }
            b'(' | b'[' | b'{' => return None,
            _ => end += 1,
        }
    }
    while end > v && b[end - 1] == b'.' {
        end -= 1;
    }
    let value = &b[v..end];
    let reference = || {
        let name = value
            .strip_prefix(b"@")
            .or(value.strip_prefix(b":"))
            .unwrap_or(value);
        let name = name
            .strip_suffix(b"!")
            .or(name.strip_suffix(b"?"))
            .unwrap_or(name);
        name.split(|c| *c == b'.')
            .all(|seg| !seg.is_empty() && seg.iter().all(|c| c.is_ascii_alphabetic() || *c == b'_'))
    };
    if value.is_empty()
        || value[0] == b'$'
        || (kind == KeyKind::SecretUnlessNumber && value.iter().all(u8::is_ascii_digit))
        || (!always && reference())
    {
        return None;
    }
    Some((v, end))
}

#[cfg(test)]
#[path = "assignment_tests.rs"]
mod tests;
