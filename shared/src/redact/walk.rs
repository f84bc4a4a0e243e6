//! The walk over an event: [`redact`] visits every string the sender sets, replaces values under secret
//! keys whole, hands every other string (and every object key) to the scanner, and records the JSON
//! pointer of each value it changed. A pointer is only built for values that were redacted, so a clean
//! event costs no allocation.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::detectors::is_card_number;
use super::keys::{builtin_kind, pattern_matches, with_normalized, KeyKind};
use super::rules::{Detector, RedactionRules};
use super::REDACTED;
use crate::event::{Actor, Event};
use crate::validate::escape;

/// Redacts `event` in place following `rules` and records in `event.redacted` the sorted, deduplicated
/// JSON pointers (from the event root) of every value it changed, or whose key it changed.
/// `changes.changed_fields` keeps naming fields whose secret values changed, but no key holding a secret.
pub fn redact(event: &mut Event, rules: &RedactionRules) {
    let cx = Redactor::new(rules);
    let mut found = Vec::new();
    if let Some(payload) = event.payload.as_mut() {
        cx.walk(payload, &Path::root("payload"), &mut found);
    }
    let metadata = Path::root("metadata");
    let renamed = cx.secret_keys(event.metadata.keys(), |name| {
        event.metadata.contains_key(name)
    });
    // Each value is judged by the key it was sent under, and recorded under the one it is kept under.
    for (key, value) in event.metadata.iter_mut() {
        let kept_as = renamed.get(key).map_or(key.as_str(), String::as_str);
        cx.judged_member(
            cx.classify(key.as_bytes()),
            kept_as,
            value,
            &metadata,
            &mut found,
        );
    }
    for (key, new) in renamed {
        if let Some(value) = event.metadata.remove(&key) {
            found.push(metadata.key(&new).pointer());
            event.metadata.insert(new, value);
        }
    }
    if let Some(changes) = event.changes.as_mut() {
        let root = Path::root("changes");
        if let Some(before) = changes.before.as_mut() {
            cx.walk(before, &root.key("before"), &mut found);
        }
        if let Some(after) = changes.after.as_mut() {
            cx.walk(after, &root.key("after"), &mut found);
        }
    }
    if let Some(error) = event.error.as_mut() {
        let root = Path::root("error");
        cx.text(&mut error.message, &root.key("message"), &mut found);
        cx.opt_text(&mut error.code, &root.key("code"), &mut found);
    }
    if let Some(description) = event.description.as_mut() {
        cx.text(description, &Path::root("description"), &mut found);
    }
    cx.model_strings(event, &mut found);
    if let Some(changes) = event.changes.as_mut() {
        let cut = cx.cut_secret_keys(&mut changes.changed_fields);
        let hidden = hide_redacted_keys(&mut changes.changed_fields, &found);
        if cut || hidden {
            changes.changed_fields.sort_unstable();
            changes.changed_fields.dedup();
        }
    }
    if !found.is_empty() {
        event.redacted.append(&mut found);
    }
    if !event.redacted.is_empty() {
        event.redacted.sort_unstable();
        event.redacted.dedup();
    }
}

/// `changed_fields` was computed from the originals, and a pointer under a value redacted whole
/// names that value's keys: `/api_keys/sk_live_…` under a redacted `api_keys` would store the very
/// secret. Such pointers stop at the redacted value (`/api_keys`), which did change. True when it
/// changed a pointer.
fn hide_redacted_keys(changed_fields: &mut [String], redacted: &[String]) -> bool {
    let sides = ["/changes/before", "/changes/after"];
    let whole: Vec<&str> = redacted
        .iter()
        .filter_map(|p| sides.iter().find_map(|side| p.strip_prefix(side)))
        .filter(|p| !p.is_empty())
        .collect();
    if whole.is_empty() {
        return false;
    }
    let mut touched = false;
    for field in changed_fields.iter_mut() {
        let under = whole.iter().find(|w| {
            field.len() > w.len() && field.starts_with(**w) && field.as_bytes()[w.len()] == b'/'
        });
        if let Some(w) = under {
            *field = (*w).to_string();
            touched = true;
        }
    }
    touched
}

/// One step from the event root, kept on the stack while walking so that a pointer string is only built
/// for values that were redacted.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    fn root(name: &'static str) -> Path<'static> {
        Path {
            parent: None,
            seg: Seg::Key(name),
        }
    }

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    fn pointer(&self) -> String {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            segs.push(path.seg);
            at = path.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            out.push('/');
            match seg {
                Seg::Key(key) => out.push_str(&escape(key)),
                Seg::Index(i) => {
                    let _ = write!(out, "{i}");
                }
            }
        }
        out
    }
}

/// The rules of one call, with the detector switches resolved once.
pub(super) struct Redactor<'r> {
    pub(super) rules: &'r RedactionRules,
    on: u16,
    /// Scanning an identifier (an id, a type, a scope, a role), which searches match
    /// exactly: only shapes no ordinary id has count. Card numbers do not (one numeric id in ten
    /// passes the Luhn check), nor AWS access key ids (they name keys), nor assignments other than
    /// query parameters (`…:secret:prod/db` in an ARN, `api_key:k_42`); `?access_token=…` in a URL
    /// still does.
    pub(super) identifier: bool,
}

/// Members that name the `value` beside them in header lists and settings: `{"name": "X-Api-Key",
/// "value": "…"}`.
const PAIR_NAMES: [&str; 3] = ["name", "key", "header"];

impl<'r> Redactor<'r> {
    fn new(rules: &'r RedactionRules) -> Self {
        let mut on = u16::MAX;
        for name in &rules.disabled_detectors {
            if let Some(d) = Detector::parse(name) {
                on &= !d.bit();
            }
        }
        Redactor {
            rules,
            on,
            identifier: false,
        }
    }

    /// The same rules for object keys: scanned as text (a key `password=...` is no identifier), but
    /// not for card numbers or AWS access key ids, which maps are keyed by.
    fn for_keys(&self) -> Redactor<'r> {
        Redactor {
            rules: self.rules,
            on: self.on & !Detector::CardNumber.bit() & !Detector::AwsAccessKey.bit(),
            identifier: false,
        }
    }

    /// The same rules for identifiers (see [`Redactor::identifier`]).
    fn for_identifiers(&self) -> Redactor<'r> {
        Redactor {
            rules: self.rules,
            // An AWS access key id names a key (the secret is another string): targets and actors
            // are keys by that id.
            on: self.on & !Detector::CardNumber.bit() & !Detector::AwsAccessKey.bit(),
            identifier: true,
        }
    }

    pub(super) fn on(&self, d: Detector) -> bool {
        self.on & d.bit() != 0
    }

    fn walk(&self, value: &mut Value, path: &Path<'_>, found: &mut Vec<String>) {
        match value {
            Value::String(s) => self.text(s, path, found),
            Value::Number(n) => {
                if self.on(Detector::CardNumber) && is_card_number(n) {
                    *value = Value::String(REDACTED.to_string());
                    found.push(path.pointer());
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let child = path.index(i);
                    if !self.secret_pair(item, &child, found) {
                        self.walk(item, &child, found);
                    }
                }
            }
            Value::Object(map) => {
                let renamed = self.secret_keys(map.keys(), |name| map.contains_key(name));
                let named = self.pair_kind(map);
                // Each value is judged by the key it was sent under (`{"password=x": "x"}` is still a
                // password), and recorded under the one it is kept under.
                for (key, item) in map.iter_mut() {
                    let kind = match named {
                        Some(kind) if key == "value" => kind,
                        _ => self.classify(key.as_bytes()),
                    };
                    let kept_as = renamed.get(key).map_or(key.as_str(), String::as_str);
                    self.judged_member(kind, kept_as, item, path, found);
                }
                for (key, new) in renamed {
                    if let Some(value) = map.remove(&key) {
                        found.push(path.key(&new).pointer());
                        map.insert(new, value);
                    }
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// One object member, judged as `kind`: replaced whole when its key is secret, walked otherwise.
    fn judged_member(
        &self,
        kind: KeyKind,
        key: &str,
        value: &mut Value,
        parent: &Path<'_>,
        found: &mut Vec<String>,
    ) {
        let path = parent.key(key);
        let whole = match kind {
            KeyKind::Plain => false,
            KeyKind::Secret => true,
            KeyKind::SecretUnlessNumber => !value.is_number(),
        };
        if whole {
            replace_whole(value, &path, found);
        } else {
            self.walk(value, &path, found);
        }
    }

    /// How the `value` member of a name/value pair is judged: by the name beside it, when that is
    /// secret. `None` for other objects, which cost one look-up.
    fn pair_kind(&self, map: &Map<String, Value>) -> Option<KeyKind> {
        if !map.contains_key("value") {
            return None;
        }
        PAIR_NAMES
            .iter()
            .filter_map(|member| map.get(*member)?.as_str())
            .map(|name| self.classify(name.as_bytes()))
            .find(|kind| *kind != KeyKind::Plain)
    }

    /// A `[name, value]` pair of strings in a list, the shape of header lists (`[["Authorization",
    /// "Token …"]]`): when the name is secret, the value is replaced whole. False when `item` is not
    /// such a pair. A lone pair is not judged: `["password", "email"]` lists field names.
    fn secret_pair(&self, item: &mut Value, path: &Path<'_>, found: &mut Vec<String>) -> bool {
        let Value::Array(pair) = item else {
            return false;
        };
        let [Value::String(name), value @ Value::String(_)] = pair.as_mut_slice() else {
            return false;
        };
        if self.classify(name.as_bytes()) == KeyKind::Plain {
            return false;
        }
        self.text(name, &path.index(0), found);
        replace_whole(value, &path.index(1), found);
        true
    }

    /// The keys that hold a detected secret, each with the key it is to be kept under instead:
    /// [`REDACTED`], or `[REDACTED]#2`, `#3`, ... past the names `taken`, so no member is lost. Keys
    /// are judged by [`Redactor::for_keys`]: maps keyed by ids are common. The
    /// whole key goes: it is rarely prose, and the marker keeps within the limits on keys. Linear in
    /// the keys; empty, unallocated, when none holds a secret.
    fn secret_keys<'k>(
        &self,
        keys: impl Iterator<Item = &'k String>,
        taken: impl Fn(&str) -> bool,
    ) -> HashMap<String, String> {
        let keys_scanner = self.for_keys();
        let mut renamed = HashMap::new();
        let mut next = 1;
        for key in keys {
            if keys_scanner.scan(key).is_none() {
                continue;
            }
            // Names handed out are never handed out again, so each is tried once.
            let new = loop {
                let name = match next {
                    1 => REDACTED.to_string(),
                    n => format!("{REDACTED}#{n}"),
                };
                next += 1;
                if !taken(&name) {
                    break name;
                }
            };
            renamed.insert(key.clone(), new);
        }
        renamed
    }

    /// Cuts each pointer of `changed_fields` (computed from the originals) before its first segment
    /// that holds a secret, as [`Redactor::secret_keys`] judges keys: `/grants/ghp_…/role` becomes
    /// `/grants`, the object whose members changed. True when it changed a pointer.
    fn cut_secret_keys(&self, changed_fields: &mut [String]) -> bool {
        let keys_scanner = self.for_keys();
        let mut touched = false;
        for field in changed_fields.iter_mut() {
            let mut at = 0;
            for segment in field.split('/').skip(1) {
                let key = if segment.contains('~') {
                    std::borrow::Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
                } else {
                    std::borrow::Cow::Borrowed(segment)
                };
                if keys_scanner.scan(&key).is_some() {
                    break;
                }
                at += 1 + segment.len();
            }
            if at < field.len() {
                field.truncate(at);
                touched = true;
            }
        }
        touched
    }

    /// The strings of the event model besides `description` and `error`: names and the user agent are
    /// text; ids, types, e-mails, roles, scopes and the other context fields are identifiers. The
    /// idempotency key is left: it is stored keyed with the tenant's secret, and two keys redacted
    /// alike would make two events one.
    fn model_strings(&self, event: &mut Event, found: &mut Vec<String>) {
        let ids = self.for_identifiers();
        self.actor(&ids, &mut event.actor, &Path::root("actor"), found);
        let participants = Path::root("participants");
        for (i, actor) in event.participants.iter_mut().enumerate() {
            self.actor(&ids, actor, &participants.index(i), found);
        }
        let targets = Path::root("targets");
        for (i, target) in event.targets.iter_mut().enumerate() {
            let path = targets.index(i);
            ids.text(&mut target.kind, &path.key("type"), found);
            ids.text(&mut target.id, &path.key("id"), found);
            self.opt_text(&mut target.name, &path.key("name"), found);
        }
        let scope = Path::root("scope");
        for name in crate::event::Scope::FIELDS {
            if let Some(slot) = event.scope.field_mut(name) {
                ids.opt_text(slot, &scope.key(name), found);
            }
        }
        let context = Path::root("context");
        for name in crate::event::Context::TEXT_FIELDS {
            let scanner = if *name == "user_agent" { self } else { &ids };
            if let Some(slot) = event.context.text_field_mut(name) {
                scanner.opt_text(slot, &context.key(name), found);
            }
        }
        let source = Path::root("source");
        ids.opt_text(&mut event.source.name, &source.key("name"), found);
        self.opt_text(&mut event.source.version, &source.key("version"), found);
    }

    fn actor(
        &self,
        ids: &Redactor<'_>,
        actor: &mut Actor,
        path: &Path<'_>,
        found: &mut Vec<String>,
    ) {
        ids.text(&mut actor.id, &path.key("id"), found);
        self.opt_text(&mut actor.name, &path.key("name"), found);
        ids.opt_text(&mut actor.email, &path.key("email"), found);
        let roles = path.key("roles");
        for (i, role) in actor.roles.iter_mut().enumerate() {
            ids.text(role, &roles.index(i), found);
        }
    }

    fn text(&self, s: &mut String, path: &Path<'_>, found: &mut Vec<String>) {
        if let Some(clean) = self.scan(s) {
            *s = clean;
            found.push(path.pointer());
        }
    }

    fn opt_text(&self, s: &mut Option<String>, path: &Path<'_>, found: &mut Vec<String>) {
        if let Some(s) = s.as_mut() {
            self.text(s, path, found);
        }
    }

    pub(super) fn classify(&self, key: &[u8]) -> KeyKind {
        let rules = self.rules;
        if !rules.allowed_keys.is_empty() || !rules.extra_keys.is_empty() {
            let tenant = with_normalized(key, |key| {
                if rules.allowed_keys.iter().any(|p| pattern_matches(key, p)) {
                    Some(KeyKind::Plain)
                } else if rules.extra_keys.iter().any(|p| pattern_matches(key, p)) {
                    Some(KeyKind::Secret)
                } else {
                    None
                }
            });
            if let Some(kind) = tenant {
                return kind;
            }
        }
        builtin_kind(key)
    }
}

/// Replaces a value under a secret key (or name) whole, unless it hides nothing: `null`, a boolean,
/// an empty string or the marker itself.
fn replace_whole(value: &mut Value, path: &Path<'_>, found: &mut Vec<String>) {
    let hides_nothing = match value {
        Value::Null | Value::Bool(_) => true,
        Value::String(s) => s.is_empty() || s == REDACTED,
        _ => false,
    };
    if !hides_nothing {
        *value = Value::String(REDACTED.to_string());
        found.push(path.pointer());
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
