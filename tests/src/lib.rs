//! Helpers for the snapshot tests in `tests/`: where the spec and the fixtures live, and a
//! JSON comparison that knows which differences the generated types introduce on purpose.
//!
//! The tests themselves are in the `tests/spec/` binary: `schemas.rs` (the JSON schema of
//! every generated component type, as named insta snapshots), `payloads.rs` (every
//! documented payload decodes into its generated type and round-trips) and
//! `sandbox_conformance.rs` (every answer of the local sandbox validates against the spec,
//! through [`schema_check`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// OpenAPI 3.0 schemas translated into JSON Schema draft 4 and checked with `jsonschema`.
///
/// One file serves both users: `cargo xtask lint` validates the spec's attached examples
/// with it, and the sandbox conformance test validates recorded answers with it.
#[path = "../../xtask/src/examples.rs"]
pub mod schema_check;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The OpenAPI document as JSON.
///
/// # Panics
///
/// When the spec cannot be read or parsed; `cargo xtask lint` says why in detail.
pub fn spec() -> Value {
    let path = workspace_root().join("openapi/cryptopocket.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// The names under `components.schemas`, in the spec's order.
pub fn component_names(spec: &Value) -> Vec<String> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every operation of the spec by its `operationId`.
pub fn operations(spec: &Value) -> BTreeMap<String, Value> {
    let items = spec.get("paths").and_then(Value::as_object);
    items
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| Some((op.get("operationId")?.as_str()?.to_owned(), op.clone())))
        .collect()
}

/// The schema an operation declares for the JSON body of HTTP `status`, if any.
pub fn response_schema(operation: &Value, status: u16) -> Option<&Value> {
    operation
        .get("responses")?
        .get(status.to_string())?
        .pointer("/content/application~1json/schema")
}

/// The folder of documented payloads (copied from the shared API reference, verbatim).
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests/fixtures")
}

/// The stems (file names without `.json`) of every fixture, sorted.
pub fn fixture_stems() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(fixtures_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".json")
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    stems.sort();
    stems
}

/// The text of one fixture.
///
/// # Panics
///
/// When the fixture does not exist.
pub fn fixture(stem: &str) -> String {
    let path = fixtures_dir().join(format!("{stem}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every named example in the spec (`examples: {name: {value: …}}` under any media type).
pub fn spec_examples(spec: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    collect_examples(spec, &mut found);
    found
}

fn collect_examples(node: &Value, found: &mut Vec<(String, Value)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Object(examples)) = map.get("examples") {
                for (name, example) in examples {
                    if let Some(value) = example.get("value") {
                        found.push((name.clone(), value.clone()));
                    }
                }
            }
            map.values().for_each(|v| collect_examples(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_examples(v, found)),
        _ => {}
    }
}

/// Where `reserialised` says something different from `original`, as JSON pointers with
/// both sides; empty when they carry the same information.
///
/// Three differences are not information and are allowed, because the generated types
/// introduce them on purpose: a key whose value is `null` may be absent (optional fields
/// are `Option`s skipped when `None`); numbers compare by value (`240` and `240.0`, since
/// money in requests is an `f64`); timestamps compare as instants (`.000000Z` and `Z`).
/// Anything else, above all a field that disappeared because the schema lacks it, is a
/// difference.
pub fn differences(original: &Value, reserialised: &Value) -> Vec<String> {
    let mut found = Vec::new();
    diff(original, reserialised, String::new(), &mut found);
    found
}

fn diff(a: &Value, b: &Value, pointer: String, found: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let at = format!("{pointer}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff(x, y, at, found),
                    (Some(Value::Null), None) | (None, Some(Value::Null)) => {}
                    (Some(x), None) => found.push(format!("{at}: {x} was dropped")),
                    (None, Some(y)) => found.push(format!("{at}: {y} was added")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, format!("{pointer}/{i}"), found);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        (Value::String(x), Value::String(y)) if x == y || same_instant(x, y) => {}
        _ if a == b => {}
        _ => found.push(format!("{pointer}: {a} became {b}")),
    }
}

fn same_instant(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_generated_types_own_differences_are_allowed() {
        let original = json!({"a": 240, "holder": null, "t": "2026-06-26T10:30:00.000000Z"});
        let back = json!({"a": 240.0, "t": "2026-06-26T10:30:00Z"});
        assert_eq!(differences(&original, &back), Vec::<String>::new());
    }

    #[test]
    fn lost_added_and_changed_fields_are_differences() {
        let original = json!({"data": {"id": "x", "concept": 120037, "gone": true}});
        let back = json!({"data": {"id": "y", "concept": "120037", "new": 1}});
        assert_eq!(
            differences(&original, &back),
            vec![
                "/data/concept: 120037 became \"120037\"",
                "/data/gone: true was dropped",
                "/data/id: \"x\" became \"y\"",
                "/data/new: 1 was added",
            ]
        );
    }
}
