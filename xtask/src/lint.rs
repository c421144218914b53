//! The rules the spec must follow before it reaches progenitor.
//!
//! Some rules catch what progenitor would otherwise answer with a panic (duplicate
//! operationIds, several media types or several error schemas, multipart bodies, dangling
//! `$ref`s, path templates that disagree with the parameters); the others are this project's
//! conventions (provenance on everything, the HTTP-200 envelope, tolerant decoding, valid
//! examples). Every finding names the rule and the JSON pointer of the offending node.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use serde_json::Value;

use crate::{
    examples::ExampleValidator,
    spec::{child, deref, resolve},
};

/// A rule of the lint; its name is what a finding prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `openapi` is a 3.0.x version (progenitor reads nothing else).
    OpenapiVersion,
    /// Every `$ref` is local and resolves.
    RefResolves,
    /// Paths are relative to the server URL, which already ends in `/api`.
    NoApiPrefix,
    /// Every operation has an operationId.
    OperationIdPresent,
    /// No two operations share an operationId.
    OperationIdUnique,
    /// Every operation has exactly one tag, declared in the top-level `tags`.
    OneTag,
    /// Every operation has a summary and a description.
    OperationDocs,
    /// Operations, schemas and webhooks carry `x-provenance` and `x-docs-url`; each entry of
    /// an operation's `x-error-codes` is `{code, x-provenance}` (and `x-docs-url` when the code
    /// is documented); a response that declares its own `x-provenance` gives a valid one.
    Provenance,
    /// Component schemas have a description.
    SchemaDocs,
    /// The `{names}` in a path template and its path parameters agree.
    PathParams,
    /// Parameters are in the path, the query or a header.
    ParamLocation,
    /// A request body or response has exactly one media type.
    OneMediaType,
    /// No multipart bodies.
    NoMultipart,
    /// A form-urlencoded body is an object schema.
    FormBodyObject,
    /// At most one schema across the 2xx responses of an operation.
    OneSuccessSchema,
    /// At most one schema across the error responses of an operation.
    OneErrorSchema,
    /// Every HTTP 200 body is the API's envelope.
    Envelope,
    /// No `additionalProperties: false`: the vendor adds fields and decoding must survive it.
    TolerantDecoding,
    /// Every attached example validates against its schema.
    ExampleValid,
    /// No `type: number` outside the `Amount` schema: every amount refers to it, so that
    /// generation makes it an exact decimal, never a float.
    ExactAmounts,
    /// Integers, timestamps and identifiers in component schemas have exactly the shape
    /// `cargo xtask gen` maps to the tolerant `Int`, `Timestamp` and `Id` types (anything
    /// beside `type`, `format`, `description`, `nullable` and `example` keeps typify's
    /// conversion from matching, and the field would refuse `"3600"` or `12345`).
    TolerantShapes,
    /// Every operation says what it does to server state (`x-effect: read | create |
    /// idempotent`), and a GET only reads: the client's retry rule depends on it.
    Effect,
}

impl Rule {
    /// The rule's name as printed in findings.
    pub fn name(self) -> &'static str {
        match self {
            Rule::OpenapiVersion => "openapi-version",
            Rule::RefResolves => "ref-resolves",
            Rule::NoApiPrefix => "no-api-prefix",
            Rule::OperationIdPresent => "operation-id-present",
            Rule::OperationIdUnique => "operation-id-unique",
            Rule::OneTag => "one-tag",
            Rule::OperationDocs => "operation-docs",
            Rule::Provenance => "provenance",
            Rule::SchemaDocs => "schema-docs",
            Rule::PathParams => "path-params",
            Rule::ParamLocation => "param-location",
            Rule::OneMediaType => "one-media-type",
            Rule::NoMultipart => "no-multipart",
            Rule::FormBodyObject => "form-body-object",
            Rule::OneSuccessSchema => "one-success-schema",
            Rule::OneErrorSchema => "one-error-schema",
            Rule::Envelope => "envelope",
            Rule::TolerantDecoding => "tolerant-decoding",
            Rule::ExampleValid => "example-valid",
            Rule::ExactAmounts => "exact-amounts",
            Rule::TolerantShapes => "tolerant-shapes",
            Rule::Effect => "effect",
        }
    }
}

/// One violation of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that was broken.
    pub rule: Rule,
    /// JSON pointer of the offending node ("" is the document root).
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "error[{}] {pointer}: {}", self.rule.name(), self.message)
    }
}

/// What a clean lint saw, for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Operations under `paths`.
    pub operations: usize,
    /// Schemas under `components.schemas`.
    pub schemas: usize,
    /// Examples validated.
    pub examples: usize,
}

/// Checks the whole document; an empty list of findings means it may be generated.
pub fn lint(doc: &Value) -> (Vec<Finding>, Counts) {
    let mut linter = Linter {
        doc,
        examples: ExampleValidator::new(doc),
        findings: Vec::new(),
        counts: Counts::default(),
        operation_ids: BTreeMap::new(),
        check_examples: true,
    };
    linter.version();
    linter.walk(doc, "");
    // Examples cannot be judged against schemas with holes; the dangling refs are reported.
    linter.check_examples = !linter.findings.iter().any(|f| f.rule == Rule::RefResolves);
    linter.paths();
    linter.components();
    linter.webhooks();
    (linter.findings, linter.counts)
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const PROVENANCE: [&str; 3] = ["documented", "partial", "inferred"];
const FORM: &str = "application/x-www-form-urlencoded";
/// The one schema allowed to say `type: number`; `cargo xtask gen` replaces it with
/// `cryptopocket_api::Amount`.
const AMOUNT_POINTER: &str = "/components/schemas/Amount";

/// Where the component schemas live; the tolerant-shapes rule judges only them (query
/// parameters are written by the client, never decoded).
const SCHEMAS_POINTER: &str = "/components/schemas/";
/// The keys a schema mapped to a tolerant type may hold (typify compares the rest).
const TOLERANT_KEYS: [&str; 5] = ["type", "format", "description", "nullable", "example"];

struct Linter<'a> {
    doc: &'a Value,
    examples: ExampleValidator,
    findings: Vec<Finding>,
    counts: Counts,
    operation_ids: BTreeMap<&'a str, String>,
    check_examples: bool,
}

impl<'a> Linter<'a> {
    fn report(&mut self, rule: Rule, pointer: &str, message: impl Into<String>) {
        let finding = Finding {
            rule,
            pointer: pointer.to_owned(),
            message: message.into(),
        };
        // A shared schema is reached from every operation that uses it; report it once.
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    fn version(&mut self) {
        let version = self.doc.get("openapi").and_then(Value::as_str);
        if !version.is_some_and(|v| v.starts_with("3.0.")) {
            self.report(
                Rule::OpenapiVersion,
                "/openapi",
                format!("expected 3.0.x, found {version:?}; progenitor reads OpenAPI 3.0 only"),
            );
        }
    }

    /// Rules that hold for every node, wherever it sits.
    fn walk(&mut self, node: &'a Value, pointer: &str) {
        match node {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    self.reference(reference, &child(pointer, "$ref"));
                }
                if map.get("type").and_then(Value::as_str) == Some("number")
                    && !pointer.starts_with(AMOUNT_POINTER)
                {
                    self.report(
                        Rule::ExactAmounts,
                        &child(pointer, "type"),
                        format!(
                            "`type: number` would generate an f64; refer to `#{AMOUNT_POINTER}` \
                             (`allOf: [$ref]` keeps a description beside it)"
                        ),
                    );
                }
                if pointer.starts_with(SCHEMAS_POINTER) {
                    self.tolerant_shape(map, pointer);
                }
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    self.report(
                        Rule::TolerantDecoding,
                        &child(pointer, "additionalProperties"),
                        "`additionalProperties: false` would make decoding fail when the API adds a field",
                    );
                }
                for (key, value) in map {
                    self.walk(value, &child(pointer, key));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &child(pointer, &i.to_string()));
                }
            }
            _ => {}
        }
    }

    /// The tolerant-shapes rule on one schema node.
    fn tolerant_shape(&mut self, map: &serde_json::Map<String, Value>, pointer: &str) {
        let kind = map.get("type").and_then(Value::as_str);
        let format = map.get("format").and_then(Value::as_str);
        let mapped = match (kind, format) {
            (Some("integer"), Some("int32" | "int64")) => Some("Int"),
            (Some("integer"), _) => {
                self.report(
                    Rule::TolerantShapes,
                    &child(pointer, "type"),
                    "an integer needs `format: int64` (or `int32`) to generate the tolerant \
                     `Int`, which also reads \"3600\"",
                );
                None
            }
            (Some("string"), Some("date-time")) => Some("Timestamp"),
            (Some("string"), Some("id")) => Some("Id"),
            _ => None,
        };
        if let Some(rust_type) = mapped
            && let Some(extra) = map
                .keys()
                .find(|key| !TOLERANT_KEYS.contains(&key.as_str()))
        {
            self.report(
                Rule::TolerantShapes,
                &child(pointer, extra),
                format!(
                    "`{extra}` beside `type` and `format` keeps generation from mapping this \
                     schema to the tolerant `{rust_type}`; say it in the description"
                ),
            );
        }
        // An identifier property holding a plain string would refuse the number a PHP
        // back end may send for it.
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let identifier = name == "id" || name == "txid" || name.ends_with("_id");
                let plain_string = property.get("type").and_then(Value::as_str) == Some("string")
                    && property.get("format").is_none();
                if identifier && plain_string {
                    self.report(
                        Rule::TolerantShapes,
                        &child(&child(pointer, "properties"), name),
                        "an identifier needs `format: id` to generate the tolerant `Id`, which \
                         also reads a number",
                    );
                }
            }
        }
    }

    fn reference(&mut self, reference: &Value, pointer: &str) {
        match reference.as_str() {
            Some(r) if r.starts_with("#/") => {
                if resolve(self.doc, r).is_none() {
                    self.report(
                        Rule::RefResolves,
                        pointer,
                        format!("`{r}` does not resolve"),
                    );
                }
            }
            other => self.report(
                Rule::RefResolves,
                pointer,
                format!("only local references (`#/...`) are allowed, found {other:?}"),
            ),
        }
    }

    fn provenance(&mut self, node: &Value, pointer: &str) {
        match node.get("x-provenance").and_then(Value::as_str) {
            Some(p) if PROVENANCE.contains(&p) => {}
            other => self.report(
                Rule::Provenance,
                &child(pointer, "x-provenance"),
                format!("must be one of documented, partial, inferred; found {other:?}"),
            ),
        }
        let url = node.get("x-docs-url").and_then(Value::as_str);
        if !url.is_some_and(|u| u.starts_with("https://")) {
            self.report(
                Rule::Provenance,
                &child(pointer, "x-docs-url"),
                format!("must be the https URL of the public docs page; found {url:?}"),
            );
        }
    }

    /// `x-error-codes`: a list of `{code, x-provenance, x-docs-url}` entries, so that a
    /// documented code can be told from one we expect by analogy. A `documented` code names the
    /// page that lists it; any other may name the page it was inferred from.
    fn error_codes(&mut self, op: &Value, pointer: &str) {
        let Some(codes) = op.get("x-error-codes") else {
            return;
        };
        let pointer = child(pointer, "x-error-codes");
        let Some(entries) = codes.as_array() else {
            self.report(
                Rule::Provenance,
                &pointer,
                "must be a list of `{code, x-provenance}` entries",
            );
            return;
        };
        let mut seen = BTreeSet::new();
        for (i, entry) in entries.iter().enumerate() {
            let at = child(&pointer, &i.to_string());
            if !entry.is_object() {
                self.report(
                    Rule::Provenance,
                    &at,
                    format!(
                        "found {entry}; write `{{code: ..., x-provenance: documented | partial | inferred}}` \
                         so that the code carries its own provenance"
                    ),
                );
                continue;
            }
            match entry.get("code").and_then(Value::as_str) {
                Some(code) if !code.trim().is_empty() => {
                    if !seen.insert(code) {
                        self.report(
                            Rule::Provenance,
                            &child(&at, "code"),
                            format!(
                                "`{code}` is listed twice; give it one entry and one provenance"
                            ),
                        );
                    }
                }
                other => self.report(
                    Rule::Provenance,
                    &child(&at, "code"),
                    format!("each entry names its error code; found {other:?}"),
                ),
            }
            let provenance = entry.get("x-provenance").and_then(Value::as_str);
            if !provenance.is_some_and(|p| PROVENANCE.contains(&p)) {
                self.report(
                    Rule::Provenance,
                    &child(&at, "x-provenance"),
                    format!("must be one of documented, partial, inferred; found {provenance:?}"),
                );
            }
            let url = entry.get("x-docs-url");
            let url_ok = match url {
                None => provenance != Some("documented"),
                Some(url) => url.as_str().is_some_and(|u| u.starts_with("https://")),
            };
            if !url_ok {
                self.report(
                    Rule::Provenance,
                    &child(&at, "x-docs-url"),
                    format!(
                        "a documented code names the https URL of the page that lists it; found {:?}",
                        url.and_then(Value::as_str)
                    ),
                );
            }
        }
    }

    fn paths(&mut self) {
        let declared_tags: BTreeSet<&str> = self
            .doc
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .collect();
        let Some(paths) = self.doc.get("paths").and_then(Value::as_object) else {
            self.report(
                Rule::OperationIdPresent,
                "/paths",
                "the document has no paths",
            );
            return;
        };
        for (path, item) in paths {
            let item_pointer = child("/paths", path);
            if path == "/api" || path.starts_with("/api/") {
                self.report(
                    Rule::NoApiPrefix,
                    &item_pointer,
                    "the server URL already ends in /api; write the path without it",
                );
            }
            let Some(item) = deref(self.doc, item) else {
                continue;
            };
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    self.counts.operations += 1;
                    let pointer = child(&item_pointer, method);
                    self.operation(path, item, operation, &pointer, &declared_tags);
                }
            }
        }
    }

    fn operation(
        &mut self,
        path: &str,
        item: &'a Value,
        op: &'a Value,
        pointer: &str,
        tags: &BTreeSet<&str>,
    ) {
        match op.get("operationId").and_then(Value::as_str) {
            None => self.report(
                Rule::OperationIdPresent,
                pointer,
                "every operation needs an operationId (it names the generated method)",
            ),
            Some(id) => {
                let id_pointer = child(pointer, "operationId");
                if let Some(first) = self.operation_ids.get(id) {
                    let message = format!("`{id}` is already used at {first}");
                    self.report(Rule::OperationIdUnique, &id_pointer, message);
                } else {
                    self.operation_ids.insert(id, id_pointer);
                }
            }
        }
        let method = pointer.rsplit('/').next().unwrap_or_default();
        match op.get("x-effect").and_then(Value::as_str) {
            Some("read") => {}
            Some("create" | "idempotent") if method != "get" => {}
            Some(effect @ ("create" | "idempotent")) => self.report(
                Rule::Effect,
                &child(pointer, "x-effect"),
                format!("a GET only reads, but says `x-effect: {effect}`"),
            ),
            other => self.report(
                Rule::Effect,
                &child(pointer, "x-effect"),
                format!(
                    "expected `x-effect: read | create | idempotent`, found {other:?}: the \
                     client retries only what this allows"
                ),
            ),
        }
        let op_tags: Vec<&str> = strings(op, "tags").collect();
        match op_tags.as_slice() {
            [tag] if tags.contains(tag) => {}
            [tag] => self.report(
                Rule::OneTag,
                &child(pointer, "tags"),
                format!("tag `{tag}` is not declared in the top-level tags"),
            ),
            _ => self.report(
                Rule::OneTag,
                &child(pointer, "tags"),
                format!("expected exactly one tag, found {}", op_tags.len()),
            ),
        }
        for field in ["summary", "description"] {
            if !has_text(op, field) {
                self.report(
                    Rule::OperationDocs,
                    &child(pointer, field),
                    format!("missing {field}"),
                );
            }
        }
        self.provenance(op, pointer);
        self.error_codes(op, pointer);
        self.parameters(path, item, op, pointer);
        if let Some(body) = op.get("requestBody") {
            self.request_body(body, &child(pointer, "requestBody"));
        }
        self.responses(op, &child(pointer, "responses"));
    }

    fn parameters(&mut self, path: &str, item: &'a Value, op: &'a Value, pointer: &str) {
        let mut in_path = BTreeSet::new();
        let lists = [
            (item.get("parameters"), "/parameters".to_owned()),
            (op.get("parameters"), child(pointer, "parameters")),
        ];
        for (list, list_pointer) in lists {
            for (i, param) in list
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let param_pointer = child(&list_pointer, &i.to_string());
                let Some(param) = deref(self.doc, param) else {
                    continue;
                };
                let name = param.get("name").and_then(Value::as_str).unwrap_or("");
                match param.get("in").and_then(Value::as_str) {
                    Some("path") => {
                        in_path.insert(name);
                        if param.get("required") != Some(&Value::Bool(true)) {
                            self.report(
                                Rule::PathParams,
                                &param_pointer,
                                format!("path parameter `{name}` must be `required: true`"),
                            );
                        }
                    }
                    Some("query" | "header") => {}
                    other => self.report(
                        Rule::ParamLocation,
                        &child(&param_pointer, "in"),
                        format!("parameter `{name}` is in {other:?}; use path, query or header"),
                    ),
                }
            }
        }
        let in_template: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        for name in in_template.difference(&in_path) {
            self.report(
                Rule::PathParams,
                pointer,
                format!("`{{{name}}}` is in the path but no path parameter declares it"),
            );
        }
        for name in in_path.difference(&in_template) {
            self.report(
                Rule::PathParams,
                pointer,
                format!("path parameter `{name}` does not appear in the path `{path}`"),
            );
        }
    }

    fn request_body(&mut self, body: &'a Value, pointer: &str) {
        let Some(body) = deref(self.doc, body) else {
            return;
        };
        let Some((media_type, media)) = self.single_media_type(body, pointer) else {
            return;
        };
        let media_pointer = child(&child(pointer, "content"), media_type);
        if media_type.starts_with("multipart/") {
            self.report(
                Rule::NoMultipart,
                &media_pointer,
                "progenitor cannot generate multipart bodies; the API takes JSON or form bodies",
            );
        }
        if media_type == FORM {
            let schema = media.get("schema").and_then(|s| deref(self.doc, s));
            let is_object = schema.is_some_and(|s| {
                s.get("type").and_then(Value::as_str) == Some("object")
                    && s.get("properties").is_some_and(Value::is_object)
            });
            if !is_object {
                self.report(
                    Rule::FormBodyObject,
                    &child(&media_pointer, "schema"),
                    "a form-urlencoded body must be an object schema with properties",
                );
            }
        }
        self.media_examples(media, &media_pointer);
    }

    /// The only media type of a body or response, reporting when there are several.
    fn single_media_type(
        &mut self,
        node: &'a Value,
        pointer: &str,
    ) -> Option<(&'a String, &'a Value)> {
        let content = node.get("content")?.as_object()?;
        if content.len() != 1 {
            let types: Vec<&str> = content.keys().map(String::as_str).collect();
            self.report(
                Rule::OneMediaType,
                &child(pointer, "content"),
                format!(
                    "expected exactly one media type, found {}: {}",
                    types.len(),
                    types.join(", ")
                ),
            );
        }
        content.iter().next()
    }

    fn responses(&mut self, op: &'a Value, pointer: &str) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            self.report(
                Rule::Envelope,
                pointer,
                "the operation declares no responses",
            );
            return;
        };
        let mut success = BTreeMap::new();
        let mut errors = BTreeMap::new();
        for (status, response) in responses {
            let response_pointer = child(pointer, status);
            let Some(response) = deref(self.doc, response) else {
                continue;
            };
            if let Some(provenance) = response.get("x-provenance") {
                let provenance = provenance.as_str();
                if !provenance.is_some_and(|p| PROVENANCE.contains(&p)) {
                    self.report(
                        Rule::Provenance,
                        &child(&response_pointer, "x-provenance"),
                        format!(
                            "must be one of documented, partial, inferred; found {provenance:?}"
                        ),
                    );
                }
            }
            let Some((media_type, media)) = self.single_media_type(response, &response_pointer)
            else {
                continue;
            };
            let media_pointer = child(&child(&response_pointer, "content"), media_type);
            if let Some(schema) = media.get("schema") {
                let key = schema_identity(schema);
                let bucket = if status.starts_with('2') {
                    &mut success
                } else {
                    &mut errors
                };
                bucket
                    .entry(key)
                    .or_insert_with(|| response_pointer.clone());
                if status == "200" {
                    self.envelope(schema, &child(&media_pointer, "schema"));
                }
            }
            self.media_examples(media, &media_pointer);
        }
        for (rule, bucket, kind) in [
            (Rule::OneSuccessSchema, success, "success"),
            (Rule::OneErrorSchema, errors, "error"),
        ] {
            if bucket.len() > 1 {
                let at: Vec<String> = bucket.into_values().collect();
                let message = format!(
                    "progenitor allows one {kind} schema per operation; these differ: {}",
                    at.join(", ")
                );
                self.report(rule, pointer, message);
            }
        }
    }

    /// The HTTP-200 body: `status` (an open string, required), and `message`, `error` and a
    /// nullable `data`, all optional, so that error envelopes decode into the same type.
    fn envelope(&mut self, schema: &'a Value, pointer: &str) {
        let Some(schema) = deref(self.doc, schema) else {
            return;
        };
        let at = schema_location(schema, pointer, self.doc);
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            self.report(
                Rule::Envelope,
                &at,
                "an HTTP 200 body must be an object envelope",
            );
            return;
        }
        let required: BTreeSet<&str> = strings(schema, "required").collect();
        let properties = schema.get("properties");
        let status = properties.and_then(|p| p.get("status"));
        let status_ok = status.is_some_and(|s| {
            s.get("type").and_then(Value::as_str) == Some("string") && s.get("enum").is_none()
        });
        if !status_ok || !required.contains("status") {
            self.report(
                Rule::Envelope,
                &child(&at, "properties"),
                "`status` must be a required open string (the API sends ok, success, sucess and error)",
            );
        }
        for optional in ["data", "message", "error"] {
            if required.contains(optional) {
                self.report(
                    Rule::Envelope,
                    &child(&at, "required"),
                    format!("`{optional}` must be optional: error envelopes lack it"),
                );
            }
        }
        if let Some(data) = properties.and_then(|p| p.get("data"))
            && data.get("nullable") != Some(&Value::Bool(true))
        {
            self.report(
                Rule::Envelope,
                &child(&child(&at, "properties"), "data"),
                "`data` must be `nullable: true`",
            );
        }
    }

    fn media_examples(&mut self, media: &'a Value, pointer: &str) {
        let Some(schema) = media.get("schema") else {
            return;
        };
        if let Some(example) = media.get("example") {
            self.example(schema, example, &child(pointer, "example"));
        }
        let named = media.get("examples").and_then(Value::as_object);
        for (name, example) in named.into_iter().flatten() {
            let example_pointer = child(&child(pointer, "examples"), name);
            let Some(value) = deref(self.doc, example).and_then(|e| e.get("value")) else {
                self.report(
                    Rule::ExampleValid,
                    &example_pointer,
                    "an example needs a `value`",
                );
                continue;
            };
            self.example(schema, value, &child(&example_pointer, "value"));
        }
    }

    fn example(&mut self, schema: &Value, value: &Value, pointer: &str) {
        if !self.check_examples {
            return;
        }
        self.counts.examples += 1;
        for error in self.examples.validate(schema, value) {
            self.report(Rule::ExampleValid, pointer, error);
        }
    }

    fn components(&mut self) {
        let schemas = self
            .doc
            .pointer("/components/schemas")
            .and_then(Value::as_object);
        for (name, schema) in schemas.into_iter().flatten() {
            self.counts.schemas += 1;
            let pointer = child("/components/schemas", name);
            self.provenance(schema, &pointer);
            if !has_text(schema, "description") {
                self.report(
                    Rule::SchemaDocs,
                    &child(&pointer, "description"),
                    "missing description",
                );
            }
            if let Some(example) = schema.get("example") {
                let reference = serde_json::json!({ "$ref": format!("#{pointer}") });
                self.example(&reference, example, &child(&pointer, "example"));
            }
        }
    }

    /// `x-webhooks`: deliveries CryptoPocket sends to subscribers, described like path items.
    fn webhooks(&mut self) {
        let hooks = self.doc.get("x-webhooks").and_then(Value::as_object);
        for (name, item) in hooks.into_iter().flatten() {
            let pointer = child(&child("/x-webhooks", name), "post");
            match item.get("post") {
                Some(post) => {
                    self.provenance(post, &pointer);
                    if let Some(body) = post.get("requestBody") {
                        self.request_body(body, &child(&pointer, "requestBody"));
                    }
                }
                None => self.report(
                    Rule::Provenance,
                    &pointer,
                    "a webhook entry describes its delivery under `post`",
                ),
            }
        }
    }
}

/// The strings in the array `node.field`; nothing when it is absent or not an array.
fn strings<'v>(node: &'v Value, field: &str) -> impl Iterator<Item = &'v str> {
    node.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Whether `node.field` is a string with something other than white space in it.
fn has_text(node: &Value, field: &str) -> bool {
    node.get(field)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

/// Two responses share a schema when they `$ref` the same component or are written alike.
fn schema_identity(schema: &Value) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference.to_owned(),
        None => schema.to_string(),
    }
}

/// Where to point at a schema: its component when the response `$ref`s one.
fn schema_location(schema: &Value, pointer: &str, doc: &Value) -> String {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .and_then(|schemas| {
            schemas
                .iter()
                .find(|(_, s)| std::ptr::eq(*s, schema))
                .map(|(name, _)| child("/components/schemas", name))
        })
        .unwrap_or_else(|| pointer.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The smallest document that passes every rule.
    fn valid() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "tags": [{"name": "OnRamp"}, {"name": "Webhooks"}],
            "paths": {
                "/payment/{payment_id}": {"get": {
                    "operationId": "getPayment", "x-effect": "read",
                    "tags": ["OnRamp"],
                    "summary": "Retrieve payment",
                    "description": "Returns a payment.",
                    "x-provenance": "documented",
                    "x-docs-url": "https://api-doc.cryptopocket.io/retrieve-payment-4200041e0",
                    "x-error-codes": [
                        {"code": "authorization_incorrect", "x-provenance": "inferred"},
                        {"code": "payment_not_found", "x-provenance": "documented",
                         "x-docs-url": "https://api-doc.cryptopocket.io/retrieve-payment-4200041e0"}
                    ],
                    "parameters": [{"in": "path", "name": "payment_id", "required": true,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/GetPaymentResponse"},
                        "examples": {"ok": {"value": {"status": "ok", "data": {"id": "a"}}}}
                    }}}}
                }},
                "/subscribeToWebhook": {"post": {
                    "operationId": "subscribeToWebhook", "x-effect": "idempotent",
                    "tags": ["Webhooks"],
                    "summary": "Webhook Event Subscribe",
                    "description": "Subscribes.",
                    "x-provenance": "documented",
                    "x-docs-url": "https://api-doc.cryptopocket.io/webhook-event-subscribe-4200047e0",
                    "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                        "$ref": "#/components/schemas/Subscription"}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/GetPaymentResponse"}}}}}
                }}
            },
            "components": {"schemas": {
                "GetPaymentResponse": {
                    "type": "object", "description": "Envelope.",
                    "x-provenance": "documented", "x-docs-url": "https://api-doc.cryptopocket.io",
                    "required": ["status"],
                    "properties": {
                        "status": {"type": "string"},
                        "error": {"type": "string"},
                        "data": {"nullable": true,
                                 "allOf": [{"$ref": "#/components/schemas/Payment"}]}
                    }
                },
                "Payment": {
                    "type": "object", "description": "A payment.",
                    "x-provenance": "documented", "x-docs-url": "https://api-doc.cryptopocket.io",
                    "required": ["id"], "properties": {"id": {"type": "string", "format": "id"}}
                },
                "Subscription": {
                    "type": "object", "description": "Form body.",
                    "x-provenance": "documented", "x-docs-url": "https://api-doc.cryptopocket.io",
                    "properties": {"url": {"type": "string"}}
                }
            }}
        })
    }

    fn findings(doc: &Value) -> Vec<(&'static str, String)> {
        lint(doc)
            .0
            .into_iter()
            .map(|f| (f.rule.name(), f.pointer))
            .collect()
    }

    const GET: &str = "/paths/~1payment~1{payment_id}/get";

    #[test]
    fn the_minimal_document_is_clean_and_counted() {
        let (found, counts) = lint(&valid());
        assert_eq!(found, vec![]);
        assert_eq!(
            counts,
            Counts {
                operations: 2,
                schemas: 3,
                examples: 1
            }
        );
    }

    #[test]
    fn duplicate_operation_ids_name_both_places() {
        let mut doc = valid();
        doc["paths"]["/subscribeToWebhook"]["post"]["operationId"] = json!("getPayment");
        let found = lint(&doc).0;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, Rule::OperationIdUnique);
        assert!(found[0].message.contains(&format!("{GET}/operationId")));
    }

    #[test]
    fn missing_provenance_and_docs_url_are_reported_at_their_pointer() {
        let mut doc = valid();
        let op = doc["paths"]["/payment/{payment_id}"]["get"]
            .as_object_mut()
            .unwrap();
        op.remove("x-provenance");
        op.insert("x-docs-url".into(), json!("http://insecure"));
        doc["components"]["schemas"]["Payment"]["x-provenance"] = json!("guessed");
        assert_eq!(
            findings(&doc),
            vec![
                ("provenance", format!("{GET}/x-provenance")),
                ("provenance", format!("{GET}/x-docs-url")),
                (
                    "provenance",
                    "/components/schemas/Payment/x-provenance".into()
                ),
            ]
        );
    }

    #[test]
    fn every_error_code_carries_a_valid_provenance() {
        let mut doc = valid();
        let op = &mut doc["paths"]["/payment/{payment_id}"]["get"];
        op["x-error-codes"] = json!([
            "authorization_incorrect",
            {"code": "user_not_found", "x-provenance": "guessed"},
            {"code": "user_banned"},
            {"code": "min_purchase", "x-provenance": "documented"},
            {"code": "user_not_found", "x-provenance": "inferred", "x-docs-url": "http://insecure"},
            {"x-provenance": "inferred"},
        ]);
        op["responses"]["404"] = json!({"description": "gone", "x-provenance": "designed",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Payment"}}}});
        let at = format!("{GET}/x-error-codes");
        assert_eq!(
            findings(&doc),
            vec![
                ("provenance", format!("{at}/0")),
                ("provenance", format!("{at}/1/x-provenance")),
                ("provenance", format!("{at}/2/x-provenance")),
                ("provenance", format!("{at}/3/x-docs-url")),
                ("provenance", format!("{at}/4/code")),
                ("provenance", format!("{at}/4/x-docs-url")),
                ("provenance", format!("{at}/5/code")),
                ("provenance", format!("{GET}/responses/404/x-provenance")),
            ]
        );

        doc["paths"]["/payment/{payment_id}"]["get"]["x-error-codes"] =
            json!([{"code": "authorization_incorrect", "x-provenance": "partial"}]);
        doc["paths"]["/payment/{payment_id}"]["get"]["responses"]["404"]["x-provenance"] =
            json!("partial");
        assert_eq!(findings(&doc), vec![]);

        doc["paths"]["/payment/{payment_id}"]["get"]["x-error-codes"] =
            json!({"authorization_incorrect": "inferred"});
        assert_eq!(
            findings(&doc),
            vec![("provenance", format!("{GET}/x-error-codes"))]
        );
    }

    #[test]
    fn a_number_outside_the_amount_schema_is_refused() {
        let mut doc = valid();
        doc["components"]["schemas"]["Payment"]["properties"]["coin_amount"] =
            json!({"type": "number", "format": "double"});
        doc["components"]["schemas"]["Amount"] = json!({
            "description": "exact", "x-provenance": "partial",
            "x-docs-url": "https://api-doc.cryptopocket.io",
            "oneOf": [{"type": "number"}, {"type": "string"}],
        });
        assert_eq!(
            findings(&doc),
            vec![(
                "exact-amounts",
                "/components/schemas/Payment/properties/coin_amount/type".into()
            )]
        );
    }

    #[test]
    fn every_operation_says_its_effect_and_a_get_only_reads() {
        let mut doc = valid();
        doc["paths"]["/payment/{payment_id}"]["get"]["x-effect"] = json!("create");
        let post = doc["paths"]
            .as_object_mut()
            .unwrap()
            .values_mut()
            .find_map(|item| item.get_mut("post"))
            .unwrap();
        post.as_object_mut().unwrap().remove("x-effect");
        let mut found = findings(&doc);
        found.sort();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|(rule, at)| *rule == "effect" && at.ends_with("/x-effect"))
        );
        assert!(found.iter().any(|(_, at)| at.starts_with(GET)));
    }

    #[test]
    fn integers_timestamps_and_ids_keep_the_shape_generation_maps() {
        let mut doc = valid();
        let props = &mut doc["components"]["schemas"]["Payment"]["properties"];
        props["count"] = json!({"type": "integer", "description": "no format"});
        props["size"] = json!({"type": "integer", "format": "int64", "minimum": 0});
        props["at"] = json!({"type": "string", "format": "date-time", "x-provenance": "inferred"});
        props["other_id"] = json!({"type": "string", "description": "plain"});
        props["fine"] =
            json!({"type": "integer", "format": "int32", "description": "ok", "nullable": true});
        let at = "/components/schemas/Payment/properties";
        let mut found = findings(&doc);
        found.sort();
        assert_eq!(
            found,
            vec![
                ("tolerant-shapes", format!("{at}/at/x-provenance")),
                ("tolerant-shapes", format!("{at}/count/type")),
                ("tolerant-shapes", format!("{at}/other_id")),
                ("tolerant-shapes", format!("{at}/size/minimum")),
            ]
        );
    }

    #[test]
    fn an_invalid_example_names_the_example_and_the_field() {
        let mut doc = valid();
        let examples = &mut doc["paths"]["/payment/{payment_id}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["examples"];
        examples["ok"]["value"]["data"]["id"] = json!(7);
        let found = lint(&doc).0;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, Rule::ExampleValid);
        assert_eq!(
            found[0].pointer,
            format!("{GET}/responses/200/content/application~1json/examples/ok/value")
        );
        assert!(found[0].message.starts_with("/data/id:"), "{}", found[0]);
    }

    #[test]
    fn dangling_and_remote_refs_are_reported() {
        let mut doc = valid();
        doc["components"]["schemas"]["GetPaymentResponse"]["properties"]["data"]["allOf"][0]["$ref"] =
            json!("#/components/schemas/Missing");
        doc["components"]["schemas"]["Payment"]["properties"]["id"] =
            json!({"$ref": "other.yaml#/Id"});
        let rules: Vec<_> = findings(&doc).into_iter().map(|(r, _)| r).collect();
        assert_eq!(rules, vec!["ref-resolves", "ref-resolves"]);
    }

    #[test]
    fn the_envelope_rule_guards_status_and_optional_fields() {
        let mut doc = valid();
        let envelope = &mut doc["components"]["schemas"]["GetPaymentResponse"];
        envelope["properties"]["status"]["enum"] = json!(["ok"]);
        envelope["required"] = json!(["status", "data"]);
        envelope["properties"]["data"]
            .as_object_mut()
            .unwrap()
            .remove("nullable");
        let at = "/components/schemas/GetPaymentResponse";
        let found = findings(&doc);
        // Both operations use the envelope; each problem is reported once, at the component.
        assert_eq!(found.len(), 3, "{found:?}");
        for expected in [
            ("envelope", format!("{at}/properties")),
            ("envelope", format!("{at}/required")),
            ("envelope", format!("{at}/properties/data")),
        ] {
            assert!(found.contains(&expected), "{expected:?} not in {found:?}");
        }
    }

    #[test]
    fn bodies_progenitor_cannot_generate_are_refused() {
        let mut doc = valid();
        let body = &mut doc["paths"]["/subscribeToWebhook"]["post"]["requestBody"]["content"];
        body["multipart/form-data"] = json!({"schema": {"type": "object"}});
        doc["components"]["schemas"]["Subscription"]["type"] = json!("string");
        let rules: Vec<_> = findings(&doc).into_iter().map(|(r, _)| r).collect();
        assert!(rules.contains(&"one-media-type"), "{rules:?}");
        assert!(rules.contains(&"form-body-object"), "{rules:?}");
    }

    #[test]
    fn two_error_schemas_on_one_operation_are_refused() {
        let mut doc = valid();
        let responses = &mut doc["paths"]["/payment/{payment_id}"]["get"]["responses"];
        responses["404"] = json!({"description": "a", "content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/Payment"}}}});
        responses["422"] = json!({"description": "b", "content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/Subscription"}}}});
        assert_eq!(
            findings(&doc),
            vec![("one-error-schema", format!("{GET}/responses"))]
        );
    }

    #[test]
    fn path_templates_and_parameters_must_agree() {
        let mut doc = valid();
        let item = doc["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/payment/{payment_id}")
            .unwrap();
        doc["paths"]["/api/payment/{id}"] = item;
        let at = "/paths/~1api~1payment~1{id}";
        assert_eq!(
            findings(&doc),
            vec![
                ("no-api-prefix", at.to_owned()),
                ("path-params", format!("{at}/get")),
                ("path-params", format!("{at}/get")),
            ]
        );
    }

    #[test]
    fn closed_objects_and_old_versions_are_refused() {
        let mut doc = valid();
        doc["openapi"] = json!("3.1.0");
        doc["components"]["schemas"]["Payment"]["additionalProperties"] = json!(false);
        assert_eq!(
            findings(&doc),
            vec![
                ("openapi-version", "/openapi".to_owned()),
                (
                    "tolerant-decoding",
                    "/components/schemas/Payment/additionalProperties".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn tags_must_be_single_and_declared() {
        let mut doc = valid();
        doc["paths"]["/payment/{payment_id}"]["get"]["tags"] = json!(["OnRamp", "Webhooks"]);
        doc["paths"]["/subscribeToWebhook"]["post"]["tags"] = json!(["Nope"]);
        assert_eq!(
            findings(&doc),
            vec![
                ("one-tag", format!("{GET}/tags")),
                (
                    "one-tag",
                    "/paths/~1subscribeToWebhook/post/tags".to_owned()
                ),
            ]
        );
    }
}
