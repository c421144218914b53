//! `cargo xtask check-capture DIR`: checks exchanges captured from a real server (the
//! `cryptopocket` client's opt-in capture, `CRYPTOPOCKET_CAPTURE=DIR`) against the spec,
//! and names every place where the two disagree:
//!
//! ```text
//! getPayment /data/fiat_amount: expected number or string got object  [documented: #/components/schemas/Payment]
//! ```
//!
//! Each captured response body is checked against the schema its operation declares for
//! the captured status (200: the envelope; a declared 4xx: its error schema). The schema is
//! walked here rather than handed whole to a JSON Schema validator, so that each
//! disagreement is reported once, at the pointer of the value at fault: a `oneOf` none of
//! whose branches fits reports the branch of the value's JSON type (or, when no branch has
//! that type, one line at the value itself), never the noise of every branch. Pattern and
//! format checks come from the `jsonschema` crate, keyword by keyword, and are skipped on
//! values the capture redacted (`"<redacted>"`). The provenance printed is the nearest
//! `x-provenance` on the way from the operation to the value (operation, response,
//! schema, property), with where it is declared: the place to correct the spec.
//!
//! Properties the spec does not declare are not disagreements (objects are open); they are
//! listed as notes, since a real server's extra field is often the next thing to document.

use std::{
    collections::HashMap,
    fmt,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::spec::{child, resolve};

/// What the capture puts in place of a redacted string.
pub const REDACTED: &str = "<redacted>";

/// The longest chain of `$ref`s or nesting followed before giving up on a schema.
const MAX_DEPTH: usize = 64;

/// One disagreement between a captured body and the spec (or, as a note, a property the
/// spec does not declare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The operationId of the exchange.
    pub operation: String,
    /// The JSON pointer of the value in the response body (`""` for the body itself).
    pub pointer: String,
    /// What the spec expects there.
    pub expected: String,
    /// What the server sent.
    pub got: String,
    /// The nearest `x-provenance` and where it is declared, e.g.
    /// `inferred: #/components/schemas/Customer`.
    pub provenance: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{} {pointer}: expected {} got {}  [{}]",
            self.operation, self.expected, self.got, self.provenance
        )
    }
}

/// The outcome of checking a capture.
#[derive(Debug, Default)]
pub struct Report {
    /// Exchanges whose response was checked against a schema.
    pub checked: usize,
    /// Exchanges not checked, with why (no response, a 5xx or 429 the spec need not declare).
    pub skipped: Vec<String>,
    /// Every disagreement, in capture order.
    pub findings: Vec<Finding>,
    /// Properties sent that the spec does not declare (not disagreements).
    pub notes: Vec<Finding>,
    /// Lines that are not capture lines, as `file:line: why`.
    pub unreadable: Vec<String>,
}

impl Report {
    /// Whether the capture agrees with the spec everywhere.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.unreadable.is_empty()
    }

    /// The one-line summary printed last.
    pub fn summary(&self) -> String {
        format!(
            "check-capture: {} exchanges checked, {} skipped, {} findings, {} undocumented \
             properties, {} unreadable lines",
            self.checked,
            self.skipped.len(),
            self.findings.len(),
            self.notes.len(),
            self.unreadable.len()
        )
    }
}

/// Checks every `*.jsonl` file in `dir` against the OpenAPI document `spec`.
///
/// # Errors
///
/// When `dir` cannot be read or holds no `*.jsonl` file.
pub fn check(spec: &Value, dir: &Path) -> Result<Report> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} holds no *.jsonl capture file", dir.display());
    }
    let mut checker = Checker::new(spec);
    let mut report = Report::default();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let place = format!("{}:{}", file.display(), n + 1);
            match serde_json::from_str::<Value>(line) {
                Ok(exchange) => checker.exchange(&exchange, &place, &mut report),
                Err(e) => report.unreadable.push(format!("{place}: not JSON: {e}")),
            }
        }
    }
    Ok(report)
}

/// Where the nearest `x-provenance` on the way to a value is declared.
#[derive(Clone, Debug)]
struct Provenance {
    level: String,
    at: String,
}

impl Provenance {
    /// `node`'s own provenance when it declares one, else `self`.
    fn at(&self, node: &Value, location: &str) -> Provenance {
        match node.get("x-provenance").and_then(Value::as_str) {
            Some(level) => Provenance {
                level: level.to_owned(),
                at: location.to_owned(),
            },
            None => self.clone(),
        }
    }

    fn show(&self) -> String {
        format!("{}: {}", self.level, self.at)
    }
}

/// A disagreement found while walking one body, before it is tied to its operation.
struct Issue {
    pointer: String,
    expected: String,
    got: String,
    provenance: Provenance,
}

/// What a walk found: disagreements, and properties the schema does not declare.
#[derive(Default)]
struct Outcome {
    issues: Vec<Issue>,
    notes: Vec<Issue>,
}

struct Checker<'a> {
    doc: &'a Value,
    /// operationId → (the operation, its location).
    operations: HashMap<&'a str, (&'a Value, String)>,
    /// One compiled validator per leaf keyword and value (`pattern`, `format`).
    leaves: HashMap<String, Option<jsonschema::Validator>>,
}

impl<'a> Checker<'a> {
    fn new(doc: &'a Value) -> Self {
        let mut operations = HashMap::new();
        for (path, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for (method, op) in item.as_object().into_iter().flatten() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    let location = format!("#{}", child(&child("/paths", path), method));
                    operations.insert(id, (op, location));
                }
            }
        }
        Self {
            doc,
            operations,
            leaves: HashMap::new(),
        }
    }

    fn exchange(&mut self, exchange: &Value, place: &str, report: &mut Report) {
        let Some(operation) = exchange.get("operation").and_then(Value::as_str) else {
            report
                .unreadable
                .push(format!("{place}: no `operation` (not a capture line)"));
            return;
        };
        let Some(status) = exchange.get("status").and_then(Value::as_u64) else {
            report
                .skipped
                .push(format!("{place}: {operation}: no response"));
            return;
        };
        let found = self.operations.get(operation).cloned().or_else(|| {
            // A capture naming the generated method (`get_payment`) rather than the spec's
            // operationId (`getPayment`).
            self.operations
                .iter()
                .find(|(id, _)| crate::operations::method_name(id) == operation)
                .map(|(_, found)| found.clone())
        });
        let Some((op, op_location)) = found else {
            report.findings.push(Finding {
                operation: operation.to_owned(),
                pointer: String::new(),
                expected: "an operationId of the spec".into(),
                got: format!("`{operation}`"),
                provenance: "-".into(),
            });
            return;
        };
        let provenance = Provenance {
            level: "none".into(),
            at: op_location.clone(),
        }
        .at(op, &op_location);
        let finding = |issue: Issue| Finding {
            operation: operation.to_owned(),
            pointer: issue.pointer,
            expected: issue.expected,
            got: issue.got,
            provenance: issue.provenance.show(),
        };
        let responses = op.get("responses").and_then(Value::as_object);
        let status_text = status.to_string();
        let class = format!("{}XX", status / 100);
        let declared = responses.and_then(|r| {
            [status_text.as_str(), class.as_str(), "default"]
                .into_iter()
                .find_map(|key| r.get(key).map(|response| (key, response)))
        });
        let Some((key, response)) = declared else {
            if status >= 500 || status == 429 {
                report
                    .skipped
                    .push(format!("{place}: {operation}: HTTP {status}, not declared"));
            } else {
                let statuses: Vec<&str> = responses
                    .into_iter()
                    .flat_map(|r| r.keys().map(String::as_str))
                    .collect();
                report.findings.push(finding(Issue {
                    pointer: String::new(),
                    expected: format!("a declared status ({})", statuses.join(", ")),
                    got: format!("HTTP {status}"),
                    provenance,
                }));
            }
            return;
        };
        let response_location = format!("{op_location}/responses/{key}");
        let response = crate::spec::deref(self.doc, response).unwrap_or(response);
        let provenance = provenance.at(response, &response_location);
        let Some((schema, schema_location)) = response_schema(response, &response_location) else {
            // A response declared without a body: nothing to compare.
            report.checked += 1;
            return;
        };
        report.checked += 1;
        let body = match (exchange.get("response_body"), exchange.get("response_text")) {
            (Some(body), _) => body,
            (None, text) => {
                let got = match text.and_then(Value::as_str) {
                    Some(text) => format!("text {}", shown(text)),
                    None => "an empty body".into(),
                };
                report.findings.push(finding(Issue {
                    pointer: String::new(),
                    expected: "a JSON body".into(),
                    got,
                    provenance,
                }));
                return;
            }
        };
        let mut outcome = Outcome::default();
        self.walk(
            schema,
            &schema_location,
            body,
            "",
            &provenance,
            0,
            &mut outcome,
        );
        report
            .findings
            .extend(outcome.issues.into_iter().map(finding));
        report.notes.extend(outcome.notes.into_iter().map(finding));
    }

    /// Checks `value` (at `pointer` in the body) against `schema` (at `location` in the
    /// spec), adding what disagrees to `out`.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        schema: &'a Value,
        location: &str,
        value: &Value,
        pointer: &str,
        provenance: &Provenance,
        depth: usize,
        out: &mut Outcome,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let (schema, location) = match self.follow(schema, location) {
            Some(found) => found,
            None => return,
        };
        let provenance = provenance.at(schema, &location);
        let issue = |expected: String, got: String| Issue {
            pointer: pointer.to_owned(),
            expected,
            got,
            provenance: provenance.clone(),
        };
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(expected) = schema.get("type").and_then(Value::as_str)
            && !has_type(value, expected)
        {
            let mut got = got(value);
            if tolerated(schema, value) {
                got.push_str(" (which the client reads)");
            }
            out.issues.push(issue(describe(self.doc, schema), got));
            return;
        }
        let redacted = value.as_str() == Some(REDACTED);
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !redacted
            && !allowed.contains(value)
        {
            let names: Vec<String> = allowed.iter().map(Value::to_string).collect();
            out.issues
                .push(issue(format!("one of {}", names.join(", ")), got(value)));
            return;
        }
        if let Some(expected) = self.leaf(schema, value, redacted) {
            let mut got = got(value);
            if tolerated(schema, value) {
                got.push_str(" (which the client reads)");
            }
            out.issues.push(issue(expected, got));
            return;
        }
        for (i, member) in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{location}/allOf/{i}");
            self.walk(member, &at, value, pointer, &provenance, depth + 1, out);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(keyword).and_then(Value::as_array) {
                let at = format!("{location}/{keyword}");
                self.branches(branches, &at, value, pointer, &provenance, depth, out);
            }
        }
        match value {
            Value::Object(object) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                for name in schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !object.contains_key(name) {
                        out.issues.push(Issue {
                            pointer: child(pointer, name),
                            expected: format!("required property `{name}`"),
                            got: "nothing".into(),
                            provenance: provenance.clone(),
                        });
                    }
                }
                let additional = schema.get("additionalProperties");
                for (name, item) in object {
                    let item_pointer = child(pointer, name);
                    if let Some(property) = properties.and_then(|p| p.get(name)) {
                        let at = child(&format!("{location}/properties"), name);
                        self.walk(
                            property,
                            &at,
                            item,
                            &item_pointer,
                            &provenance,
                            depth + 1,
                            out,
                        );
                    } else if let Some(extra) = additional.filter(|a| a.is_object()) {
                        let at = format!("{location}/additionalProperties");
                        self.walk(extra, &at, item, &item_pointer, &provenance, depth + 1, out);
                    } else if additional == Some(&Value::Bool(false)) {
                        out.issues.push(Issue {
                            pointer: item_pointer,
                            expected: "no such property".into(),
                            got: got(item),
                            provenance: provenance.clone(),
                        });
                    } else if properties.is_some() {
                        out.notes.push(Issue {
                            pointer: item_pointer,
                            expected: "nothing (the spec does not declare it)".into(),
                            got: got(item),
                            provenance: provenance.clone(),
                        });
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    let at = format!("{location}/items");
                    for (i, item) in items.iter().enumerate() {
                        let item_pointer = child(pointer, &i.to_string());
                        self.walk(
                            item_schema,
                            &at,
                            item,
                            &item_pointer,
                            &provenance,
                            depth + 1,
                            out,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// A `oneOf` or `anyOf`: fine when one branch fits. Otherwise the branch of the value's
    /// own JSON type is the one meant, and its disagreements are reported; when no branch
    /// has that type, one line at the value says which types would do.
    #[allow(clippy::too_many_arguments)]
    fn branches(
        &mut self,
        branches: &'a [Value],
        location: &str,
        value: &Value,
        pointer: &str,
        provenance: &Provenance,
        depth: usize,
        out: &mut Outcome,
    ) {
        let mut outcomes = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let mut outcome = Outcome::default();
            let at = format!("{location}/{i}");
            self.walk(
                branch,
                &at,
                value,
                pointer,
                provenance,
                depth + 1,
                &mut outcome,
            );
            if outcome.issues.is_empty() {
                out.notes.extend(outcome.notes);
                return;
            }
            outcomes.push((i, outcome));
        }
        let typed: Vec<(usize, Outcome)> = outcomes
            .into_iter()
            .filter(|(i, _)| self.accepts_type(&branches[*i], value, 0))
            .collect();
        match typed.into_iter().min_by_key(|(_, o)| o.issues.len()) {
            Some((_, outcome)) => {
                out.issues.extend(outcome.issues);
                out.notes.extend(outcome.notes);
            }
            None => {
                let kinds: Vec<String> = branches.iter().map(|b| describe(self.doc, b)).collect();
                out.issues.push(Issue {
                    pointer: pointer.to_owned(),
                    expected: kinds.join(" or "),
                    got: got(value),
                    provenance: provenance.clone(),
                });
            }
        }
    }

    /// Whether `schema` admits `value`'s JSON type (ignoring everything else).
    fn accepts_type(&self, schema: &Value, value: &Value, depth: usize) -> bool {
        let Some(schema) = crate::spec::deref(self.doc, schema) else {
            return true;
        };
        if depth > MAX_DEPTH {
            return true;
        }
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return true;
        }
        if let Some(expected) = schema.get("type").and_then(Value::as_str) {
            return has_type(value, expected);
        }
        let all = schema.get("allOf").and_then(Value::as_array);
        if !all
            .into_iter()
            .flatten()
            .all(|s| self.accepts_type(s, value, depth + 1))
        {
            return false;
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(keyword).and_then(Value::as_array) {
                return branches
                    .iter()
                    .any(|s| self.accepts_type(s, value, depth + 1));
            }
        }
        true
    }

    /// `schema` with its `$ref`s followed, and its location; `None` when a `$ref` does not
    /// resolve (the lint reports those).
    fn follow(&self, mut schema: &'a Value, location: &str) -> Option<(&'a Value, String)> {
        let mut location = location.to_owned();
        for _ in 0..MAX_DEPTH {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    schema = resolve(self.doc, reference)?;
                    location = reference.to_owned();
                }
                None => return Some((schema, location)),
            }
        }
        None
    }

    /// What `value` fails of `schema`'s leaf keywords (format, pattern, lengths, bounds),
    /// as the expectation to print. Redacted values are not held to patterns or formats.
    fn leaf(&mut self, schema: &Value, value: &Value, redacted: bool) -> Option<String> {
        match value {
            Value::String(_) if !redacted => {
                for keyword in ["format", "pattern", "minLength", "maxLength"] {
                    if let Some(arg) = schema.get(keyword)
                        && !self.leaf_valid(keyword, arg, value)
                    {
                        return Some(match keyword {
                            "format" => format!("string ({})", arg.as_str().unwrap_or("?")),
                            "pattern" => format!("string matching {}", arg.as_str().unwrap_or("?")),
                            _ => format!("string with {keyword} {arg}"),
                        });
                    }
                }
                None
            }
            Value::Number(number) => {
                let format = schema.get("format").and_then(Value::as_str);
                let range = match format {
                    Some("int32") => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
                    Some("int64") => Some((i64::MIN as f64, i64::MAX as f64)),
                    _ => None,
                };
                if let (Some((low, high)), Some(n)) = (range, number.as_f64())
                    && !(low..=high).contains(&n)
                {
                    return Some(format!("integer ({})", format.unwrap_or("?")));
                }
                for keyword in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
                    if schema.get(keyword).is_some() {
                        let bounds: serde_json::Map<String, Value> =
                            ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
                                .into_iter()
                                .filter_map(|k| Some((k.to_owned(), schema.get(k)?.clone())))
                                .collect();
                        let bounds = Value::Object(bounds);
                        if !self.leaf_valid("bounds", &bounds, value) {
                            return Some(format!("number within {bounds}"));
                        }
                        break;
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// Whether `value` passes the one keyword `keyword: arg` (or, for `bounds`, the
    /// keywords in `arg`), compiled once.
    fn leaf_valid(&mut self, keyword: &str, arg: &Value, value: &Value) -> bool {
        let key = format!("{keyword}\u{0}{arg}");
        let validator = self.leaves.entry(key).or_insert_with(|| {
            let schema = if keyword == "bounds" {
                arg.clone()
            } else {
                json!({ keyword: arg })
            };
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .should_validate_formats(true)
                .build(&schema)
                .ok()
        });
        validator.as_ref().is_none_or(|v| v.is_valid(value))
    }
}

/// The JSON schema of a response's JSON body, and its location.
fn response_schema<'v>(response: &'v Value, location: &str) -> Option<(&'v Value, String)> {
    let content = response.get("content")?.as_object()?;
    let (media_type, media) = content
        .get_key_value("application/json")
        .or_else(|| content.iter().next())?;
    let schema = media.get("schema")?;
    Some((
        schema,
        format!(
            "{}/schema",
            child(&format!("{location}/content"), media_type)
        ),
    ))
}

fn has_type(value: &Value, expected: &str) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        _ => true,
    }
}

/// Whether the client's tolerant types (`cryptopocket_api::{Int, Id, Timestamp}`) read
/// `value` although the spec says otherwise: an integer as a string of digits, an id as a
/// number, a timestamp in Laravel's format. Still a disagreement with the spec, worth
/// knowing; but not a failed call.
fn tolerated(schema: &Value, value: &Value) -> bool {
    let kind = schema.get("type").and_then(Value::as_str);
    let format = schema.get("format").and_then(Value::as_str);
    match (kind, format, value) {
        (Some("integer"), Some("int32" | "int64"), Value::String(text)) => {
            let digits = text.trim().strip_prefix('-').unwrap_or(text.trim());
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        (Some("string"), Some("id"), Value::Number(n)) => n.is_i64() || n.is_u64(),
        // Laravel's default `YYYY-MM-DD HH:MM:SS`.
        (Some("string"), Some("date-time"), Value::String(text)) => {
            let shape = text
                .bytes()
                .map(|b| if b.is_ascii_digit() { b'9' } else { b })
                .collect::<Vec<u8>>();
            shape == b"9999-99-99 99:99:99"
        }
        _ => false,
    }
}

/// A schema's expectation in a few words: its type and format, or its alternatives.
fn describe(doc: &Value, schema: &Value) -> String {
    let Some(schema) = crate::spec::deref(doc, schema) else {
        return "a schema that does not resolve".into();
    };
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let mut text = kind.to_owned();
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            text.push_str(&format!(" ({format})"));
        }
        if schema.get("nullable") == Some(&Value::Bool(true)) {
            text.push_str(" or null");
        }
        return text;
    }
    for keyword in ["oneOf", "anyOf", "allOf"] {
        if let Some(members) = schema.get(keyword).and_then(Value::as_array) {
            let kinds: Vec<String> = members.iter().map(|m| describe(doc, m)).collect();
            let joiner = if keyword == "allOf" { " and " } else { " or " };
            return kinds.join(joiner);
        }
    }
    "anything".into()
}

/// A value as printed in a finding: its JSON type, with a short view of a scalar.
fn got(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {}", shown(s)),
        Value::Array(items) => format!("array of {}", items.len()),
        Value::Object(_) => "object".into(),
    }
}

/// A string quoted and cut to 40 characters.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    let mark = if cut.len() < text.len() { "…" } else { "" };
    format!("{}{mark}", Value::String(cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "paths": {"/thing/{id}": {"get": {
                "operationId": "getThing",
                "x-provenance": "partial",
                "responses": {
                    "200": {"content": {"application/json": {"schema":
                        {"$ref": "#/components/schemas/ThingResponse"}}}},
                    "404": {"x-provenance": "inferred", "content": {"application/json":
                        {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
            }}},
            "components": {"schemas": {
                "ThingResponse": {
                    "type": "object", "required": ["status"],
                    "properties": {
                        "status": {"type": "string"},
                        "data": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Thing"}]}
                    }
                },
                "Thing": {
                    "type": "object", "x-provenance": "inferred", "required": ["id"],
                    "properties": {
                        "id": {"type": "integer", "format": "int64"},
                        "amount": {"allOf": [{"$ref": "#/components/schemas/Amount"}]},
                        "email": {"type": "string", "format": "email"},
                        "created_at": {"type": "string", "format": "date-time",
                                       "x-provenance": "documented"},
                        "tags": {"type": "array", "items": {"type": "string"}}
                    }
                },
                "Amount": {
                    "x-provenance": "partial",
                    "oneOf": [{"type": "number"},
                              {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}]
                },
                "Error": {"type": "object", "required": ["message"],
                          "properties": {"message": {"type": "string"}}}
            }}
        })
    }

    fn findings(status: u64, body: Value) -> Report {
        let doc = doc();
        let mut checker = Checker::new(&doc);
        let mut report = Report::default();
        let line = json!({"operation": "getThing", "status": status, "response_body": body});
        checker.exchange(&line, "test:1", &mut report);
        report
    }

    fn lines(report: &Report) -> Vec<String> {
        report.findings.iter().map(ToString::to_string).collect()
    }

    fn good() -> Value {
        json!({"status": "ok", "data": {
            "id": 7, "amount": "150.50", "email": "a@example.com",
            "created_at": "2026-06-26T10:30:00Z", "tags": ["x"]
        }})
    }

    #[test]
    fn a_body_that_fits_has_no_findings_and_null_data_fits_a_nullable_schema() {
        assert!(findings(200, good()).is_clean());
        assert!(findings(200, json!({"status": "error", "data": null})).is_clean());
        assert!(findings(404, json!({"message": "not found"})).is_clean());
    }

    #[test]
    fn an_amount_turned_object_is_one_line_at_its_pointer() {
        let mut body = good();
        body["data"]["amount"] = json!({"value": 1});
        assert_eq!(
            lines(&findings(200, body)),
            [
                "getThing /data/amount: expected number or string got object  \
              [partial: #/components/schemas/Amount]"
            ]
        );
    }

    #[test]
    fn a_branch_of_the_values_type_is_the_one_reported() {
        let mut body = good();
        body["data"]["amount"] = json!("12,5");
        let report = findings(200, body);
        assert_eq!(report.findings.len(), 1, "{:?}", lines(&report));
        assert_eq!(report.findings[0].pointer, "/data/amount");
        assert!(report.findings[0].expected.starts_with("string matching"));
    }

    #[test]
    fn a_missing_required_id_is_named_with_its_schemas_provenance() {
        let mut body = good();
        body["data"].as_object_mut().unwrap().remove("id");
        assert_eq!(
            lines(&findings(200, body)),
            [
                "getThing /data/id: expected required property `id` got nothing  \
              [inferred: #/components/schemas/Thing]"
            ]
        );
    }

    #[test]
    fn a_propertys_own_provenance_wins_and_formats_are_checked() {
        let mut body = good();
        body["data"]["created_at"] = json!("yesterday");
        assert_eq!(
            lines(&findings(200, body)),
            [
                "getThing /data/created_at: expected string (date-time) got string \"yesterday\"  \
              [documented: #/components/schemas/Thing/properties/created_at]"
            ]
        );
    }

    #[test]
    fn redacted_values_skip_formats_but_not_types() {
        let mut body = good();
        body["data"]["email"] = json!(REDACTED);
        assert!(findings(200, body.clone()).is_clean());
        body["data"]["id"] = json!(REDACTED);
        let report = findings(200, body);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].expected, "integer (int64)");
    }

    #[test]
    fn a_representation_the_client_tolerates_is_still_reported_and_said_so() {
        let mut body = good();
        body["data"]["id"] = json!("7");
        body["data"]["created_at"] = json!("2026-06-26 10:30:00");
        let report = findings(200, body);
        assert_eq!(
            lines(&report),
            [
                "getThing /data/created_at: expected string (date-time) got string \"2026-06-26 \
                 10:30:00\" (which the client reads)  [documented: \
                 #/components/schemas/Thing/properties/created_at]",
                "getThing /data/id: expected integer (int64) got string \"7\" (which the client \
                 reads)  [inferred: #/components/schemas/Thing]"
            ]
        );
    }

    #[test]
    fn statuses_and_bodies_the_spec_does_not_declare() {
        let report = findings(401, json!({}));
        assert_eq!(
            lines(&report),
            [
                "getThing /: expected a declared status (200, 404) got HTTP 401  \
              [partial: #/paths/~1thing~1{id}/get]"
            ]
        );
        let report = findings(503, json!({}));
        assert!(report.is_clean() && report.skipped.len() == 1);
        let report = findings(404, json!({"message": 5}));
        assert_eq!(
            report.findings[0].provenance,
            "inferred: #/paths/~1thing~1{id}/get/responses/404"
        );
    }

    #[test]
    fn undeclared_properties_are_notes_not_findings() {
        let mut body = good();
        body["data"]["fee"] = json!(1.5);
        let report = findings(200, body);
        assert!(report.is_clean());
        assert_eq!(report.notes.len(), 1);
        assert_eq!(report.notes[0].pointer, "/data/fee");
    }

    #[test]
    fn the_directory_is_read_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let good_line = json!({"operation": "getThing", "status": 200, "response_body": good()});
        let text = format!(
            "{good_line}\nnot json\n{}\n",
            json!({"operation": "nope", "status": 200})
        );
        std::fs::write(dir.path().join("capture-1-1.jsonl"), text).unwrap();
        std::fs::write(dir.path().join("ignored.txt"), "x").unwrap();
        let report = check(&doc(), dir.path()).unwrap();
        assert_eq!(report.checked, 1);
        assert_eq!(report.unreadable.len(), 1, "{:?}", report.unreadable);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].got, "`nope`");
        let empty = tempfile::tempdir().unwrap();
        assert!(check(&doc(), empty.path()).is_err());
    }
}
