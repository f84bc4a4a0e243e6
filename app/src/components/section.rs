//! Titled sections of label/value fields, JSON, code and small tables: the building blocks of the
//! event detail page.
//!
//! Pages describe sections as data ([`SectionData`]) and [`Section`] renders them. Choosing what to
//! show stays testable without a browser, and the wasm stays small: every distinct `view!` shape is
//! compiled code, so the renderer builds everything from one element shape ([`el`]). Values are always
//! rendered as text.

use leptos::prelude::*;

use crate::components::code_block::CopyButton;
use crate::components::diff::{diff_view, DiffRow, REDACTED};
use crate::components::verify::VerifyButton;

/// One label/value pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What the value is.
    pub label: String,
    /// The value, as shown.
    pub value: String,
    /// Identifiers and hashes read better monospaced.
    pub mono: bool,
    /// Where the value links to (an actor's or a resource's page), if anywhere.
    pub href: Option<String>,
}

/// Builds a list of [`Field`]s, leaving out the values that are missing.
#[derive(Debug, Default)]
pub struct FieldList(Vec<Field>);

impl FieldList {
    /// Adds a prose value, if there is one.
    pub fn text(self, label: &str, value: Option<&str>) -> FieldList {
        self.push(label, value, false)
    }

    /// Adds an identifier-like value, shown monospaced, if there is one.
    pub fn mono(self, label: &str, value: Option<&str>) -> FieldList {
        self.push(label, value, true)
    }

    /// Adds a value that links to `href` (an actor's or a resource's page).
    pub fn link(mut self, label: &str, value: &str, href: String) -> FieldList {
        self = self.push(label, Some(value), false);
        if let Some(last) = self.0.last_mut() {
            last.href = Some(href);
        }
        self
    }

    /// The fields added.
    pub fn build(self) -> Vec<Field> {
        self.0
    }

    fn push(mut self, label: &str, value: Option<&str>, mono: bool) -> FieldList {
        if let Some(value) = value {
            self.0.push(Field {
                label: label.to_owned(),
                value: value.to_owned(),
                mono,
                href: None,
            });
        }
        self
    }
}

/// One piece of a section: a body with an optional caption above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// A small heading above the body.
    pub caption: Option<&'static str>,
    /// `data-testid` of the body element.
    pub testid: Option<&'static str>,
    /// What the block shows.
    pub body: Body,
}

impl Block {
    /// A block without caption or test id.
    pub fn new(body: Body) -> Block {
        Block {
            caption: None,
            testid: None,
            body,
        }
    }

    /// Sets the caption.
    pub fn caption(self, caption: &'static str) -> Block {
        Block {
            caption: Some(caption),
            ..self
        }
    }

    /// Sets the body's `data-testid`.
    pub fn testid(self, testid: &'static str) -> Block {
        Block {
            testid: Some(testid),
            ..self
        }
    }
}

/// The content of a [`Block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A label/value list.
    Fields(Vec<Field>),
    /// A table with a header row.
    Table {
        /// Column headings.
        columns: Vec<&'static str>,
        /// Cells, row by row.
        rows: Vec<Vec<String>>,
    },
    /// Text that keeps its lines and spacing, in `<pre><code>`: pretty JSON, or source code (`code`).
    Pre {
        /// The text.
        text: String,
        /// Source code rather than data (styled as code).
        code: bool,
    },
    /// Short monospaced tokens in a row (changed JSON pointers).
    Tags(Vec<String>),
    /// Before and after, field by field ([`crate::components::diff`]).
    Diff(Vec<DiffRow>),
    /// The button that re-checks one event's link of the hash chain, by its `seq`.
    Verify(u64),
}

/// A titled section of the detail page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionData {
    /// The heading.
    pub title: &'static str,
    /// `data-testid`, e.g. `section-who`.
    pub testid: &'static str,
    /// Spans the whole width instead of one grid column.
    pub wide: bool,
    /// Lays the blocks out side by side on wide screens (before/after).
    pub columns: bool,
    /// The contents, in order.
    pub blocks: Vec<Block>,
}

/// Renders one section.
#[component]
pub fn Section(
    /// What to show.
    section: SectionData,
) -> impl IntoView {
    let SectionData {
        title,
        testid,
        wide,
        columns,
        blocks,
    } = section;
    let class = match (wide, columns) {
        (false, _) => "ev-section",
        (true, false) => "ev-section ev-section--wide",
        (true, true) => "ev-section ev-section--wide ev-section--columns",
    };
    let mut children = vec![el("h2", "ev-section__title", None, vec![text(title)])];
    children.extend(blocks.into_iter().map(render_block));
    el("section", class, Some(testid), children)
}

/// Renders a block: its caption, then its body.
fn render_block(block: Block) -> AnyView {
    let Block {
        caption,
        testid,
        body,
    } = block;
    let body = match body {
        Body::Fields(fields) => {
            let rows = fields.into_iter().flat_map(|f| {
                let value_class = if f.mono {
                    "ev-fields__value ev-mono"
                } else {
                    "ev-fields__value"
                };
                let value = match f.href {
                    Some(href) => link(href, "", None, vec![marked(&f.value)]),
                    None => marked(&f.value),
                };
                [
                    el("dt", "ev-fields__label", None, vec![text(f.label)]),
                    el("dd", value_class, None, vec![value]),
                ]
            });
            el("dl", "ev-fields", testid, rows.collect())
        }
        Body::Table { columns, rows } => {
            let cells = |tag, row: Vec<String>| {
                row.into_iter()
                    .map(|c| el(tag, "", None, vec![text(c)]))
                    .collect()
            };
            let head = el(
                "tr",
                "",
                None,
                cells("th", columns.into_iter().map(String::from).collect()),
            );
            let body = rows
                .into_iter()
                .map(|row| el("tr", "", None, cells("td", row)))
                .collect();
            el(
                "table",
                "ev-mini-table",
                testid,
                vec![
                    el("thead", "", None, vec![head]),
                    el("tbody", "", None, body),
                ],
            )
        }
        Body::Pre {
            text: content,
            code,
        } => {
            let class = if code {
                "ev-pre ev-pre--code"
            } else {
                "ev-pre"
            };
            let pre = el(
                "pre",
                class,
                testid,
                vec![el("code", "", None, vec![marked(&content)])],
            );
            if code {
                // Copy what was stored, `[REDACTED]` included: that is the record.
                el(
                    "div",
                    "ev-code",
                    None,
                    vec![view! { <CopyButton text=content/> }.into_any(), pre],
                )
            } else {
                pre
            }
        }
        Body::Tags(items) => {
            let items = items
                .into_iter()
                .map(|i| el("li", "", None, vec![el("code", "", None, vec![text(i)])]))
                .collect();
            el("ul", "ev-tags", testid, items)
        }
        Body::Diff(rows) => diff_view(rows),
        Body::Verify(seq) => view! { <VerifyButton seq/> }.into_any(),
    };
    let caption = caption.map(|c| el("h3", "ev-block__caption", None, vec![text(c)]));
    el(
        "div",
        "ev-block",
        None,
        caption.into_iter().chain([body]).collect(),
    )
}

/// One element. The detail page is built from this single shape (any tag, classes, an optional test
/// id, children) instead of a `view!` per kind of block: each distinct view shape is compiled wasm, and
/// this keeps the whole page to one. Text goes in through [`text`], never as HTML.
pub fn el(
    tag: &'static str,
    class: &'static str,
    testid: Option<&'static str>,
    children: Vec<AnyView>,
) -> AnyView {
    // A box that scrolls inside (long code, a wide diff) takes the focus, so that it can be
    // scrolled from the keyboard.
    let scrolls = class.starts_with("ev-pre") || class == "ev-diff__scroll";
    let class = (!class.is_empty()).then_some(class);
    leptos::html::custom(tag)
        .attr("class", class)
        .attr("data-testid", testid)
        .attr("tabindex", scrolls.then_some("0"))
        .child(children)
        .into_any()
}

/// A text node.
pub fn text(content: impl Into<String>) -> AnyView {
    content.into().into_any()
}

/// A link inside the app (to an actor's or a resource's page), shaped like [`el`].
pub fn link(
    href: String,
    class: &'static str,
    testid: Option<&'static str>,
    children: Vec<AnyView>,
) -> AnyView {
    titled_link(href, class, testid, None, children)
}

/// [`link`] with a tooltip, when `title` is given.
pub fn titled_link(
    href: String,
    class: &'static str,
    testid: Option<&'static str>,
    title: Option<String>,
    children: Vec<AnyView>,
) -> AnyView {
    let class = (!class.is_empty()).then_some(class);
    leptos::html::a()
        .attr("href", href)
        .attr("class", class)
        .attr("data-testid", testid)
        .attr("title", title)
        .child(children)
        .into_any()
}

/// Text with every `[REDACTED]` placeholder in a `<mark>`, so what redaction replaced stands out
/// from what was sent. Still only text nodes: nothing in `content` is read as HTML.
pub fn marked(content: &str) -> AnyView {
    let parts = redaction_parts(content);
    if parts.len() == 1 && !parts[0].0 {
        return text(content);
    }
    let children = parts
        .into_iter()
        .map(|(redacted, part)| {
            if redacted {
                el("mark", "ev-redacted", Some("redacted"), vec![text(part)])
            } else {
                text(part)
            }
        })
        .collect();
    el("span", "", None, children)
}

/// `content` split around `[REDACTED]` placeholders: `(is_placeholder, text)` in order, never empty.
pub fn redaction_parts(content: &str) -> Vec<(bool, &str)> {
    let mut parts = Vec::new();
    let mut rest = content;
    while let Some(at) = rest.find(REDACTED) {
        if at > 0 {
            parts.push((false, &rest[..at]));
        }
        parts.push((true, &rest[at..at + REDACTED.len()]));
        rest = &rest[at + REDACTED.len()..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push((false, rest));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_split_out_of_text() {
        assert_eq!(redaction_parts(""), [(false, "")]);
        assert_eq!(redaction_parts("plain"), [(false, "plain")]);
        assert_eq!(
            redaction_parts("key = [REDACTED]\nuser=[REDACTED][REDACTED]!"),
            [
                (false, "key = "),
                (true, "[REDACTED]"),
                (false, "\nuser="),
                (true, "[REDACTED]"),
                (true, "[REDACTED]"),
                (false, "!"),
            ]
        );
    }

    #[test]
    fn links_are_fields_with_a_target() {
        let fields = FieldList::default()
            .link("Actor", "Alice", "/actors/u1".into())
            .mono("Id", Some("u1"))
            .build();
        assert_eq!(fields[0].href.as_deref(), Some("/actors/u1"));
        assert_eq!(fields[1].href, None);
    }
}
