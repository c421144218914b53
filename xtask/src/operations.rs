//! The operation table appended to the generated file: what the spec knows about each
//! operation that the wrapper needs at run time and should not restate by hand.

use std::{collections::BTreeSet, fmt::Write as _};

use serde_json::Value;

use crate::spec::{self, child};

/// HTTP methods an OpenAPI path item may hold, in the order the table lists them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How deep the walk follows nested schemas; the spec's deepest body is far shallower, and
/// the bound keeps a self-referencing schema from looping.
const MAX_DEPTH: usize = 12;

/// The envelope's own fields decide whether a call succeeded and carry its result or error
/// code or where the next page is; they are never dropped, whatever the envelope's provenance
/// (a dropped `pagination` would end a list after its first page).
const ENVELOPE_FIELDS: [&str; 5] = ["status", "message", "error", "data", "pagination"];

/// The spec's operationIds, in the order its paths list them.
pub fn ids(doc: &Value) -> impl Iterator<Item = &str> {
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    paths.flat_map(|(_, item)| {
        METHODS
            .iter()
            .filter_map(move |method| item.get(method)?.get("operationId")?.as_str())
    })
}

/// The Rust source of `pub mod operations`, sorted by operationId (deterministic).
pub fn source(doc: &Value) -> String {
    let mut rows = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let provenance = operation
                    .get("x-provenance")
                    .and_then(Value::as_str)
                    .unwrap_or("inferred");
                let effect = operation
                    .get("x-effect")
                    .and_then(Value::as_str)
                    .unwrap_or("create");
                let success = operation.pointer(&format!(
                    "{}/content/application~1json/schema",
                    child("/responses", "200")
                ));
                let envelope = success.and_then(schema_name).unwrap_or("()").to_owned();
                let error = error_schema(operation).unwrap_or("()").to_owned();
                // The lint allows one media type per body.
                let body = operation
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                    .and_then(|content| content.keys().next())
                    .cloned();
                let paged = success
                    .and_then(|schema| spec::deref(doc, schema))
                    .is_some_and(|schema| schema.pointer("/properties/pagination").is_some());
                let mut lenient = BTreeSet::new();
                if let Some(schema) = operation.pointer(&format!(
                    "{}/content/application~1json/schema",
                    child("/responses", "200")
                )) {
                    walk(doc, schema, "", None, 0, &mut lenient);
                }
                rows.push(Row {
                    id: id.to_owned(),
                    method,
                    path: path.clone(),
                    provenance,
                    effect,
                    envelope,
                    error,
                    body,
                    paged,
                    lenient,
                });
            }
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));

    let mut out = String::from(
        "/// Every operation of the spec, sorted by operationId: what the wrapper needs at run\n\
         /// time, read from `openapi/cryptopocket.yaml` by `cargo xtask gen`.\n\
         pub mod operations {\n",
    );
    for row in &rows {
        let lenient: Vec<String> = row.lenient.iter().map(|p| format!("{p:?}")).collect();
        let _ = write!(
            out,
            "    #[doc = \"`{id}`: `{method} {path}`\"]\n    pub const {constant}: crate::Operation = crate::Operation {{ \
             id: {id:?}, name: {name:?}, method: {method:?}, path: {path:?}, body: {body:?}, \
             provenance: {provenance:?}, effect: crate::Effect::{effect}, paged: {paged}, \
             lenient: &[{lenient}] }};\n",
            id = row.id,
            name = method_name(&row.id),
            body = row.body,
            method = row.method.to_uppercase(),
            path = row.path,
            constant = constant(&row.id),
            provenance = row.provenance,
            effect = pascal(row.effect),
            paged = row.paged,
            lenient = lenient.join(", "),
        );
    }
    let all: Vec<String> = rows.iter().map(|row| constant(&row.id)).collect();
    let _ = write!(
        out,
        "    /// All of them, sorted by operationId.\n    pub const ALL: &[crate::Operation] = &[{}];\n}}\n",
        all.join(", ")
    );

    out.push_str(
        "/// One type per operation tying its row of [`operations`] to the types the generated\n\
         /// client decodes its answers into, so that a caller names the operation once.\n\
         pub mod endpoints {\n",
    );
    for row in &rows {
        let ty = |name: &str| {
            if name == "()" {
                "()".to_owned()
            } else {
                format!("crate::types::{name}")
            }
        };
        let _ = write!(
            out,
            "    #[doc = \"`{id}`\"]\n    #[derive(Debug, Clone, Copy)]\n    pub struct {name};\n    \
             impl crate::Endpoint for {name} {{ type Envelope = {envelope}; type ErrorBody = {error}; \
             const OPERATION: &'static crate::Operation = &super::operations::{constant}; }}\n",
            id = row.id,
            name = pascal(&row.id),
            envelope = ty(&row.envelope),
            error = ty(&row.error),
            constant = constant(&row.id),
        );
    }
    out.push_str("}\n");
    out
}

/// One operation as the table lists it.
struct Row<'a> {
    id: String,
    method: &'a str,
    path: String,
    provenance: &'a str,
    effect: &'a str,
    envelope: String,
    error: String,
    /// The request body's media type, when it has one.
    body: Option<String>,
    paged: bool,
    lenient: BTreeSet<String>,
}

/// The component a `$ref` names (`#/components/schemas/GetPaymentResponse` →
/// `GetPaymentResponse`), which typify keeps as the type's name.
fn schema_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// The one schema of the operation's 4xx/5xx/default responses (the lint allows at most one).
fn error_schema(operation: &Value) -> Option<&str> {
    operation
        .get("responses")
        .and_then(Value::as_object)?
        .iter()
        .filter(|(status, _)| {
            status.starts_with('4') || status.starts_with('5') || *status == "default"
        })
        .find_map(|(_, response)| {
            response
                .pointer("/content/application~1json/schema")
                .and_then(schema_name)
        })
}

/// progenitor's name for an operation, that of the generated client's method (`getPayment` →
/// `get_payment`): heck's snake case, as progenitor writes it. [`generate`] checks that the
/// generated client has each.
///
/// [`generate`]: crate::generate::generate
pub fn method_name(id: &str) -> String {
    heck::ToSnakeCase::to_snake_case(id)
}

/// `getPayment` → `GetPayment`, `read` → `Read`.
fn pascal(id: &str) -> String {
    let mut chars = id.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `getPayment` → `GET_PAYMENT`.
fn constant(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Collects the JSON pointers (`*` for any array index) of the optional properties whose
/// schema is not documented: the fields the wrapper may drop, with a warning, when a server
/// sends them in a shape the spec did not guess.
fn walk(
    doc: &Value,
    node: &Value,
    pointer: &str,
    inherited: Option<&str>,
    depth: usize,
    out: &mut BTreeSet<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(schema) = spec::deref(doc, node) else {
        return;
    };
    let provenance = schema
        .get("x-provenance")
        .and_then(Value::as_str)
        .or(inherited);
    for key in ["allOf", "oneOf", "anyOf"] {
        for member in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(doc, member, pointer, provenance, depth + 1, out);
        }
    }
    if let Some(items) = schema.get("items") {
        walk(
            doc,
            items,
            &format!("{pointer}/*"),
            provenance,
            depth + 1,
            out,
        );
    }
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let at = child(pointer, name);
        let own = property
            .get("x-provenance")
            .and_then(Value::as_str)
            .or_else(|| documented_by_description(property))
            .or(provenance);
        let envelope_field = pointer.is_empty() && ENVELOPE_FIELDS.contains(&name.as_str());
        if !required.contains(name.as_str())
            && !envelope_field
            && own.is_some_and(|p| p != "documented")
        {
            out.insert(at.clone());
        }
        walk(doc, property, &at, own, depth + 1, out);
    }
}

/// In a partial schema a property says in its description what the docs show of it:
/// `Documented: …` makes it strict (an extension beside the property's `type` would keep
/// the generator's type conversions from matching it).
fn documented_by_description(property: &Value) -> Option<&'static str> {
    property
        .get("description")
        .and_then(Value::as_str)
        .filter(|text| text.trim_start().starts_with("Documented"))
        .map(|_| "documented")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn optional_fields_of_undocumented_schemas_are_lenient() {
        let doc = json!({
            "paths": {"/x": {"get": {
                "operationId": "getX",
                "x-provenance": "partial",
                "responses": {"200": {"content": {"application/json": {"schema":
                    {"$ref": "#/components/schemas/Envelope"}}}}}
            }}},
            "components": {"schemas": {
                "Envelope": {"x-provenance": "documented", "required": ["status"],
                    "properties": {"status": {"type": "string"}, "note": {"type": "string"},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}},
                "Item": {"x-provenance": "inferred", "required": ["id"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                        "shown": {"type": "string", "description": "Documented: shown."},
                        "sure": {"type": "string", "x-provenance": "documented"}}}
            }}
        });
        let source = source(&doc);
        assert!(source.contains(r#"lenient: &["/data/*/name"]"#), "{source}");
        assert!(source.contains("pub const GET_X: crate::Operation"));
        assert!(source.contains(
            r#"id: "getX", name: "get_x", method: "GET", path: "/x", body: None, provenance: "partial""#
        ));
        assert!(source.contains("effect: crate::Effect::Create, paged: false"));
        assert!(source.contains("impl crate::Endpoint for GetX { type Envelope = crate::types::Envelope; type ErrorBody = ();"));
    }

    #[test]
    fn the_table_names_the_body_s_media_type_and_progenitor_s_method() {
        let doc = json!({"paths": {"/hooks": {"post": {
            "operationId": "subscribeToWebhook",
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {}}}},
            "responses": {}
        }}}});
        let source = source(&doc);
        assert!(
            source.contains(r#"name: "subscribe_to_webhook""#),
            "{source}"
        );
        assert!(
            source.contains(r#"body: Some("application/x-www-form-urlencoded")"#),
            "{source}"
        );
        assert_eq!(ids(&doc).collect::<Vec<_>>(), ["subscribeToWebhook"]);
        // heck's snake case, as progenitor's: an acronym stays one word.
        assert_eq!(method_name("getKYCStatus"), "get_kyc_status");
    }

    #[test]
    fn constants_are_screaming_snake_case() {
        assert_eq!(constant("getPayment"), "GET_PAYMENT");
        assert_eq!(constant("authenticate"), "AUTHENTICATE");
    }
}
