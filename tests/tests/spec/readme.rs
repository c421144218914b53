//! The docs tell a newcomer what is documented and what is inferred; these tests keep the
//! operations table and the operation, schema and error-code counts equal to the spec's
//! `x-provenance`, wherever the layered docs put them (the root README, the generated
//! client's README, CONTRIBUTING.md).

use std::collections::BTreeSet;

use cryptopocket_snapshots::{spec, workspace_root};
use serde_json::Value;

/// The documents that carry these facts, one after the other.
const DOCS: [&str; 3] = [
    "README.md",
    "crates/cryptopocket-api/README.md",
    "CONTRIBUTING.md",
];

fn readme() -> String {
    DOCS.iter()
        .map(|doc| std::fs::read_to_string(workspace_root().join(doc)).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(operationId, "METHOD /path", provenance)` for every operation in the spec.
fn spec_operations(spec: &Value) -> BTreeSet<(String, String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            found.insert((
                id.to_owned(),
                format!("{} {path}", method.to_uppercase()),
                op["x-provenance"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    found
}

/// The same triples, read from the README's operations table.
fn readme_operations(readme: &str) -> BTreeSet<(String, String, String)> {
    readme
        .lines()
        .filter(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | tag | title | `operationId` | `METHOD /path` | provenance | notes |
            let id = cells.get(3)?.strip_prefix('`')?.strip_suffix('`')?;
            let route = cells.get(4)?.strip_prefix('`')?.strip_suffix('`')?;
            let provenance = *cells.get(5)?;
            Some((id.to_owned(), route.to_owned(), provenance.to_owned()))
        })
        .collect()
}

#[test]
fn the_operations_table_matches_the_spec() {
    let spec = spec_operations(&spec());
    let readme = readme_operations(&readme());
    assert_eq!(spec.len(), 26, "the docs list 26 operations");
    let missing: Vec<_> = spec.difference(&readme).collect();
    let extra: Vec<_> = readme.difference(&spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README.md's operations table disagrees with the spec.\n\
         in the spec, not the README: {missing:#?}\nin the README, not the spec: {extra:#?}"
    );
}

#[test]
fn the_schema_counts_match_the_spec() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let sentence = count_sentence(
        "component schemas",
        schemas.values().map(|s| &s["x-provenance"]),
    );
    assert!(
        readme_text().contains(&sentence),
        "README.md should say: {sentence}"
    );
}

/// The README with its line breaks and indentation folded into single spaces.
fn readme_text() -> String {
    readme().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "Of the N <what>, A are documented, B partial and C inferred" for these provenances.
fn count_sentence<'a>(what: &str, provenances: impl Iterator<Item = &'a Value>) -> String {
    let provenances: Vec<&str> = provenances.map(|p| p.as_str().unwrap_or("")).collect();
    let count = |p: &str| provenances.iter().filter(|&&q| q == p).count();
    format!(
        "Of the {} {what}, {} are documented, {} partial and {} inferred",
        provenances.len(),
        count("documented"),
        count("partial"),
        count("inferred")
    )
}

#[test]
fn the_operation_counts_match_the_spec() {
    let spec = spec();
    let operations = cryptopocket_snapshots::operations(&spec);
    let sentence = count_sentence(
        "operations",
        operations.values().map(|op| &op["x-provenance"]),
    );
    assert!(
        readme_text().contains(&sentence),
        "README.md should say: {sentence}"
    );
}

#[test]
fn the_error_code_counts_match_the_spec() {
    let spec = spec();
    let operations = cryptopocket_snapshots::operations(&spec);
    let entries: Vec<&Value> = operations
        .values()
        .filter_map(|op| op["x-error-codes"].as_array())
        .flatten()
        .collect();
    assert!(
        entries.iter().all(|e| e["code"].is_string()),
        "every `x-error-codes` entry is `{{code, x-provenance}}` (cargo xtask lint says where)"
    );
    let sentence = count_sentence(
        "error-code entries",
        entries.iter().map(|e| &e["x-provenance"]),
    );
    assert!(
        readme_text().contains(&sentence),
        "README.md should say: {sentence}"
    );
}
