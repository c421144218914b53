//! Printing results: a table for people, JSON (`--json`) for programs.
//!
//! Every result is a [`View`]: a serialisable value whose JSON is the machine output and
//! whose fields, in the order its `Serialize` writes them, are the table's rows or columns
//! (unless [`View::FIELDS`] names others, or another order). A table names a nested field by
//! its dotted path (`instructions.url`); `--columns` picks others ([`set_columns`]).
//! Identifiers (ids, txids, IBANs, wallets) and amounts are never wrapped, so they can be
//! copied: the other columns wrap to the terminal's width (`COLUMNS` when set), and the table grows past
//! it when the identifiers alone are wider. Writes to stdout ignore a closed pipe
//! (`cryptopocket … | head`).
//!
//! Everything the command line prints, on stdout or stderr, passes through [`redact`]: the
//! clients built ([`protect_client`]) replace the API secret and every token they have held,
//! in whatever form a server echoed them, and secrets known before any client could be built
//! ([`protect_secret`]) are replaced by value. [`write_stdout`] and [`write_stderr`] are the
//! only writers; a table redacts each cell before laying it out too, since a wrapped cell
//! could split a secret across lines.

use std::{
    io::{self, Write as _},
    sync::{OnceLock, PoisonError, RwLock},
};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};
use cryptopocket::{Client, Redactor};
use serde::Serialize;
use serde_json::Value;

use crate::exit::Failure;

/// What every printed text passes through.
struct Protected {
    /// Each client built; each knows its API secret and every token it has held.
    clients: Vec<Client>,
    /// Secrets given before a client existed.
    secrets: Option<Redactor>,
}

static PROTECTED: RwLock<Protected> = RwLock::new(Protected {
    clients: Vec::new(),
    secrets: None,
});

/// From now on, everything printed is passed through `client`'s redaction (its API secret
/// and every token it holds, now or later).
pub fn protect_client(client: &Client) {
    let mut protected = PROTECTED.write().unwrap_or_else(PoisonError::into_inner);
    protected.clients.push(client.clone());
}

/// From now on, `secret` is never printed, in any form the crate's [`Redactor`] knows. For
/// the API secret the user gave, before (or without) a client.
pub fn protect_secret(secret: &str) {
    let mut protected = PROTECTED.write().unwrap_or_else(PoisonError::into_inner);
    match &protected.secrets {
        Some(redactor) => redactor.remember(secret),
        None => protected.secrets = Some(Redactor::new(secret)),
    }
}

/// `text` with every protected secret and token replaced by `[redacted]`.
pub fn redact(text: &str) -> String {
    let protected = PROTECTED.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = text.to_owned();
    for client in &protected.clients {
        out = client.redact(&out);
    }
    if let Some(redactor) = &protected.secrets {
        out = redactor.redact(&out);
    }
    out
}

/// A result the command line prints.
pub trait View: Serialize {
    /// The fields a list's table shows, in order, nested ones as dotted paths
    /// (`instructions.url`); a single record shows every field, these first. Empty (the
    /// default): every field, in the order the type serialises them.
    const FIELDS: &'static [&'static str] = &[];
}

/// Where results go, and in which form.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// `--json`.
    pub json: bool,
}

/// The columns `--columns` asked for, set once at start-up.
static COLUMNS: OnceLock<Vec<String>> = OnceLock::new();

/// Shows only `columns` (`--columns`), in that order, in every table printed from now on.
pub fn set_columns(columns: Vec<String>) {
    let columns: Vec<String> = columns
        .into_iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    let _ = COLUMNS.set(columns);
}

/// The columns asked for, checked against those the result has (`known`, in order): an
/// unknown name is a usage failure listing the valid ones.
fn chosen(known: &[String]) -> Result<Option<Vec<String>>, Failure> {
    let Some(asked) = COLUMNS.get().filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let unknown: Vec<&str> = asked
        .iter()
        .filter(|name| !known.contains(name))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(Some(asked.clone()));
    }
    Err(Failure::usage(format!(
        "unknown column{} for --columns: {}",
        if unknown.len() == 1 { "" } else { "s" },
        unknown.join(", ")
    ))
    .with_code("unknown_column")
    .hint(format!(
        "the columns of this result are: {}",
        known.join(", ")
    )))
}

/// The narrowest a wrapped column gets (in characters) when its words are that long.
const MIN_WRAPPED: usize = 12;

/// Whether a field holds an amount (never wrapped either: a digit on the next line misreads).
fn is_amount(field: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field);
    last.ends_with("amount") || last == "balance" || last == "price"
}

/// Whether a field holds an identifier people copy (never wrapped in a table).
pub fn is_identifier(field: &str) -> bool {
    let last = field.rsplit('.').next().unwrap_or(field);
    last == "id"
        || last.ends_with("_id")
        || last == "txid"
        || last.contains("iban")
        || last == "bic"
        || last == "uuid"
        || last.contains("wallet")
}

impl Printer {
    /// One result: a field/value table, or a JSON object. With `--columns`, only those
    /// fields, in that order.
    pub fn record<V: View>(&self, value: &V) -> Result<(), Failure> {
        if self.json {
            print_json(value);
            return Ok(());
        }
        let json = to_json(value);
        let fields = ordered(value, V::FIELDS);
        let known: Vec<String> = fields.iter().map(|(name, _)| name.clone()).collect();
        let rows: Vec<(String, Value)> = match chosen(&known)? {
            Some(columns) => columns
                .into_iter()
                .map(|name| {
                    let value = at_path(&json, &name).cloned().unwrap_or(Value::Null);
                    (name, value)
                })
                .collect(),
            None => fields,
        };
        let mut table = table();
        for (field, value) in &rows {
            table.add_row(vec![redact(field), redact(&cell(value))]);
        }
        // A record's values (ids, URLs, wallets) are never wrapped: the table grows instead.
        if let Some(column) = table.column_mut(1) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
        write_stdout(&format!("{table}\n"));
        Ok(())
    }

    /// Several results: a table with a header, or a JSON array. With `--columns`, those
    /// columns (any field of the items, nested ones by dotted path).
    pub fn list<V: View>(&self, items: &[V]) -> Result<(), Failure> {
        if self.json {
            print_json(&items);
            return Ok(());
        }
        let json: Vec<Value> = items.iter().map(to_json).collect();
        // The columns the items have, in their `Serialize` order (the view's own first).
        let mut known: Vec<String> = V::FIELDS.iter().map(|f| (*f).to_owned()).collect();
        for (name, _) in items.iter().flat_map(leaves) {
            if !known.contains(&name) {
                known.push(name);
            }
        }
        let columns = match chosen(&known) {
            Ok(Some(columns)) => columns,
            Ok(None) if V::FIELDS.is_empty() => known,
            Ok(None) => V::FIELDS.iter().map(|f| (*f).to_owned()).collect(),
            // No item, and no column named by the view: nothing to check the names against.
            Err(_) if known.is_empty() => Vec::new(),
            Err(failure) => return Err(failure),
        };
        if json.is_empty() {
            write_stdout("(no results)\n");
            return Ok(());
        }
        let mut table = table();
        table.set_header(columns.clone());
        let rows: Vec<Vec<String>> = json
            .iter()
            .map(|item| {
                columns
                    .iter()
                    .map(|field| redact(&cell(at_path(item, field).unwrap_or(&Value::Null))))
                    .collect()
            })
            .collect();
        for (index, field) in columns.iter().enumerate() {
            // Identifiers keep their whole width; other columns wrap, but never narrower
            // than their widest word would need up to MIN_WRAPPED (the table grows instead).
            let constraint = if is_identifier(field) || is_amount(field) {
                ColumnConstraint::ContentWidth
            } else {
                let widest = std::iter::once(field.as_str())
                    .chain(rows.iter().map(|row| row[index].as_str()))
                    .flat_map(str::split_whitespace)
                    .map(|word| word.chars().count())
                    .max()
                    .unwrap_or(1);
                // The width includes the cell's padding, one space each side.
                let floor = u16::try_from(widest.min(MIN_WRAPPED) + 2).unwrap_or(3);
                ColumnConstraint::LowerBoundary(Width::Fixed(floor))
            };
            if let Some(column) = table.column_mut(index) {
                column.set_constraint(constraint);
            }
        }
        for row in rows {
            table.add_row(row);
        }
        write_stdout(&format!("{table}\n"));
        Ok(())
    }

    /// A sentence for people, or `json` for programs.
    pub fn message<T: Serialize>(&self, text: &str, json: &T) {
        if self.json {
            print_json(json);
        } else {
            write_stdout(&format!("{text}\n"));
        }
    }

    /// One line of a stream (`payments watch`, `webhooks listen`): `text`, or `json` on one
    /// line.
    pub fn line<T: Serialize>(&self, text: &str, json: &T) {
        if self.json {
            let json =
                serde_json::to_string(json).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            write_stdout(&format!("{json}\n"));
        } else {
            write_stdout(&format!("{text}\n"));
        }
    }
}

/// The JSON form of a view.
fn to_json<T: Serialize>(value: &T) -> Value {
    // Views are plain data (strings, numbers, decimals, dates); serialising them cannot fail.
    serde_json::to_value(value)
        .unwrap_or_else(|e| Value::String(format!("<cannot serialise: {e}>")))
}

/// The value's fields, nested ones as dotted paths: `first` in that order, then the rest.
fn ordered<T: Serialize + ?Sized>(value: &T, first: &[&'static str]) -> Vec<(String, Value)> {
    let mut fields = leaves(value);
    // Stable: the rest keep the order the type serialises them in.
    fields.sort_by_key(|(name, _)| first.iter().position(|f| f == name).unwrap_or(first.len()));
    fields
}

/// Every leaf of `value` with its dotted path (`value` for a bare leaf), in the order its
/// `Serialize` writes them: the table's columns come from the result type itself.
fn leaves<T: Serialize + ?Sized>(value: &T) -> Vec<(String, Value)> {
    // A `Value`'s objects are sorted by name; the text keeps the fields in written order.
    let node = serde_json::to_string(value)
        .and_then(|text| serde_json::from_str(&text))
        .unwrap_or_else(|e| Node::Leaf(Value::String(format!("<cannot serialise: {e}>"))));
    let mut out = Vec::new();
    node.flatten(String::new(), &mut out);
    out
}

/// A JSON value whose objects keep their fields in the order they were written.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Node {
    Object(Fields<Node>),
    Leaf(Value),
}

/// An object's fields, in the order they were written (a `serde_json::Map` sorts them).
pub struct Fields<T>(pub Vec<(String, T)>);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Fields<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for InOrder<T> {
            type Value = Fields<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields<T>, A::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry()? {
                    fields.push(field);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(InOrder(std::marker::PhantomData))
    }
}

impl Node {
    /// Every leaf with its dotted path below `path` (`value` for a bare leaf).
    fn flatten(self, path: String, out: &mut Vec<(String, Value)>) {
        let value = match self {
            Node::Object(Fields(fields)) if !fields.is_empty() => {
                for (name, inner) in fields {
                    let inner_path = if path.is_empty() {
                        name
                    } else {
                        format!("{path}.{name}")
                    };
                    inner.flatten(inner_path, out);
                }
                return;
            }
            Node::Object(_) => Value::Object(serde_json::Map::new()),
            Node::Leaf(value) => value,
        };
        let path = if path.is_empty() {
            "value".to_owned()
        } else {
            path
        };
        out.push((path, value));
    }
}

/// The value at a dotted path (`instructions.url`).
fn at_path<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(json, |value, name| value.get(name))
}

/// A table cell: strings unquoted, `-` for nothing.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A table that wraps its wrappable columns to the terminal: `COLUMNS` when set (as shells
/// and most tools honour), else the terminal's own width.
fn table() -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = std::env::var("COLUMNS")
        .ok()
        .and_then(|w| w.trim().parse::<u16>().ok())
        .filter(|w| *w > 0)
    {
        table.set_width(width);
    }
    table
}

/// Pretty JSON, fields in the order the type declares them.
fn print_json<T: Serialize + ?Sized>(value: &T) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("cannot serialise: {e}") }).to_string()
    });
    write_stdout(&format!("{text}\n"));
}

/// Writes `text` to stdout, redacted, ignoring a reader that went away.
pub fn write_stdout(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(redact(text).as_bytes());
    let _ = stdout.flush();
}

/// Writes `text` to stderr, redacted, ignoring a reader that went away.
pub fn write_stderr(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(redact(text).as_bytes());
    let _ = stderr.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_fields_come_in_view_order_then_the_rest() {
        let json = serde_json::json!({"b": 1, "a": null, "z": "x"});
        let fields: Vec<String> = ordered(&json, &["z", "a"])
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(fields, ["z", "a", "b"]);
        let nested = serde_json::json!({"id": 1, "next": {"url": "u", "kind": "redirect"}});
        let fields: Vec<String> = ordered(&nested, &["id", "next.kind"])
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(fields, ["id", "next.kind", "next.url"]);
        assert_eq!(at_path(&nested, "next.url"), Some(&serde_json::json!("u")));
        assert_eq!(at_path(&nested, "next.iban"), None);
        assert_eq!(cell(&Value::Null), "-");
        assert_eq!(cell(&serde_json::json!("150.50")), "150.50");
    }

    #[test]
    fn identifiers_are_told_apart_from_wrappable_fields() {
        for id in [
            "id",
            "payment_id",
            "txid",
            "transaction_id",
            "iban",
            "deposit_wallet",
            "instructions.iban",
            "uuid",
        ] {
            assert!(is_identifier(id), "{id}");
        }
        for other in [
            "status",
            "holder",
            "concept",
            "instructions.url",
            "kyc_form_url",
        ] {
            assert!(!is_identifier(other), "{other}");
        }
    }

    #[test]
    fn a_protected_secret_is_replaced_in_every_form() {
        protect_secret("s3/cr+et \"x\" y");
        for text in [
            r#"name: s3/cr+et "x" y"#,
            r#"{"name":"s3/cr+et \"x\" y"}"#,
            r#"{"name":"s3\/cr+et \"x\" y"}"#,
            "name=s3%2Fcr%2Bet+%22x%22+y",
            "name=s3%2Fcr%2Bet%20%22x%22%20y",
        ] {
            let shown = redact(text);
            assert!(
                !shown.contains("cr+et") && !shown.contains("cr%2Bet"),
                "{shown}"
            );
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        // Too short to tell apart from ordinary words: not replaced.
        protect_secret("ab");
        assert_eq!(redact("abc"), "abc");
    }
}
