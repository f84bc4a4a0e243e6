//! "Verify" on the event page: asks the server to recompute this event and the next one of the
//! tenant's hash chain (`/verify?from_seq=<seq>&to_seq=<seq + 1>`) and says whether they hold, or
//! what broke. The next event matters: an event rewritten with its hash recomputed still links to
//! the one before it, and only the next event's `prev_hash` (or, for the newest event, the chain's
//! recorded head) shows that it changed.

use evident_shared::api::VerifyReport;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::key::Auth;

/// What a verify report means for one event: whether it holds, and a sentence saying so.
pub fn verify_summary(report: &VerifyReport) -> (bool, String) {
    match (&report.first_break, report.ok) {
        (Some(b), _) => (
            false,
            format!("Broken at #{} ({}): {}", b.seq, b.code, b.message),
        ),
        (None, true) if report.checked > 0 => {
            let after = if report.to_seq > report.from_seq {
                "the event after it links to it"
            } else {
                "it is the chain's recorded head"
            };
            (
                true,
                format!(
                    "Verified: #{} recomputes to its hash, links to the event before it, and {after}",
                    report.from_seq
                ),
            )
        }
        (None, _) if report.unsealed > 0 => (
            false,
            format!(
                "Not verified: {} stored events are outside the chain",
                report.unsealed
            ),
        ),
        (None, _) => (false, "Not verified: nothing was checked".to_owned()),
    }
}

/// The verify button and, once asked, its answer.
#[component]
pub fn VerifyButton(
    /// The event's place in the chain.
    seq: u64,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    // None: not asked; Some(None): under way; Some(Some(answer)).
    let result = RwSignal::new(None::<Option<(bool, String)>>);
    let checking = move || result.with(|r| matches!(r, Some(None)));
    let verify = move |_| {
        if checking() {
            return;
        }
        result.set(Some(None));
        spawn_local(async move {
            let key = auth.key_untracked();
            let answer = match auth.guard(api::verify(&key, seq, seq + 1).await) {
                Ok(report) => verify_summary(&report),
                Err(e) => (false, format!("Could not verify: {e}")),
            };
            result.try_set(Some(Some(answer)));
        });
    };
    view! {
        <div class="ev-verify">
            <button
                type="button"
                class="ev-button ev-button--small"
                data-testid="verify"
                // Not `disabled`: a disabled button drops the keyboard focus.
                aria-disabled=move || checking().to_string()
                on:click=verify
            >
                "Verify chain link"
            </button>
            // One live region from the start, its content changing: a region added with its text
            // already in it is not announced by every screen reader.
            <span role="status">
                {move || result.get().map(|r| match r {
                    None => view! { <span class="ev-verify__result">"Checking…"</span> }.into_any(),
                    Some((ok, message)) => view! {
                        <span
                            class=if ok { "ev-verify__result ev-verify__result--ok" } else { "ev-verify__result ev-verify__result--broken" }
                            data-testid="verify-result"
                            data-ok=ok.to_string()
                        >
                            {if ok { "✓ " } else { "✗ " }}
                            {message}
                        </span>
                    }.into_any(),
                })}
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evident_shared::api::ChainBreak;

    fn report() -> VerifyReport {
        VerifyReport {
            ok: true,
            from_seq: 7,
            to_seq: 7,
            checked: 1,
            head_seq: 9,
            head_hash: "ab".into(),
            first_break: None,
            unsealed: 0,
            next_from_seq: None,
        }
    }

    #[test]
    fn a_holding_link_is_verified() {
        let (ok, text) = verify_summary(&VerifyReport {
            to_seq: 8,
            checked: 2,
            ..report()
        });
        assert!(ok);
        assert_eq!(text, "Verified: #7 recomputes to its hash, links to the event before it, and the event after it links to it");
        // The newest event has no next one: the chain's recorded head vouches for it.
        let (ok, text) = verify_summary(&report());
        assert!(ok);
        assert!(
            text.ends_with("and it is the chain's recorded head"),
            "{text}"
        );
    }

    #[test]
    fn rows_outside_the_chain_are_said_so() {
        let r = VerifyReport {
            ok: false,
            unsealed: 3,
            ..report()
        };
        assert_eq!(
            verify_summary(&r),
            (
                false,
                "Not verified: 3 stored events are outside the chain".into()
            )
        );
    }

    #[test]
    fn a_break_names_its_place_and_cause() {
        let mut r = report();
        r.ok = false;
        r.first_break = Some(ChainBreak {
            seq: 7,
            id: None,
            code: "altered".into(),
            message: "the body no longer matches its hash".into(),
        });
        assert_eq!(
            verify_summary(&r),
            (
                false,
                "Broken at #7 (altered): the body no longer matches its hash".into()
            )
        );
        let mut r = report();
        r.checked = 0;
        assert!(!verify_summary(&r).0);
    }
}
