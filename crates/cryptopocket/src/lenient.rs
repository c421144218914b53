//! A second, lenient decode of a 200 body the generated type refused: an optional field that
//! only an undocumented schema describes, sent in a shape the spec did not guess, is dropped
//! with a warning instead of failing the whole response.
//!
//! Which fields may go is the spec's knowledge, generated into
//! [`cryptopocket_api::Operation::lenient`]: optional properties of inferred or partial
//! schemas, never the envelope's `status`, `message`, `error`, `data` or `pagination`, never
//! a required field, never a documented one. The body is edited as text (each level parsed
//! into raw values and written back), so the digits of every amount that stays are untouched.

use std::collections::BTreeMap;

use cryptopocket_api::{Endpoint, Operation};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_path_to_error::{Path, Segment};

/// How many decodes one body may cost at most: a body with more misshapen optional fields
/// than this is refused as it would be without leniency.
const MAX_ATTEMPTS: usize = 16;

/// `body` decoded as `E`'s envelope after dropping misshapen lenient fields (those of
/// `E::OPERATION`), with the pointers dropped; `None` when that does not make it decode
/// (the caller reports the original error).
pub(crate) fn decode<E>(body: &[u8]) -> Option<(E::Envelope, Vec<String>)>
where
    E: Endpoint<Envelope: DeserializeOwned>,
{
    type T<E> = <E as Endpoint>::Envelope;
    let op = E::OPERATION;
    let operation = op.id;
    if op.lenient.is_empty() {
        return None;
    }
    let mut text = std::str::from_utf8(body).ok()?.to_owned();
    let mut dropped: Vec<String> = Vec::new();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let failure = match try_decode::<T<E>>(&text) {
            Ok(value) => {
                for pointer in &dropped {
                    tracing::warn!(
                        operation,
                        field = pointer.as_str(),
                        "dropped an optional field the spec only infers: its value had an unexpected shape"
                    );
                }
                return Some((value, dropped));
            }
            Err(path) => path,
        };
        if attempts >= MAX_ATTEMPTS {
            return None;
        }
        let at = tokens(&failure)?;
        let pointer = pointer(&at);
        if op.is_lenient(&pointer) {
            text = without(&text, &at)?;
            dropped.push(pointer);
            continue;
        }
        // The error may sit on an untagged enum (`data` that is one of several shapes), which
        // reports no path inside itself: try dropping each lenient child present there.
        let (next, children) = drop_children::<T<E>>(op, &text, &at, &failure)?;
        text = next;
        dropped.extend(children);
    }
}

/// Decodes `text`, or names the path where it failed.
fn try_decode<T: DeserializeOwned>(text: &str) -> Result<T, Path> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|e| e.path().clone())
}

/// Lenient children of the value at `at` whose removal gets the decode past the failure at
/// `failure` (it succeeds or fails elsewhere): grown one at a time until the decode moves,
/// then shrunk so no field is dropped that the decode did not need gone. `at` is where an
/// untagged enum (a `data` of several possible shapes) failed without naming a field inside.
fn drop_children<T: DeserializeOwned>(
    op: &Operation,
    text: &str,
    at: &[String],
    failure: &Path,
) -> Option<(String, Vec<String>)> {
    let node = value_at(text, at)?;
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(node.get()).ok()?;
    let candidates: Vec<Vec<String>> = fields
        .keys()
        .map(|key| {
            let mut child = at.to_vec();
            child.push(key.clone());
            child
        })
        .filter(|child| op.is_lenient(&pointer(child)))
        .collect();
    let moves = |removed: &[&Vec<String>]| -> Option<String> {
        let mut next = text.to_owned();
        for child in removed {
            next = without(&next, child)?;
        }
        match try_decode::<T>(&next) {
            Ok(_) => Some(next),
            Err(path) if path.to_string() != failure.to_string() => Some(next),
            Err(_) => None,
        }
    };
    let mut removed: Vec<&Vec<String>> = Vec::new();
    let mut found = None;
    for child in &candidates {
        removed.push(child);
        if let Some(next) = moves(&removed) {
            found = Some(next);
            break;
        }
    }
    let mut next = found?;
    let mut i = 0;
    while i < removed.len() {
        let mut fewer = removed.clone();
        fewer.remove(i);
        match moves(&fewer) {
            Some(smaller) => {
                removed = fewer;
                next = smaller;
            }
            None => i += 1,
        }
    }
    Some((next, removed.iter().map(|child| pointer(child)).collect()))
}

/// The path as reference tokens (array indices as numbers); `None` for a path through an
/// enum variant or an unknown segment, which a pointer cannot name.
fn tokens(path: &Path) -> Option<Vec<String>> {
    path.iter()
        .map(|segment| match segment {
            Segment::Map { key } => Some(key.clone()),
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// RFC 6901 pointer of `tokens`.
fn pointer(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// The raw value at `at` inside `text`.
fn value_at(text: &str, at: &[String]) -> Option<Box<RawValue>> {
    let mut current = RawValue::from_string(text.to_owned()).ok()?;
    for token in at {
        current = child_of(current.get(), token)?;
    }
    Some(current)
}

fn child_of(text: &str, token: &str) -> Option<Box<RawValue>> {
    if text.trim_start().starts_with('[') {
        let mut items: Vec<Box<RawValue>> = serde_json::from_str(text).ok()?;
        let index: usize = token.parse().ok()?;
        (index < items.len()).then(|| items.swap_remove(index))
    } else {
        let mut fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).ok()?;
        fields.remove(token)
    }
}

/// `text` with the object member at `at` removed; every other value keeps its exact text.
/// `None` when `at` does not end at an object member.
fn without(text: &str, at: &[String]) -> Option<String> {
    let (first, rest) = at.split_first()?;
    if text.trim_start().starts_with('[') {
        let mut items: Vec<Box<RawValue>> = serde_json::from_str(text).ok()?;
        let index: usize = first.parse().ok()?;
        let item = items.get_mut(index)?;
        *item = RawValue::from_string(without(item.get(), rest)?).ok()?;
        return serde_json::to_string(&items).ok();
    }
    let mut fields: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).ok()?;
    if rest.is_empty() {
        fields.remove(first)?;
    } else {
        let field = fields.get_mut(first)?;
        *field = RawValue::from_string(without(field.get(), rest)?).ok()?;
    }
    serde_json::to_string(&fields).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_is_removed_and_every_other_value_keeps_its_text() {
        let text = r#"{"data":[{"a":0.123456789012345678,"b":{"x":1}},{"b":2}],"status":"ok"}"#;
        let edited = without(text, &["data".into(), "0".into(), "b".into()]).unwrap();
        assert_eq!(
            edited,
            r#"{"data":[{"a":0.123456789012345678},{"b":2}],"status":"ok"}"#
        );
        assert!(without(text, &["data".into(), "0".into()]).is_none());
        assert!(without(text, &["nope".into()]).is_none());
        assert_eq!(
            value_at(text, &["data".into(), "1".into()]).unwrap().get(),
            r#"{"b":2}"#
        );
    }
}
