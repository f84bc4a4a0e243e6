//! Value scanning: finds secrets inside a string and replaces only the matching part. The string is
//! read once, byte by byte; [`next_trigger`] skips eight bytes per branch to the next byte that some
//! detector can start at or be anchored on, and [`Redactor::at`] hands it to the detectors of that byte
//! (in `detectors.rs` and `assignment.rs`). Nothing is allocated unless something is redacted.

use super::bytes::{is_word, run, word_start};
use super::walk::Redactor;
use super::REDACTED;

impl Redactor<'_> {
    /// The string with every detected secret replaced, or `None` when nothing was found.
    pub(super) fn scan(&self, s: &str) -> Option<String> {
        let b = s.as_bytes();
        if self.cannot_hold_a_secret(b) {
            return None;
        }
        let mut hits: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        loop {
            i = next_trigger(b, i);
            if i >= b.len() {
                break;
            }
            if b[i].is_ascii_digit() && i > 0 && (is_word(b[i - 1]) || b[i - 1] == b'.') {
                // Inside a word or a decimal: no card number starts here.
                i = run(b, i, |c| c.is_ascii_digit());
                continue;
            }
            let (hit, next) = self.at(b, i);
            if let Some(range) = hit {
                hits.push(range);
                i = range.1.max(i + 1);
            } else {
                i = next.max(i + 1);
            }
        }
        if !self.rules.secret_prefixes.is_empty() {
            self.prefixes(s, &mut hits);
        }
        if hits.is_empty() {
            None
        } else {
            Some(splice(s, hits))
        }
    }

    /// A quick answer for the short strings identifiers and keys mostly are (ids, scopes, roles):
    /// every detector but card numbers needs [`SHORTEST_TOKEN`] bytes or one of a few separators
    /// (an assignment's `=`, `:` or `,`, a scheme's space, a quote, `@`). With card numbers off and no
    /// tenant prefixes, a shorter string without them holds nothing to find.
    fn cannot_hold_a_secret(&self, b: &[u8]) -> bool {
        b.len() < SHORTEST_TOKEN
            && !self.on(super::rules::Detector::CardNumber)
            && self.rules.secret_prefixes.is_empty()
            && !b.iter().any(|c| b"=:, '\"`@".contains(c))
    }

    /// Runs the detectors that a trigger byte at `i` can start; returns a hit and where to resume.
    fn at(&self, b: &[u8], i: usize) -> (Option<(usize, usize)>, usize) {
        let hit = match b[i] {
            b'B' | b'b' => self
                .bearer(b, i)
                .or_else(|| self.basic(b, i))
                .or_else(|| self.private_key(b, i)),
            b'J' => return self.jwt(b, i),
            b'A' => return self.aws_or_gcp(b, i),
            b'_' => self.underscore_token(b, i),
            b'x' => self.slack(b, i),
            b'k' => return self.llm_api_key(b, i),
            b'-' => self.cli_option(b, i),
            b'0'..=b'9' => return self.card(b, i),
            b'@' => self.url_credentials(b, i).or_else(|| self.attribute(b, i)),
            b'\'' => self.sql_password(b, i),
            _ => self.assignment(b, i),
        };
        (hit, i + 1)
    }

    fn prefixes(&self, s: &str, hits: &mut Vec<(usize, usize)>) {
        let b = s.as_bytes();
        for prefix in &self.rules.secret_prefixes {
            if prefix.is_empty() {
                continue;
            }
            let mut from = 0;
            while let Some(at) = s[from..].find(prefix.as_str()) {
                let start = from + at;
                let tail = start + prefix.len();
                let end = run(b, tail, |c| is_word(c) || c == b'-');
                if end > tail && word_start(b, start) {
                    hits.push((start, end));
                }
                from = end;
            }
        }
    }
}

/// Bytes at which some detector may start or be anchored.
/// The shortest secret a detector finds without a separator: a Slack token (`xoxb-` and ten
/// more). Bearer and Basic credentials need their space, assignments their `=`, `:` or `,`.
const SHORTEST_TOKEN: usize = 15;

static TRIGGER: [bool; 256] = {
    let mut table = [false; 256];
    let bytes = b"BbJA_xk-@=:,'0123456789";
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

/// The index of the first byte at or after `i` that some detector looks at, or `b.len()`. Eight bytes
/// are tested per branch: most text has no trigger for dozens of bytes.
#[inline]
fn next_trigger(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        if chunk
            .iter()
            .fold(false, |hit, c| hit | TRIGGER[*c as usize])
        {
            break;
        }
        i += 8;
    }
    while i < b.len() && !TRIGGER[b[i] as usize] {
        i += 1;
    }
    i
}

/// Replaces the (possibly overlapping) byte ranges of `s` by [`REDACTED`], merging touching ones.
fn splice(s: &str, mut hits: Vec<(usize, usize)>) -> String {
    hits.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut done = 0;
    let mut current: Option<(usize, usize)> = None;
    let mut emit = |out: &mut String, (start, end): (usize, usize)| {
        out.push_str(&s[done..start]);
        out.push_str(REDACTED);
        done = end;
    };
    for (start, end) in hits {
        current = match current {
            Some((a, z)) if start <= z => Some((a, z.max(end))),
            Some(range) => {
                emit(&mut out, range);
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some(range) = current {
        emit(&mut out, range);
    }
    out.push_str(&s[done..]);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::redact::testing::{rules, text, text_with};

    #[test]
    fn tenant_prefixes_redact_the_whole_token() {
        let tenant = rules(json!({"secret_prefixes": ["acme_live_"]}));
        assert_eq!(
            text_with("key acme_live_abc-123 used, acme_live_x too", &tenant),
            "key [REDACTED] used, [REDACTED] too"
        );
        assert_eq!(text_with("xacme_live_abc", &tenant), "xacme_live_abc");
        assert_eq!(text_with("acme_live_ keys", &tenant), "acme_live_ keys");
        assert_eq!(text("acme_live_abc"), "acme_live_abc");
    }
}
