//! `cryptopocket api <operationId>`: sends any operation of the spec, as `gh api` does, and
//! prints the envelope the server answered (redacted). The escape hatch for an operation
//! whose shape is still a guess.
//!
//! The operation's method and path template come from the generated operation table
//! (`cryptopocket_api::operations::ALL`). The request goes through the `cryptopocket` client's
//! generated client ([`cryptopocket::Client::raw`]): its token hook (after an
//! [`authenticate`](cryptopocket::Client::authenticate)), body cap, capture, connect timeout,
//! and no redirects. Like every raw call it has no retries: it is sent once.

use std::time::Duration;

use clap::Args;
use cryptopocket::{
    ApiError, Error,
    api::{Operation, operations},
};
use progenitor_client::{ClientHooks as _, ClientInfo as _, OperationInfo};
use serde::{Serialize, Serializer, ser::Error as _};
use serde_json::{Map, Value, value::RawValue};

use super::Context;
use crate::{
    exit::Failure,
    output::{self, Fields},
};

/// `cryptopocket api`'s arguments.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The spec's operationId (`getPayment`, `listCustomers`, …).
    #[arg(value_name = "OPERATION_ID")]
    pub operation_id: String,
    /// A body field, `name=value` (repeatable). The value is sent as JSON when it reads as
    /// JSON (`42`, `true`, `{"a":1}`), else as a string. For a GET, fields go in the query.
    #[arg(short = 'f', long = "field", value_name = "NAME=VALUE", value_parser = pair)]
    pub fields: Vec<(String, String)>,
    /// A body field sent as a string whatever it looks like, `name=value` (repeatable).
    #[arg(long = "raw-field", value_name = "NAME=VALUE", value_parser = pair)]
    pub raw_fields: Vec<(String, String)>,
    /// A query parameter, `name=value` (repeatable).
    #[arg(short = 'q', long = "query", value_name = "NAME=VALUE", value_parser = pair)]
    pub query: Vec<(String, String)>,
    /// A path parameter of the operation's template, `name=value` (`payment_id=aBc…`).
    #[arg(short = 'p', long = "path", value_name = "NAME=VALUE", value_parser = pair)]
    pub path: Vec<(String, String)>,
}

/// The longest answer `api` reads.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The status and body of `response`; reading stops once the body is longer than
/// [`MAX_ANSWER_BYTES`], so a longer answer is seen to be.
async fn read_answer(
    mut response: reqwest::Response,
) -> Result<(reqwest::StatusCode, Vec<u8>), reqwest::Error> {
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok((status, body))
}

/// `name=value`, split at the first `=`.
fn pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

/// Operation ids that look like `name`: the same ignoring case, containing it or contained
/// in it, or a few edits away; closest first, at most five.
pub fn close_matches(name: &str) -> Vec<&'static str> {
    let wanted = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, &'static str)> = operations::ALL
        .iter()
        .filter_map(|op| {
            let id = op.id.to_ascii_lowercase();
            let distance = strsim::levenshtein(&wanted, &id);
            let near = distance <= (wanted.len().max(3) / 3)
                || (wanted.len() >= 3 && (id.contains(&wanted) || wanted.contains(&id)));
            near.then_some((distance, op.id))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, id)| id).collect()
}

/// The usage failure for an operationId the spec does not have: exit 2, with close matches.
pub fn unknown_operation(name: &str) -> Failure {
    let close = close_matches(name);
    let hint = if close.is_empty() {
        let all: Vec<&str> = operations::ALL.iter().map(|op| op.id).collect();
        format!("the operations are: {}", all.join(", "))
    } else {
        format!("did you mean: {}?", close.join(", "))
    };
    Failure::usage(format!("no operation `{name}` in the spec"))
        .with_code("unknown_operation")
        .hint(hint)
}

/// The path with every `{name}` of its template filled from `--path`, percent-encoded.
fn fill_path(operation: &Operation, given: &[(String, String)]) -> Result<String, Failure> {
    let mut path = String::new();
    let mut missing = Vec::new();
    let mut used = Vec::new();
    let mut rest = operation.path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        path.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        match given.iter().rev().find(|(n, _)| n == name) {
            Some((_, value)) => {
                path.push_str(&progenitor_client::encode_path(value));
                used.push(name);
            }
            None => missing.push(name),
        }
        rest = &rest[open + close + 1..];
    }
    path.push_str(rest);
    if !missing.is_empty() {
        let flags: Vec<String> = missing.iter().map(|n| format!("--path {n}=…")).collect();
        return Err(Failure::usage(format!(
            "{} ({} {}) needs {}",
            operation.id,
            operation.method,
            operation.path,
            flags.join(" ")
        ))
        .with_code("missing_argument")
        .hint("give each path parameter of the template with --path NAME=VALUE"));
    }
    if let Some((unknown, _)) = given.iter().find(|(n, _)| !used.contains(&n.as_str())) {
        return Err(Failure::usage(format!(
            "{} ({}) has no path parameter `{unknown}`",
            operation.id, operation.path
        ))
        .with_code("invalid_value")
        .hint("send it with --field or --query instead"));
    }
    Ok(path)
}

/// A field's value: JSON when it reads as JSON, else the text itself.
fn typed(value: &str) -> Value {
    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()))
}

/// Sends the operation and prints the envelope. An envelope whose `status` is `error`, or an
/// HTTP error status, is still printed on stdout, and the command then fails with exit 1.
pub async fn run(context: &Context, args: ApiArgs) -> Result<(), Failure> {
    let Some(operation) = Operation::find(&args.operation_id) else {
        return Err(unknown_operation(&args.operation_id));
    };
    if operation.id == operations::AUTHENTICATE.id {
        return Err(Failure::usage(
            "`cryptopocket api authenticate` would print a session token, which this command \
             line never does",
        )
        .with_code("refused_operation")
        .hint("check the credentials with `cryptopocket auth check`"));
    }
    let path = fill_path(operation, &args.path)?;
    let client = context.client()?;
    // `--timeout` bounds the whole command, as a call's deadline bounds the token it fetches:
    // the time spent authenticating is taken from what the operation is left.
    let deadline = context.global.timeout.unwrap_or(Duration::from_secs(30));
    let started = std::time::Instant::now();
    client.authenticate().await?;

    let method = reqwest::Method::from_bytes(operation.method.as_bytes())
        .map_err(|e| Failure::usage(format!("bad method in the operation table: {e}")))?;
    let url = format!("{}{path}", client.base_url().trim_end_matches('/'));
    let raw = client.raw();
    let mut request = raw.client().request(method.clone(), &url);
    let mut query: Vec<(String, String)> = args.query.clone();
    let fields: Vec<(String, Value)> = args
        .fields
        .iter()
        .map(|(n, v)| (n.clone(), typed(v)))
        .chain(
            args.raw_fields
                .iter()
                .map(|(n, v)| (n.clone(), Value::String(v.clone()))),
        )
        .collect();
    // A query or a form sends a string as it is, anything else as its JSON text.
    let texts = fields.iter().map(|(n, v)| match v {
        Value::String(s) => (n.clone(), s.clone()),
        other => (n.clone(), other.to_string()),
    });
    if method == reqwest::Method::GET {
        query.extend(texts);
    } else if operation.body == Some("application/x-www-form-urlencoded") {
        request = request.form(&texts.collect::<Vec<_>>());
    } else {
        let body: Map<String, Value> = fields.into_iter().collect();
        request = request.json(&body);
    }
    if !query.is_empty() {
        request = request.query(&query);
    }
    request = request.header(reqwest::header::ACCEPT, "application/json");
    let mut request = request
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the request: {e}")))?;

    // The hook sets the token the client now holds; `exec` caps the body and captures.
    let info = OperationInfo {
        operation_id: operation.name,
    };
    raw.pre::<()>(&mut request, &info)
        .await
        .map_err(|e| Failure::usage(format!("cannot prepare the request: {e}")))?;
    let left = deadline.saturating_sub(started.elapsed());
    let sent = tokio::time::timeout(left, async {
        read_answer(raw.exec(request, &info).await?).await
    })
    .await;
    let timed_out = || {
        let failure = Failure::unreachable(format!(
            "{} took longer than {} s",
            operation.id,
            deadline.as_secs_f64()
        ))
        .with_code("timeout")
        .hint("the server is slow or unreachable; try again, or raise --timeout");
        failure.of_operation(operation.id, true)
    };
    let (status, body) = match sent {
        Err(_) => return Err(timed_out()),
        // The HTTP client's own attempt timeout ran out first: a timeout all the same.
        Ok(Err(e)) if e.is_timeout() => return Err(timed_out()),
        Ok(Err(e)) => {
            let connect = e.is_connect();
            let failure = Failure::unreachable(format!(
                "{} failed: {}",
                operation.id,
                client.redact(&e.to_string())
            ))
            .with_code(if connect {
                "connect_failed"
            } else {
                "connection_broken"
            })
            .hint("check --base-url / CRYPTOPOCKET_BASE_URL and the network, then try again");
            return Err(failure.of_operation(operation.id, !connect));
        }
        Ok(Ok(answer)) => answer,
    };
    let envelope: Value = match serde_json::from_slice(&body) {
        Ok(envelope) if body.len() <= MAX_ANSWER_BYTES => envelope,
        _ => {
            // Redacted here, where the cut is the end of the text: printed, more follows it,
            // and the start of a token cut off there would no longer be recognised.
            let excerpt = client.redact(&crate::exit::shortened(
                &String::from_utf8_lossy(&body),
                200,
            ));
            let failure = Failure::unreachable(format!(
                "{} answered HTTP {} with a body that is not JSON",
                operation.id,
                status.as_u16()
            ))
            .with_code(if status.is_redirection() {
                "redirect"
            } else {
                "decode"
            })
            .hint("is the base URL a CryptoPocket API? Redirects are never followed")
            .detail(format!("the body began: {}", excerpt.escape_debug()));
            return Err(failure.of_operation(operation.id, true));
        }
    };
    // Re-indented from the text as sent: a number keeps every digit (an 18-decimal amount
    // would lose some through f64).
    output::write_stdout(&format!("{}\n", pretty(&String::from_utf8_lossy(&body))));
    let word = envelope
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if status.is_success() && word != "error" {
        return Ok(());
    }
    // The refusal as the typed commands tell it: the same hints, KYC URL and minimum.
    let code = envelope
        .get("error")
        .and_then(Value::as_str)
        .map_or_else(|| format!("http_{}", status.as_u16()), str::to_owned);
    let mut refusal = ApiError::new(operation.id, status.as_u16(), code.into());
    if let Some(message) = envelope.get("message").and_then(Value::as_str) {
        refusal = refusal.with_message(message);
    }
    if let Some(data) = envelope.get("data").filter(|data| !data.is_null()) {
        refusal = refusal.with_data(data.clone());
    }
    let failure = Failure::from(Error::Api(refusal));
    // Whether it may have acted is the typed commands' rule, or an HTTP error status (a
    // proxy's 502).
    let maybe = failure.may_have_reached_server || status.is_server_error();
    Err(failure.of_operation(operation.id, maybe))
}

/// `json` (valid JSON) indented by two spaces by serde_json, token text unchanged: unlike a
/// round trip through `serde_json::Value`, numbers are printed exactly as the server wrote
/// them, and fields in the order it wrote them.
fn pretty(json: &str) -> String {
    serde_json::from_str(json)
        .and_then(|raw| serde_json::to_string_pretty(&Exact(raw)))
        .unwrap_or_else(|_| json.to_owned())
}

/// A JSON value serialised as it was sent: its numbers and strings verbatim.
struct Exact<'a>(&'a RawValue);

impl Serialize for Exact<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.get();
        match text.as_bytes().first() {
            Some(b'{') => {
                let fields: Fields<&RawValue> =
                    serde_json::from_str(text).map_err(S::Error::custom)?;
                serializer.collect_map(
                    fields
                        .0
                        .into_iter()
                        .map(|(name, value)| (name, Exact(value))),
                )
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text).map_err(S::Error::custom)?;
                serializer.collect_seq(items.into_iter().map(Exact))
            }
            _ => self.0.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_matches_find_typos_and_case() {
        assert_eq!(close_matches("getpayment")[0], "getPayment");
        assert_eq!(close_matches("getPaymnet")[0], "getPayment");
        assert!(close_matches("payment").contains(&"createPayment"));
        assert!(close_matches("zzzzzzzz").is_empty());
        assert!(
            unknown_operation("zzzz")
                .hint
                .clone()
                .unwrap_or_default()
                .contains("getPayment")
        );
    }

    #[test]
    fn paths_are_filled_and_checked() {
        let get = Operation::find("getPayment").expect("getPayment");
        let given = vec![("payment_id".to_owned(), "a b/c".to_owned())];
        assert_eq!(
            fill_path(get, &given).ok().as_deref(),
            Some("/payment/a%20b%2Fc")
        );
        assert!(fill_path(get, &[]).is_err());
        let extra = vec![
            ("payment_id".to_owned(), "x".to_owned()),
            ("other".to_owned(), "y".to_owned()),
        ];
        assert!(fill_path(get, &extra).is_err());
        assert_eq!(typed("42"), serde_json::json!(42));
        assert_eq!(typed("abc"), serde_json::json!("abc"));
    }

    #[test]
    fn pretty_keeps_every_digit_and_every_string() {
        let sent = r#"{"status":"ok","data":{"coin_amount":0.123456789012345678,"s":"a, {b}: \"c\"","e":[],"o":{}}}"#;
        let shown = pretty(sent);
        assert!(
            shown.contains("\"coin_amount\": 0.123456789012345678"),
            "{shown}"
        );
        assert!(shown.contains(r#""s": "a, {b}: \"c\"""#), "{shown}");
        assert!(
            shown.contains("\"e\": []") && shown.contains("\"o\": {}"),
            "{shown}"
        );
        // Fields in the order sent, serde_json's layout.
        assert_eq!(
            pretty(r#"{"z":1,"a":[1.50,{}],"m":"x"}"#),
            "{\n  \"z\": 1,\n  \"a\": [\n    1.50,\n    {}\n  ],\n  \"m\": \"x\"\n}"
        );
        let reparsed: Value = serde_json::from_str(&shown).expect("still JSON");
        let original: Value = serde_json::from_str(sent).expect("JSON");
        assert_eq!(reparsed, original);
    }
}
