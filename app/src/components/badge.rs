//! Coloured labels for an event's outcome and severity. The variant's wire name becomes the BEM modifier
//! (`ev-badge--failure`, `ev-badge--sev-high`), so styles and tests key on the same stable words.

use evident_shared::event::{Outcome, Severity};

/// The badge classes for an outcome, e.g. `ev-badge ev-badge--failure` (the events table's rows put
/// [`crate::format::outcome_label`] in a `<span>` of these).
pub fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "ev-badge ev-badge--success",
        Outcome::Failure => "ev-badge ev-badge--failure",
        Outcome::Denied => "ev-badge ev-badge--denied",
        Outcome::Pending => "ev-badge ev-badge--pending",
        Outcome::InProgress => "ev-badge ev-badge--in_progress",
        Outcome::Unknown => "ev-badge ev-badge--unknown",
    }
}

/// The badge classes for a severity.
pub fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "ev-badge ev-badge--sev-info",
        Severity::Low => "ev-badge ev-badge--sev-low",
        Severity::Medium => "ev-badge ev-badge--sev-medium",
        Severity::High => "ev-badge ev-badge--sev-high",
        Severity::Critical => "ev-badge ev-badge--sev-critical",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_are_the_wire_names() {
        for o in Outcome::ALL {
            assert_eq!(
                outcome_class(*o),
                format!("ev-badge ev-badge--{}", o.as_str())
            );
        }
        for s in Severity::ALL {
            assert_eq!(
                severity_class(*s),
                format!("ev-badge ev-badge--sev-{}", s.as_str())
            );
        }
    }
}
