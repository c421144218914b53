//! Printing results: a table for people, JSON (`--json`) for programs.
//!
//! Every result is a [`View`]: a serialisable value whose JSON is the machine output and
//! whose [`View::FIELDS`] give the order of the table rows or columns. A table names a nested
//! field by its dotted path (`instructions.url`). Writes to stdout ignore a closed pipe
//! (`cryptopocket … | head`).

use std::io::{self, Write as _};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;
use serde_json::Value;

/// A result the command line prints.
pub trait View: Serialize {
    /// The fields shown in a table, in order, nested ones as dotted paths
    /// (`instructions.url`); a single record shows every field of its JSON, these first.
    const FIELDS: &'static [&'static str];
}

/// Where results go, and in which form.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// `--json`.
    pub json: bool,
}

impl Printer {
    /// One result: a field/value table, or a JSON object.
    pub fn record<V: View>(&self, value: &V) {
        if self.json {
            print_json(value);
            return;
        }
        let json = to_json(value);
        let mut table = table();
        for (field, value) in ordered(&json, V::FIELDS) {
            table.add_row(vec![field, cell(value)]);
        }
        write_stdout(&format!("{table}\n"));
    }

    /// Several results: a table with a header, or a JSON array.
    pub fn list<V: View>(&self, items: &[V]) {
        if self.json {
            print_json(&items);
            return;
        }
        let json: Vec<Value> = items.iter().map(to_json).collect();
        if json.is_empty() {
            write_stdout("(no results)\n");
            return;
        }
        let mut table = table();
        table.set_header(V::FIELDS.to_vec());
        for item in &json {
            table.add_row(
                V::FIELDS
                    .iter()
                    .map(|field| cell(at_path(item, field).unwrap_or(&Value::Null))),
            );
        }
        write_stdout(&format!("{table}\n"));
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

/// The object's fields, nested ones as dotted paths: `first` in that order, then the rest.
fn ordered<'a>(json: &'a Value, first: &[&'static str]) -> Vec<(String, &'a Value)> {
    let mut fields = Vec::new();
    flatten(String::new(), json, &mut fields);
    // Stable: the rest keep the object's own order.
    fields.sort_by_key(|(name, _)| first.iter().position(|f| f == name).unwrap_or(first.len()));
    fields
}

/// Every leaf of `value` with its dotted path below `path` (`value` for a bare leaf).
fn flatten<'a>(path: String, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (name, inner) in map {
                let inner_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                flatten(inner_path, inner, out);
            }
        }
        _ if path.is_empty() => out.push(("value".to_owned(), value)),
        _ => out.push((path, value)),
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

fn table() -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

/// Pretty JSON, fields in the order the type declares them.
fn print_json<T: Serialize + ?Sized>(value: &T) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("cannot serialise: {e}") }).to_string()
    });
    write_stdout(&format!("{text}\n"));
}

/// Writes to stdout, ignoring a reader that went away.
pub fn write_stdout(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
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
}
