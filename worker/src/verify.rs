//! Chain verification, minus I/O: walks stored rows in `seq` order and names the first link that does
//! not hold. A row is checked four ways: its `seq` is the next one (a gap means a deleted event), its
//! body links to the previous hash, its body recomputes to the hash it claims (an edited body), and
//! the queried columns agree with the sealed body (an edited column would make searches lie). Then
//! each event's rows in `event_targets` must be there as its sealed targets say (a deleted one would
//! hide the event from a resource's history; the caller looks them up, [`Verifier::take_targets`]).
//! At the end of the chain the last hash must equal the recorded head, so removing the newest events
//! shows too.

use evident_shared::api::{ChainBreak, VerifyReport};
use evident_shared::canonical::canonical_json;
use evident_shared::chain::recompute;
use evident_shared::timestamp::parse_rfc3339;
use evident_shared::Event;
use serde::Deserialize;
use serde_json::Value;

use crate::seal::Head;
use crate::sql::{event_columns, EVENT_COLUMN_NAMES};

/// Most bytes of target rows one look-up binds ([`Verifier::take_targets`]), well under D1's 2 MB
/// for a value.
pub const TARGETS_PER_QUERY_BYTES: usize = 256 * 1024;

/// Most events one verify request checks; longer ranges continue with `next_from_seq`.
pub const MAX_RANGE: u64 = 100_000;

/// One stored row of the chain, as [`crate::sql::SELECT_CHAIN_RANGE`] reads it: its `seq`, its
/// sealed body and its queried columns ([`EVENT_COLUMN_NAMES`]).
#[derive(Debug, Clone, Deserialize)]
pub struct ChainRow {
    /// Stored `seq` column.
    pub seq: u64,
    /// Stored `id` column.
    pub id: String,
    /// The sealed body, as canonical JSON once [`crate::stored_body::decode`]d.
    pub body: String,
    /// Why the stored body could not be read back, if it could not.
    #[serde(skip)]
    pub unreadable: Option<String>,
    /// Every column, `id` included, by name.
    #[serde(flatten)]
    pub columns: serde_json::Map<String, Value>,
}

/// Walks one range of a chain.
#[derive(Debug)]
pub struct Verifier {
    /// Whose chain this is: every sealed event must say so (a chain copied whole from another
    /// tenant links up, but its events name that tenant).
    tenant: String,
    from_seq: u64,
    next_seq: u64,
    prev_hash: String,
    checked: u64,
    first_break: Option<ChainBreak>,
    /// `[seq, occurred_at, type, id]` of each target of the events checked since the last
    /// [`Verifier::take_targets`].
    targets: Vec<(u64, i64, String, String)>,
}

impl Verifier {
    /// Starts at `from_seq`, whose `prev_hash` must be `prev_hash` (the hash stored at `from_seq - 1`,
    /// or [`evident_shared::chain::GENESIS`] from the start).
    pub fn new(tenant: &str, from_seq: u64, prev_hash: String) -> Verifier {
        Verifier {
            tenant: tenant.to_string(),
            from_seq,
            next_seq: from_seq,
            prev_hash,
            checked: 0,
            first_break: None,
            targets: Vec::new(),
        }
    }

    /// The first break found so far.
    pub fn broken(&self) -> bool {
        self.first_break.is_some()
    }

    /// The next `seq` the walk expects.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn fail(&mut self, seq: u64, id: Option<&str>, code: &str, message: String) {
        self.first_break.get_or_insert(ChainBreak {
            seq,
            id: id.map(str::to_string),
            code: code.to_string(),
            message,
        });
    }

    /// Checks the next stored row; rows must come in `seq` order. Stops at the first break.
    pub fn check(&mut self, row: &ChainRow) {
        if self.broken() {
            return;
        }
        let id = Some(row.id.as_str());
        if row.seq != self.next_seq {
            let missing = self.next_seq;
            return self.fail(
                missing,
                None,
                "missing",
                format!(
                    "the event at seq {missing} is missing (the next stored event is seq {}): events were deleted",
                    row.seq
                ),
            );
        }
        if let Some(reason) = &row.unreadable {
            return self.fail(row.seq, id, "unreadable", reason.clone());
        }
        let recomputed = match recompute(&row.body) {
            Ok(r) => r,
            Err(e) => return self.fail(row.seq, id, "unreadable", e),
        };
        if recomputed.seq != Some(row.seq) || recomputed.value["id"] != row.id.as_str() {
            return self.fail(
                row.seq,
                id,
                "misplaced",
                format!(
                    "the row at seq {} holds the sealed event of seq {:?} with id {}: rows were moved",
                    row.seq, recomputed.seq, recomputed.value["id"]
                ),
            );
        }
        if recomputed.value["tenant"] != self.tenant.as_str() {
            return self.fail(
                row.seq,
                id,
                "foreign",
                format!(
                    "the row holds an event sealed for the tenant {}, not this one: it was copied here",
                    recomputed.value["tenant"]
                ),
            );
        }
        if recomputed.prev_hash.as_deref() != Some(self.prev_hash.as_str()) {
            return self.fail(
                row.seq,
                id,
                "relinked",
                format!(
                    "its prev_hash is {} but the event before it hashes to {}",
                    recomputed.prev_hash.unwrap_or_default(),
                    self.prev_hash
                ),
            );
        }
        if recomputed.claimed_hash.as_deref() != Some(recomputed.actual_hash.as_str()) {
            return self.fail(
                row.seq,
                id,
                "altered",
                format!(
                    "its content hashes to {} but it was sealed as {}: the event was changed after it was stored, \
                     or the one before it was changed and its stored hash rewritten to match (a stored body's \
                     prev_hash is the previous row's hash)",
                    recomputed.actual_hash,
                    recomputed.claimed_hash.unwrap_or_default()
                ),
            );
        }
        match serde_json::from_value::<Event>(recomputed.value) {
            Err(e) => {
                return self.fail(
                    row.seq,
                    id,
                    "unreadable",
                    format!("the sealed body is not an event: {e}"),
                )
            }
            Ok(event) => {
                let sealed = event_columns(&event);
                let occurred_at = parse_rfc3339(&event.occurred_at).unwrap_or_default();
                let targets = event
                    .targets
                    .iter()
                    .map(|t| (row.seq, occurred_at, t.kind.clone(), t.id.clone()));
                for (name, column) in EVENT_COLUMN_NAMES.iter().zip(sealed) {
                    let mut sealed = serde_json::to_value(column).unwrap_or_default();
                    let mut stored = match name {
                        &"id" => Value::String(row.id.clone()),
                        _ => row.columns.get(*name).cloned().unwrap_or_default(),
                    };
                    if *name == "metadata" {
                        (sealed, stored) = (as_canonical(&sealed), as_canonical(&stored));
                    }
                    if sealed != stored {
                        return self.fail(
                            row.seq,
                            id,
                            "column_edited",
                            format!(
                                "column `{name}` holds {} but the sealed event says {}: the row was edited",
                                stored, sealed
                            ),
                        );
                    }
                }
                self.targets.extend(targets);
            }
        }
        self.prev_hash = recomputed.actual_hash;
        self.next_seq += 1;
        self.checked += 1;
    }

    /// The targets of the events checked since the last call, as JSON for
    /// [`crate::sql::SELECT_FIRST_MISSING_TARGET`]: `[[seq, occurred_at, type, id], ...]`, in `seq`
    /// order, in lists of at most [`TARGETS_PER_QUERY_BYTES`] (a page of large events could name more
    /// targets than one bound value holds); none when there are none.
    pub fn take_targets(&mut self) -> Vec<String> {
        let mut lists = Vec::new();
        let mut list = String::new();
        for target in std::mem::take(&mut self.targets) {
            let entry =
                serde_json::to_string(&target).expect("strings and integers always serialise");
            if !list.is_empty() && list.len() + entry.len() + 2 > TARGETS_PER_QUERY_BYTES {
                list.push(']');
                lists.push(std::mem::take(&mut list));
            }
            list.push(if list.is_empty() { '[' } else { ',' });
            list.push_str(&entry);
        }
        if !list.is_empty() {
            list.push(']');
            lists.push(list);
        }
        lists
    }

    /// Reports the target row of the event at `seq` that `event_targets` lacks: the walk ends there
    /// (it comes before any break found later in the same rows).
    pub fn target_missing(&mut self, seq: u64, id: Option<&str>, kind: &str, target_id: &str) {
        if self.first_break.as_ref().is_some_and(|b| b.seq < seq) {
            return;
        }
        self.first_break = None;
        self.checked = seq - self.from_seq;
        self.next_seq = seq;
        self.targets.clear();
        self.fail(
            seq,
            id,
            "target_missing",
            format!(
                "the event's target {kind} {target_id} is missing from the targets index: the \
                 event no longer shows in that resource's history"
            ),
        );
    }

    /// Ends the walk at `to_seq`: events not seen up to there are missing, and when the range reaches
    /// the head, the last hash must be the head's.
    pub fn finish(mut self, to_seq: u64, head: &Head, unsealed: u64) -> VerifyReport {
        if !self.broken() && self.next_seq <= to_seq {
            let missing = self.next_seq;
            self.fail(
                missing,
                None,
                "missing",
                format!("events {missing} to {to_seq} are missing: the newest events were deleted"),
            );
        }
        if !self.broken() && to_seq == head.seq && self.checked > 0 && self.prev_hash != head.hash {
            self.fail(
                to_seq,
                None,
                "head_mismatch",
                format!(
                    "the chain head records hash {} for seq {} but the stored event there hashes to {}",
                    head.hash, head.seq, self.prev_hash
                ),
            );
        }
        VerifyReport {
            ok: self.first_break.is_none() && unsealed == 0,
            from_seq: self.from_seq,
            to_seq,
            checked: self.checked,
            head_seq: head.seq,
            head_hash: head.hash.clone(),
            first_break: self.first_break,
            unsealed,
            next_from_seq: None,
        }
    }
}

/// A JSON column's text in canonical form, so that it compares by what it holds: the metadata
/// column is printed from the event as sent (`10.0`), read back through SQLite's `json()` (`1e+20`),
/// and the sealed body holds its canonical form (`10`, `100000000000000000000`).
fn as_canonical(column: &Value) -> Value {
    match column.as_str().map(serde_json::from_str::<Value>) {
        Some(Ok(json)) => Value::String(canonical_json(&json)),
        _ => column.clone(),
    }
}

/// The report for a caller who reads only part of the tenant's events (a key bound to one
/// environment): where the chain breaks and how, but nothing of what is stored there, since the
/// event may lie outside their part and some messages quote stored values or another tenant's name.
pub fn without_content(mut report: VerifyReport) -> VerifyReport {
    if let Some(broken) = report.first_break.as_mut() {
        broken.id = None;
        let told = match broken.code.as_str() {
            "misplaced" => "the row holds the sealed event of another position: rows were moved",
            "foreign" => "the row holds an event sealed for another tenant: it was copied here",
            "column_edited" => {
                "a column of the row differs from its sealed event: the row was edited"
            }
            "unreadable" => "the stored event cannot be read",
            "target_missing" => "a row of the targets index for this event is missing",
            // The others tell only positions and hashes.
            _ => return report,
        };
        broken.message = told.to_string();
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(code: &str, message: &str) -> VerifyReport {
        VerifyReport {
            ok: false,
            from_seq: 1,
            to_seq: 9,
            checked: 4,
            head_seq: 9,
            head_hash: "h".into(),
            first_break: Some(ChainBreak {
                seq: 5,
                id: Some("0190c8a8-0000-7000-8000-000000000005".into()),
                code: code.into(),
                message: message.into(),
            }),
            unsealed: 0,
            next_from_seq: None,
        }
    }

    /// Targets go to the look-up in lists that fit one bound value, in order, each a JSON array.
    #[test]
    fn targets_are_taken_in_lists_that_fit_a_query() {
        let mut verifier = Verifier::new("acme", 1, "h".into());
        assert!(verifier.take_targets().is_empty());
        let id = "x".repeat(1_000);
        for seq in 1..=600 {
            verifier
                .targets
                .push((seq, 1_700_000_000_000, "doc".into(), id.clone()));
        }
        let lists = verifier.take_targets();
        assert_eq!(lists.len(), 3);
        let mut seqs = Vec::new();
        for list in &lists {
            assert!(list.len() <= TARGETS_PER_QUERY_BYTES, "{}", list.len());
            let rows: Vec<(u64, i64, String, String)> = serde_json::from_str(list).unwrap();
            seqs.extend(rows.into_iter().map(|r| r.0));
        }
        assert_eq!(seqs, (1..=600).collect::<Vec<_>>());
        assert!(verifier.take_targets().is_empty(), "taken once");
    }

    /// A missing target row ends the walk at its event, before any break found later in the same
    /// rows, and counts the events before it as checked; a break found earlier stands.
    #[test]
    fn a_missing_target_is_a_break_in_seq_order() {
        let mut verifier = Verifier::new("acme", 10, "h".into());
        verifier.next_seq = 20;
        verifier.checked = 10;
        verifier.fail(18, None, "altered", "x".into());
        verifier.target_missing(14, Some("e14"), "doc", "d1");
        let broken = verifier.first_break.clone().unwrap();
        assert_eq!((broken.seq, broken.code.as_str()), (14, "target_missing"));
        assert!(broken.message.contains("doc d1"), "{}", broken.message);
        assert_eq!(verifier.checked, 4);
        verifier.target_missing(16, None, "doc", "d2");
        assert_eq!(
            verifier.first_break.unwrap().seq,
            14,
            "the earlier break stands"
        );
    }

    /// Stored values, ids and other tenants' names stay out of a partial reader's report; the place
    /// and kind of the break stay in.
    #[test]
    fn a_partial_reader_is_told_where_but_not_what() {
        let edited = without_content(report(
            "column_edited",
            "column `actor_email` holds \"ceo@corp.com\" but the sealed event says \"x@corp.com\"",
        ));
        let broken = edited.first_break.unwrap();
        assert_eq!(
            (broken.seq, broken.code.as_str(), broken.id),
            (5, "column_edited", None)
        );
        assert!(!broken.message.contains("corp.com"), "{}", broken.message);
        let foreign = without_content(report("foreign", "sealed for the tenant \"globex\""));
        assert!(!foreign.first_break.unwrap().message.contains("globex"));
        let relinked = without_content(report("relinked", "its prev_hash is a but b"));
        assert_eq!(
            relinked.first_break.unwrap().message,
            "its prev_hash is a but b"
        );
        let whole = without_content(VerifyReport {
            first_break: None,
            ..report("x", "y")
        });
        assert!(whole.first_break.is_none());
    }
}
