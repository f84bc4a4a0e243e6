//! The value-pattern detectors that recognise a secret by its own shape: bearer and basic credentials,
//! JWTs, cloud and SaaS keys, PEM private keys, card numbers and URL passwords. Each is called by the
//! scanner at a byte that can start or mark its pattern and returns the byte range to redact.

use serde_json::Number;

use super::bytes::{
    find, is_base64url, is_token_byte, is_word, run, skip_blanks, starts_with_ci, word_start,
};
use super::rules::Detector;
use super::walk::Redactor;

impl Redactor<'_> {
    pub(super) fn bearer(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::Bearer) || !word_start(b, i) || !starts_with_ci(&b[i..], b"bearer") {
            return None;
        }
        let start = skip_blanks(b, i + 6);
        if start == i + 6 {
            return None;
        }
        let mut end = run(b, start, is_token_byte);
        while end > start && b[end - 1] == b'.' {
            end -= 1;
        }
        let token = &b[start..end];
        let credential =
            token.len() >= 24 || (token.len() >= 8 && token.iter().any(u8::is_ascii_digit));
        credential.then_some((start, end))
    }

    pub(super) fn basic(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::BasicAuth) || !word_start(b, i) || !starts_with_ci(&b[i..], b"basic")
        {
            return None;
        }
        let start = skip_blanks(b, i + 5);
        if start == i + 5 {
            return None;
        }
        let mut end = run(b, start, |c| {
            c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
        });
        end = run(b, end, |c| c == b'=');
        (end - start >= 4 && decodes_to_user_password(&b[start..end])).then_some((start, end))
    }

    pub(super) fn private_key(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::PrivateKey)
            || i < 5
            || &b[i - 5..i] != b"-----"
            || !b[i..].starts_with(b"BEGIN ")
        {
            return None;
        }
        let header_window = &b[i..b.len().min(i + 80)];
        let header_end = i + find(header_window, b"PRIVATE KEY-----")? + 16;
        let end = match find(&b[header_end..], b"-----END ") {
            Some(at) => {
                let after = header_end + at + 9;
                match find(&b[after..], b"-----") {
                    Some(close) => after + close + 5,
                    None => b.len(),
                }
            }
            None => b.len(),
        };
        Some((i - 5, end))
    }

    /// A JWT whose header starts at `b[i - 2..]` (`eyJ`), and where to resume. A header that is
    /// not followed by a payload and a signature fails for every later `eyJ` of the same run too,
    /// so the scan resumes after the run rather than reading it again from each (`eyJ-eyJ-…` would
    /// otherwise be quadratic).
    pub(super) fn jwt(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        if !self.on(Detector::Jwt) || i < 2 || &b[i - 2..i] != b"ey" || !word_start(b, i - 2) {
            return (None, i + 1);
        }
        let start = i - 2;
        let header_end = run(b, start, is_base64url);
        if header_end - start < 10 || b.get(header_end) != Some(&b'.') {
            return (None, header_end);
        }
        let payload_end = run(b, header_end + 1, is_base64url);
        if payload_end - header_end - 1 < 10 || b.get(payload_end) != Some(&b'.') {
            return (None, header_end);
        }
        let end = run(b, payload_end + 1, is_base64url);
        (Some((start, end)), end)
    }

    /// An AWS access key id or a Google API key at `b[i]`, and where to resume.
    pub(super) fn aws_or_gcp(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        if !word_start(b, i) {
            return (None, i + 1);
        }
        let rest = &b[i..];
        if self.on(Detector::AwsAccessKey)
            && (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA"))
        {
            let end = run(b, i + 4, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if end - i == 20 && !b.get(end).is_some_and(|c| is_word(*c)) {
                return (Some((i, end)), end);
            }
        }
        if self.on(Detector::GcpApiKey) && rest.starts_with(b"AIza") {
            // A key is the last 39 bytes of its run: the one place in this run where it can start,
            // so the run is read once however many `AIza` it holds.
            let end = run(b, i + 4, is_base64url);
            let at = end.saturating_sub(39);
            if end - i >= 39 && b[at..].starts_with(b"AIza") && word_start(b, at) {
                return (Some((at, end)), end);
            }
            return (None, end);
        }
        (None, i + 1)
    }

    /// Tokens whose prefix ends in `_`: GitHub (`ghp_`, `github_pat_`) and Stripe (`sk_live_`).
    pub(super) fn underscore_token(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        let alnum = |c: u8| c.is_ascii_alphanumeric();
        if self.on(Detector::GithubToken) {
            if i >= 3
                && &b[i - 3..i - 1] == b"gh"
                && b"pousr".contains(&b[i - 1])
                && word_start(b, i - 3)
            {
                let end = run(b, i + 1, alnum);
                if end - i > 30 {
                    return Some((i - 3, end));
                }
            }
            if i >= 6
                && &b[i - 6..i] == b"github"
                && b[i..].starts_with(b"_pat_")
                && word_start(b, i - 6)
            {
                let end = run(b, i + 5, is_word);
                if end - i - 5 >= 22 {
                    return Some((i - 6, end));
                }
            }
        }
        if self.on(Detector::StripeKey)
            && i >= 2
            && (&b[i - 2..i] == b"sk" || &b[i - 2..i] == b"rk")
            && (b[i..].starts_with(b"_live_") || b[i..].starts_with(b"_test_"))
            && word_start(b, i - 2)
        {
            let end = run(b, i + 6, alnum);
            if end - i - 6 >= 10 {
                return Some((i - 2, end));
            }
        }
        None
    }

    /// `sk-` and a key, with `b[i]` the `k`: OpenAI's and Anthropic's API keys; resumes after the
    /// key's characters either way. Random keys mix upper and lower case and digits; `sk-learn` or
    /// `sk-2024-05-01` do not, and are kept. A later `sk-` in the same run of key characters cannot
    /// do better (its key is a part of this one), so the scan goes past the run: `sk-sk-sk-...` is
    /// read once, not once per `sk-`.
    pub(super) fn llm_api_key(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        if !self.on(Detector::LlmApiKey)
            || i == 0
            || b[i - 1] != b's'
            || b.get(i + 1) != Some(&b'-')
            || !word_start(b, i - 1)
        {
            return (None, i + 1);
        }
        let end = run(b, i + 2, is_base64url);
        let key = &b[i + 2..end];
        let random = key.len() >= 20
            && key.iter().any(u8::is_ascii_uppercase)
            && key.iter().any(u8::is_ascii_lowercase)
            && key.iter().any(u8::is_ascii_digit);
        (random.then_some((i - 1, end)), end)
    }

    pub(super) fn slack(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        let rest = &b[i..];
        if !self.on(Detector::SlackToken)
            || rest.len() < 5
            || !rest.starts_with(b"xox")
            || !b"abprse".contains(&rest[3])
            || rest[4] != b'-'
            || !word_start(b, i)
        {
            return None;
        }
        let end = run(b, i + 5, |c| c.is_ascii_alphanumeric() || c == b'-');
        (end - i - 5 >= 10).then_some((i, end))
    }

    /// A card number starting at digit `i`; resumes after the digits looked at either way.
    pub(super) fn card(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        if i > 0 && (is_word(b[i - 1]) || b[i - 1] == b'.') {
            return (None, run(b, i, |c| c.is_ascii_digit()));
        }
        let mut digits = [0u8; 19];
        let mut n = 0;
        let mut j = i;
        let mut end = i;
        while j < b.len() {
            if b[j].is_ascii_digit() {
                if n == digits.len() {
                    return (None, run(b, j, |c| c.is_ascii_digit()));
                }
                digits[n] = b[j] - b'0';
                n += 1;
                j += 1;
                end = j;
            } else if (b[j] == b' ' || b[j] == b'-') && b.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let bounded = match b.get(end) {
            Some(c) if is_word(*c) => false,
            Some(b'.') => !b.get(end + 1).is_some_and(u8::is_ascii_digit),
            _ => true,
        };
        let card = self.on(Detector::CardNumber) && bounded && is_card_digits(&digits[..n]);
        (card.then_some((i, end)), end)
    }

    /// `scheme://user:password@host`: the password, which may itself hold `@` and `/`
    /// (`postgres://app:p@ss/w0rd@db/x`): the credentials run from `://` to the last `@` before
    /// the host, and the password from the first `:` after the user.
    pub(super) fn url_credentials(&self, b: &[u8], i: usize) -> Option<(usize, usize)> {
        if !self.on(Detector::UrlCredentials) {
            return None;
        }
        // Back to the scheme's `://` on this token.
        let mut j = i;
        loop {
            if j < 3 || i - j > 256 {
                return None;
            }
            let c = b[j - 1];
            if c.is_ascii_whitespace() || b"\"'`<>".contains(&c) {
                return None;
            }
            if &b[j - 3..j] == b"://" {
                break;
            }
            j -= 1;
        }
        // Only from the last `@` of the credentials: an earlier one belongs to the password.
        let last_at = run(b, i + 1, |c| {
            !c.is_ascii_whitespace() && !b"\"'`<>/@".contains(&c)
        });
        if b.get(last_at) == Some(&b'@') {
            return None;
        }
        let colon = j + b[j..i].iter().position(|c| *c == b':')?;
        if b[j..colon].contains(&b'/') {
            return None;
        }
        (colon + 1 < i).then_some((colon + 1, i))
    }
}

fn is_card_digits(digits: &[u8]) -> bool {
    if !(13..=19).contains(&digits.len()) || !(2..=6).contains(&digits[0]) {
        return false;
    }
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        } else {
            d
        };
    }
    // Not `is_multiple_of`: the workspace supports Rust 1.85.
    let check_digit_error = sum % 10;
    check_digit_error == 0
}

pub(super) fn is_card_number(n: &Number) -> bool {
    let Some(mut n) = n.as_u64() else {
        return false;
    };
    let mut digits = [0u8; 20];
    let mut len = 0;
    while n > 0 {
        digits[len] = (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    digits[..len].reverse();
    is_card_digits(&digits[..len])
}

/// True when `text` is base64 of printable `user:password`.
fn decodes_to_user_password(text: &[u8]) -> bool {
    let mut acc = 0u32;
    let mut bits = 0;
    let mut colon = false;
    for &c in text.iter().take_while(|c| **c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            _ => 63,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            acc &= (1 << bits) - 1;
            if !(0x20..0x7f).contains(&byte) {
                return false;
            }
            colon |= byte == b':';
        }
    }
    colon
}

#[cfg(test)]
#[path = "detectors_tests.rs"]
mod tests;
