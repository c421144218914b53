//! Validating attached examples against their OpenAPI schemas.
//!
//! OpenAPI 3.0 schemas are a dialect of JSON Schema draft 4: `nullable` instead of a `null`
//! type, `$ref` that ignores its siblings, and extra keywords (`example`, `x-…`). They are
//! translated into plain draft 4 and validated with the `jsonschema` crate.
//!
//! The snapshot tests compile this same file (`tests/src/lib.rs` includes it by path as
//! `schema_check`) to validate the local sandbox's answers against the spec, so it must
//! depend on nothing but `serde_json` and `jsonschema`.

use serde_json::{Map, Value, json};

/// Validates example values against schemas of one OpenAPI document.
pub struct ExampleValidator {
    definitions: Value,
}

impl ExampleValidator {
    /// Prepares the document's `components.schemas` for `$ref` resolution.
    pub fn new(doc: &Value) -> Self {
        let definitions = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|schemas| {
                schemas
                    .iter()
                    .map(|(name, schema)| (name.clone(), translate(schema)))
                    .collect::<Map<_, _>>()
            })
            .unwrap_or_default();
        Self {
            definitions: Value::Object(definitions),
        }
    }

    /// Returns one message per violation, each starting with the instance's JSON pointer
    /// (empty when the whole value is at fault).
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let root = json!({ "definitions": self.definitions, "allOf": [translate(schema)] });
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&root)
        {
            Ok(validator) => validator,
            Err(err) => return vec![format!("the schema itself is invalid: {}", err.masked())],
        };
        validator
            .iter_errors(instance)
            .flat_map(|err| explain(&err))
            .collect()
    }
}

/// Describes one violation. A `nullable` schema is translated into `anyOf [schema, null]`,
/// whose own message ("not valid under any of the schemas") hides the cause, so the
/// non-null branch's errors are reported instead.
fn explain(err: &jsonschema::ValidationError<'_>) -> Vec<String> {
    if let jsonschema::error::ValidationErrorKind::AnyOf { context } = err.kind() {
        let causes: Vec<&Vec<jsonschema::ValidationError<'static>>> = context
            .iter()
            .filter(|branch| {
                !branch
                    .iter()
                    .all(|e| e.masked().to_string().ends_with("\"null\""))
            })
            .collect();
        if let [branch] = causes.as_slice() {
            return branch.iter().flat_map(explain).collect();
        }
    }
    vec![format!("{}: {}", err.instance_path(), err.masked())]
}

/// Translates one OpenAPI 3.0 schema object into JSON Schema draft 4.
fn translate(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let target = reference.replacen("#/components/schemas/", "#/definitions/", 1);
        return json!({ "$ref": target });
    }
    let mut out = Map::new();
    for (keyword, value) in object {
        let translated = match keyword.as_str() {
            "nullable" | "example" | "discriminator" | "xml" | "externalDocs" | "deprecated"
            | "readOnly" | "writeOnly" => continue,
            k if k.starts_with("x-") => continue,
            "properties" | "patternProperties" => map_values(value, translate),
            "items" | "not" => translate(value),
            "additionalProperties" if value.is_object() => translate(value),
            "allOf" | "anyOf" | "oneOf" => match value.as_array() {
                Some(items) => Value::Array(items.iter().map(translate).collect()),
                None => value.clone(),
            },
            _ => value.clone(),
        };
        out.insert(keyword.clone(), translated);
    }
    let out = Value::Object(out);
    if object.get("nullable") == Some(&Value::Bool(true)) {
        json!({ "anyOf": [out, { "type": "null" }] })
    } else {
        out
    }
}

fn map_values(value: &Value, f: fn(&Value) -> Value) -> Value {
    match value.as_object() {
        Some(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
        None => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "Envelope": {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": {"type": "string", "x-provenance": "documented"},
                    "data": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Item"}]}
                }
            },
            "Item": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}, "nullable": {"type": "boolean"}}
            }
        }}})
    }

    #[test]
    fn accepts_null_where_nullable_and_follows_refs() {
        let v = ExampleValidator::new(&doc());
        let schema = json!({"$ref": "#/components/schemas/Envelope"});
        assert!(
            v.validate(&schema, &json!({"status": "ok", "data": null}))
                .is_empty()
        );
        assert!(
            v.validate(&schema, &json!({"status": "ok", "data": {"id": 1}}))
                .is_empty()
        );
    }

    #[test]
    fn reports_the_instance_path_of_each_violation() {
        let v = ExampleValidator::new(&doc());
        let schema = json!({"$ref": "#/components/schemas/Envelope"});
        let errors = v.validate(&schema, &json!({"status": 1, "data": {"id": "x"}}));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.starts_with("/status:")),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.starts_with("/data")), "{errors:?}");
    }

    #[test]
    fn a_property_named_like_a_keyword_is_still_a_property() {
        let v = ExampleValidator::new(&doc());
        let schema = json!({"$ref": "#/components/schemas/Item"});
        assert!(
            !v.validate(&schema, &json!({"id": 1, "nullable": "no"}))
                .is_empty()
        );
    }

    #[test]
    fn formats_are_checked() {
        let v = ExampleValidator::new(&doc());
        let schema = json!({"type": "string", "format": "date-time"});
        assert!(
            v.validate(&schema, &json!("2026-06-26T10:30:00.000000Z"))
                .is_empty()
        );
        assert!(!v.validate(&schema, &json!("yesterday")).is_empty());
    }
}
