//! The README tells a newcomer what is documented and what is inferred; these tests keep
//! its operations table and its schema counts equal to the spec's `x-provenance`.

use std::collections::BTreeSet;

use cryptopocket_snapshots::{spec, workspace_root};
use serde_json::Value;

fn readme() -> String {
    std::fs::read_to_string(workspace_root().join("README.md")).unwrap()
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
    let count = |p: &str| schemas.values().filter(|s| s["x-provenance"] == p).count();
    let sentence = format!(
        "Of the {} component schemas, {} are documented, {} partial and {} inferred",
        schemas.len(),
        count("documented"),
        count("partial"),
        count("inferred")
    );
    let readme = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        readme.contains(&sentence),
        "README.md should say: {sentence}"
    );
}
