//! Loading the OpenAPI document and addressing its parts by JSON pointer.
//!
//! The lint works on a `serde_json::Value` rather than on `openapiv3` types so that every
//! finding can name the exact JSON pointer, including parts `openapiv3` would refuse to parse.

use std::{fs, path::Path};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Number, Value};

/// An OpenAPI document as read from disk.
pub struct Spec {
    /// The bytes of the file, hashed into the generated file's header.
    pub text: String,
    /// The document as JSON, mapping keys turned into strings (`200:` becomes `"200"`).
    pub value: Value,
}

/// Reads and parses the YAML document at `path`.
pub fn load(path: &Path) -> Result<Spec> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value = parse(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    Ok(Spec { text, value })
}

/// Parses YAML text into JSON. YAML tags and non-scalar keys are refused with their pointer.
pub fn parse(text: &str) -> Result<Value> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
    to_json(yaml, "")
}

fn to_json(yaml: serde_yaml_ng::Value, pointer: &str) -> Result<Value> {
    use serde_yaml_ng::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => Value::Number(number(&n, pointer)?),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| to_json(item, &child(pointer, &i.to_string())))
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut out = Map::new();
            for (key, item) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    // Unquoted status codes (`200:`) and the like are numbers in YAML.
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => bail!("{pointer}: mapping key {other:?} is not a scalar"),
                };
                let item = to_json(item, &child(pointer, &key))?;
                out.insert(key, item);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => bail!("{pointer}: YAML tag {} is not allowed", tagged.tag),
    })
}

fn number(n: &serde_yaml_ng::Number, pointer: &str) -> Result<Number> {
    if let Some(i) = n.as_i64() {
        Ok(i.into())
    } else if let Some(u) = n.as_u64() {
        Ok(u.into())
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .with_context(|| format!("{pointer}: {n} is not a finite number"))
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Resolves a local `$ref` (`#/components/...`) against the document.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Follows `$ref`s from `node` until a node without one; `None` on a dangling or cyclic chain.
pub fn deref<'a>(doc: &'a Value, mut node: &'a Value) -> Option<&'a Value> {
    for _ in 0..32 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => node = resolve(doc, reference)?,
            None => return Some(node),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_keys_become_strings() {
        let value = parse("responses:\n  200:\n    description: ok\n").unwrap();
        assert_eq!(value["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        assert_eq!(child("/paths", "/a~b/{id}"), "/paths/~1a~0b~1{id}");
        let doc = serde_json::json!({"paths": {"/a~b/{id}": {"get": 1}}});
        assert_eq!(
            resolve(&doc, &format!("#{}", child("/paths", "/a~b/{id}"))),
            Some(&serde_json::json!({"get": 1}))
        );
    }

    #[test]
    fn yaml_errors_and_tags_are_reported() {
        assert!(parse("a: [1, 2").is_err());
        let err = parse("a:\n  b: !custom 1\n").unwrap_err().to_string();
        assert!(err.contains("/a/b"), "{err}");
    }

    #[test]
    fn deref_follows_chains_and_refuses_cycles() {
        let doc = serde_json::json!({
            "a": {"$ref": "#/b"}, "b": {"type": "string"},
            "c": {"$ref": "#/d"}, "d": {"$ref": "#/c"}
        });
        assert_eq!(deref(&doc, &doc["a"]), Some(&doc["b"]));
        assert_eq!(deref(&doc, &doc["c"]), None);
    }
}
