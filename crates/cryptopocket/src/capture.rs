//! Opt-in capture of real exchanges, redacted before anything touches disk.
//!
//! Turned on with [`ClientBuilder::capture`](crate::ClientBuilder::capture) or the
//! environment variable [`ENV_CAPTURE`] (read by [`Client::from_env`](crate::Client::from_env)
//! and the command line). Each attempt becomes one JSON line in
//! `<dir>/capture-<unix-seconds>-<pid>.jsonl` (a name already taken by anything but a
//! regular file, such as a planted symlink or a FIFO, is not written through: the capture
//! is skipped with a warning and the call goes on):
//!
//! ```json
//! {"v":1,"ts":"2026-06-26T10:30:00.123Z","operation":"getPayment","method":"GET",
//!  "path":"/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy","query":{},"status":200,
//!  "headers":{"content-type":"application/json"},
//!  "response_body":{"status":"ok","data":{"id":"aBc…","wallet":"<redacted>"}}}
//! ```
//!
//! `request_body` and `response_body` hold the JSON (a form body becomes an object of
//! strings); a body that is not JSON is kept as a short masked excerpt in `request_text` or
//! `response_text`. `error` says why an attempt failed (no response, a body cut off).
//! `cargo xtask check-capture DIR` checks the files against the spec.
//!
//! # Redaction
//!
//! Every value is redacted before the line is written:
//!
//! - The API secret and every token the client has held, by value, wherever they appear (the
//!   same pass as its errors and [`Client::redact`](crate::Client::redact)).
//! - The values of [`SECRET_KEYS`], whatever they hold (strings become [`REDACTED`], numbers
//!   `0`), and every string under `data` or `token` in `authenticate`'s answer but its
//!   expiry (the token arrives there before the client knows it).
//! - Every string value under a key of [`PERSONAL_KEYS`] (names, e-mails, phones, addresses,
//!   birth dates, document numbers and images, IBAN/BIC/account holders, wallet addresses),
//!   at any depth, in bodies, in the query and in the query of a URL inside a body (a
//!   gateway link's `?token=`); and a path segment that is an IBAN
//!   (by its checksum, or by its shape in upper case).
//!
//! A string whose value is redacted becomes [`REDACTED`] (inside a URL's query, its
//! percent-encoded form), so a line keeps the JSON type of each value (the checker still
//! judges the shape) and the checker knows to skip pattern and format checks on it.
//! Numbers, booleans and nulls under personal keys are kept. The list is by key name: a
//! personal field under a name it does not know is kept, so read a capture before sharing it.

use std::{
    fs::{File, OpenOptions},
    io::Write as _,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use cryptopocket_api::{Endpoint as _, Exchange, ExchangeObserver, endpoints};
use serde_json::{Map, Value, json};

use crate::redact::Secrets;

/// The environment variable that turns capture on: the directory to write to.
pub const ENV_CAPTURE: &str = "CRYPTOPOCKET_CAPTURE";

/// What replaces a redacted string value in a capture.
pub const REDACTED: &str = "<redacted>";

/// Keys whose values are credentials: always replaced, whatever they hold.
pub const SECRET_KEYS: &[&str] = &["token", "api_secret", "api_key", "auth", "password"];

/// Keys whose string values are personal data: replaced wherever they appear (any depth,
/// request, response or query). Compared in lower case. Keep this the one list.
pub const PERSONAL_KEYS: &[&str] = &[
    // Names.
    "name",
    "surname",
    "first_name",
    "last_name",
    "full_name",
    "company_name",
    "legal_name",
    // Contact.
    "email",
    "phone",
    "phone_number",
    "mobile",
    // Addresses.
    "address",
    "street",
    "city",
    "zip",
    "zip_code",
    "postal_code",
    // Birth and identity documents.
    "birth_date",
    "date_of_birth",
    "birthdate",
    "document_number",
    "document_front",
    "document_back",
    "selfie",
    "file",
    "tax_id",
    // Bank details.
    "iban",
    "bic",
    "swift",
    "holder",
    "account_holder",
    "holder_name",
    "beneficiary",
    "beneficiary_name",
    "concept",
    "account_number",
    // Wallets.
    "wallet",
    "wallet_address",
    "deposit_wallet",
    "from_address",
    "to_address",
    // Network.
    "ip",
    "ip_address",
];

/// Opens capture files readable by their owner only where the platform says so: a capture
/// may still hold personal data under a key the list does not know.
fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Opens (creating) the capture file to append to, refusing whatever is already at its
/// name and is not a regular file: the name is predictable, so a symlink planted there in
/// a shared directory would have the capture written through it to its target, and a FIFO
/// would block the call in `open` until someone reads it.
fn open_capture(path: &Path) -> std::io::Result<File> {
    match std::fs::symlink_metadata(path) {
        Ok(found) if !found.file_type().is_file() => {
            return Err(std::io::Error::other(
                "something other than a regular file (a symlink, a FIFO, a device) is at the \
                 capture file's name; it is not written through",
            ));
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    owner_only(OpenOptions::new().create(true).append(true)).open(path)
}

/// The response headers kept.
const HEADERS: &[&str] = &["content-type", "retry-after", "location", "content-length"];

/// A UTF-8 byte-order mark, skipped before JSON as the client does.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Writes each exchange of one client to its capture file.
pub(crate) struct Capture {
    secrets: Arc<Secrets>,
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl Capture {
    /// A capture into `dir`, sharing the client's `secrets`. Nothing is created until the
    /// first exchange.
    pub(crate) fn new(dir: &Path, secrets: Arc<Secrets>) -> Self {
        Self {
            secrets,
            path: dir.join(file_name()),
            file: Mutex::new(None),
        }
    }

    /// The redacted line for `exchange`.
    fn record(&self, exchange: &Exchange<'_>) -> Value {
        let mut line = Map::new();
        line.insert("v".into(), json!(1));
        line.insert(
            "ts".into(),
            json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        line.insert("operation".into(), json!(exchange.operation_id));
        line.insert("method".into(), json!(exchange.method.as_str()));
        line.insert("path".into(), json!(self.path_of(exchange.url)));
        let query: Map<String, Value> = exchange
            .url
            .query_pairs()
            .map(|(key, value)| {
                let value = self.redact_value(Some(&key), Value::String(value.into_owned()));
                (self.redact_string(&key), value)
            })
            .collect();
        line.insert("query".into(), Value::Object(query));
        if let Some(body) = exchange.request_body.filter(|b| !b.is_empty()) {
            let content_type = exchange
                .request_headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            match self.request_json(content_type, body) {
                Some(value) => line.insert("request_body".into(), value),
                None => line.insert("request_text".into(), json!(self.text(body))),
            };
        }
        if let Some(response) = &exchange.response {
            line.insert("status".into(), json!(response.status.as_u16()));
            let headers: Map<String, Value> = HEADERS
                .iter()
                .filter_map(|name| {
                    let value = response.headers.get(*name)?.to_str().ok()?;
                    Some(((*name).to_owned(), json!(self.redact_header(value))))
                })
                .collect();
            line.insert("headers".into(), Value::Object(headers));
            let body = response.body;
            let json = serde_json::from_slice::<Value>(body.strip_prefix(UTF8_BOM).unwrap_or(body));
            match json {
                Ok(mut value) => {
                    // Observers are given progenitor's name of the operation, not its operationId.
                    if exchange.operation_id == endpoints::Authenticate::OPERATION.name {
                        mask_token_places(&mut value);
                    }
                    line.insert("response_body".into(), self.redact_value(None, value));
                }
                Err(_) if body.is_empty() => {}
                Err(_) => {
                    line.insert("response_text".into(), json!(self.text(body)));
                }
            }
        }
        if let Some(error) = exchange.error {
            line.insert(
                "error".into(),
                json!(self.secrets.redact(&crate::call::with_causes(error))),
            );
        }
        Value::Object(line)
    }

    /// The URL's path, an IBAN-shaped or secret-bearing segment replaced.
    fn path_of(&self, url: &reqwest::Url) -> String {
        let segments = url.path().split('/').map(|segment| {
            let decoded = percent_decode(segment);
            if looks_like_iban(&decoded) || self.secrets.redact(&decoded) != decoded {
                REDACTED.to_owned()
            } else {
                segment.to_owned()
            }
        });
        segments.collect::<Vec<_>>().join("/")
    }

    /// A request body as JSON: JSON as is, a form as an object of strings.
    fn request_json(&self, content_type: &str, body: &[u8]) -> Option<Value> {
        let value = if content_type.starts_with("application/x-www-form-urlencoded") {
            Value::Object(
                form_urlencoded::parse(body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            )
        } else {
            serde_json::from_slice(body.strip_prefix(UTF8_BOM).unwrap_or(body)).ok()?
        };
        Some(self.redact_value(None, value))
    }

    /// A short excerpt of a body that is not JSON, every JSON string in it masked.
    fn text(&self, body: &[u8]) -> String {
        self.secrets.redact(&crate::error::excerpt(body))
    }

    fn redact_header(&self, value: &str) -> String {
        let value = self.secrets.redact(&crate::redact::redact_userinfo(value));
        redact_url_query(&value).unwrap_or(value)
    }

    /// A string with a secret in it becomes [`REDACTED`] whole; a URL keeps its shape but
    /// loses the values of credential and personal query parameters (a gateway link's
    /// `?token=`).
    fn redact_string(&self, text: &str) -> String {
        if self.secrets.redact(text) != text {
            return REDACTED.to_owned();
        }
        redact_url_query(text).unwrap_or_else(|| text.to_owned())
    }

    /// `value` (found under `key`) with every secret and personal string replaced.
    fn redact_value(&self, key: Option<&str>, value: Value) -> Value {
        let key = key.map(str::to_ascii_lowercase);
        let key = key.as_deref();
        if key.is_some_and(|k| SECRET_KEYS.contains(&k)) {
            return mask_strings(value, true);
        }
        if key.is_some_and(|k| PERSONAL_KEYS.contains(&k)) {
            return mask_strings(value, false);
        }
        match value {
            Value::String(text) => Value::String(self.redact_string(&text)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.redact_value(None, item))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = self.redact_value(Some(&k), v);
                        (self.redact_string(&k), v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    fn append(&self, line: &Value) -> std::io::Result<()> {
        let mut text = serde_json::to_vec(line)?;
        text.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            *file = Some(open_capture(&self.path)?);
        }
        match file.as_mut() {
            Some(file) => file.write_all(&text),
            None => Ok(()),
        }
    }
}

impl ExchangeObserver for Capture {
    fn exchange(&self, exchange: &Exchange<'_>) {
        let line = self.record(exchange);
        if let Err(error) = self.append(&line) {
            tracing::warn!(
                path = %self.path.display(),
                %error,
                "cannot write the capture; the call goes on"
            );
        }
    }
}

/// `capture-<unix-seconds>-<pid>.jsonl`, the seconds those of the first capture in this
/// process, so every client of one process appends to one file per directory.
fn file_name() -> String {
    static STARTED: OnceLock<u64> = OnceLock::new();
    let started = *STARTED.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    format!("capture-{started}-{}.jsonl", std::process::id())
}

/// Every string in `value` replaced by [`REDACTED`]; with `numbers`, every number by `0`
/// too (a credential is replaced whatever it holds, its JSON type kept).
fn mask_strings(value: Value, numbers: bool) -> Value {
    match value {
        Value::String(_) => Value::String(REDACTED.into()),
        Value::Number(_) if numbers => json!(0),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| mask_strings(v, numbers))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, mask_strings(v, numbers)))
                .collect(),
        ),
        other => other,
    }
}

/// Keys under `authenticate`'s `data` known not to hold the token.
const NOT_THE_TOKEN: &[&str] = &["expires_at", "expires_in", "token_type"];

/// In `authenticate`'s answer the token may be anywhere under `data` or `token`, and the
/// client learns it only after this line is written: every string there is masked but for
/// the keys of [`NOT_THE_TOKEN`].
fn mask_token_places(body: &mut Value) {
    let Some(object) = body.as_object_mut() else {
        return;
    };
    if let Some(token) = object.get_mut("token") {
        *token = mask_strings(token.take(), false);
    }
    match object.get_mut("data") {
        Some(Value::Object(data)) => {
            for (key, value) in data.iter_mut() {
                if !NOT_THE_TOKEN.contains(&key.as_str()) {
                    *value = mask_strings(value.take(), false);
                }
            }
        }
        Some(data) => *data = mask_strings(data.take(), false),
        None => {}
    }
}

/// `text` with the values of [`SECRET_KEYS`] and [`PERSONAL_KEYS`] in its query replaced,
/// when it is an `http(s)` URL with such a parameter; `None` otherwise.
fn redact_url_query(text: &str) -> Option<String> {
    if !(text.starts_with("http://") || text.starts_with("https://")) || !text.contains('?') {
        return None;
    }
    let mut url = reqwest::Url::parse(text).ok()?;
    let sensitive = |key: &str| {
        let key = key.to_ascii_lowercase();
        SECRET_KEYS.contains(&key.as_str()) || PERSONAL_KEYS.contains(&key.as_str())
    };
    if !url.query_pairs().any(|(key, _)| sensitive(&key)) {
        return None;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let value = if sensitive(&key) {
                REDACTED.to_owned()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    Some(url.into())
}

/// Two letters, two digits, then 11 to 30 letters or digits (spaces ignored).
fn looks_like_iban(text: &str) -> bool {
    // An IBAN passes the crate's one IBAN check (mod-97); a mistyped one is still
    // personal data, so the IBAN's shape in upper case counts too. Payment ids are
    // mixed-case letters and digits, and about one in 55 has the shape (two letters,
    // two digits): without the case rule those were redacted, which hid the id.
    if crate::model::Iban::new(text).is_ok() {
        return true;
    }
    let compact: Vec<char> = text.chars().filter(|c| *c != ' ').collect();
    (15..=34).contains(&compact.len())
        && compact[..2].iter().all(char::is_ascii_uppercase)
        && compact[2..4].iter().all(char::is_ascii_digit)
        && compact[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn capture(dir: &Path) -> Capture {
        let secrets = Arc::new(Secrets::new(&SecretString::from("the-api-secret")));
        secrets.remember_token("tok-abcdef-123");
        Capture::new(dir, secrets)
    }

    #[test]
    fn secrets_credentials_and_personal_strings_are_replaced_keeping_their_type() {
        let c = capture(Path::new("/nonexistent"));
        let body = json!({
            "api_key": "key-1", "api_secret": "the-api-secret",
            "status": "ok", "message": "issued tok-abcdef-123",
            "data": {"id": 7, "name": "Alice", "email": "a@example.com", "phone": null,
                     "address": {"street": "Main 1", "number": 3},
                     "wallets": [{"wallet": "0xabc", "chain": "polygon"}],
                     "fiat_amount": 15050, "IBAN": "ES7620770024003102575766"}
        });
        let out = c.redact_value(None, body);
        assert_eq!(
            out,
            json!({
                "api_key": REDACTED, "api_secret": REDACTED,
                "status": "ok", "message": REDACTED,
                "data": {"id": 7, "name": REDACTED, "email": REDACTED, "phone": null,
                         "address": {"street": REDACTED, "number": 3},
                         "wallets": [{"wallet": REDACTED, "chain": "polygon"}],
                         "fiat_amount": 15050, "IBAN": REDACTED}
            })
        );
    }

    #[test]
    fn a_token_in_authenticates_answer_is_masked_wherever_it_sits() {
        for mut body in [
            json!({"status": "ok", "data": "raw-token-value"}),
            json!({"status": "ok", "data": {"access": "raw-token-value", "expires_in": 60}}),
            json!({"status": "ok", "token": "raw-token-value"}),
        ] {
            mask_token_places(&mut body);
            assert!(!body.to_string().contains("raw-token-value"), "{body}");
            assert_eq!(body["status"], "ok");
        }
    }

    #[test]
    fn iban_path_segments_are_replaced() {
        let c = capture(Path::new("/nonexistent"));
        let url: reqwest::Url =
            "http://127.0.0.1/api/banking/accounts/ES76%202077%200024%200031%200257%205766/transactions"
                .parse()
                .unwrap();
        assert_eq!(
            c.path_of(&url),
            "/api/banking/accounts/<redacted>/transactions"
        );
        let url: reqwest::Url = "http://127.0.0.1/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy"
            .parse()
            .unwrap();
        assert_eq!(c.path_of(&url), "/api/payment/aBcDeFgHiJkLmNoPqRsTuVwXy");
        // A payment id with an IBAN's start (two letters, two digits) is no IBAN.
        let url: reqwest::Url = "http://127.0.0.1/api/payment/cf63Bv5L8ZATCJLehcEB2xGZP"
            .parse()
            .unwrap();
        assert_eq!(c.path_of(&url), "/api/payment/cf63Bv5L8ZATCJLehcEB2xGZP");
        // A valid IBAN written in lower case, and a mistyped one in upper case, are hidden.
        for iban in ["es7620770024003102575766", "ES7620770024003102575767"] {
            let url: reqwest::Url = format!("http://127.0.0.1/api/banking/accounts/{iban}")
                .parse()
                .unwrap();
            assert_eq!(c.path_of(&url), "/api/banking/accounts/<redacted>");
        }
    }

    #[test]
    fn tokens_and_personal_data_in_url_queries_are_replaced() {
        let c = capture(Path::new("/nonexistent"));
        let out = c.redact_value(
            None,
            json!({
                "url_payment": "https://gw.example/card?token=b78d9ffb&lang=es",
                "kyc_form_url": "https://gw.example/kyc?email=a%40b.c",
                "plain": "https://gw.example/payment/abc?x=1"
            }),
        );
        assert_eq!(
            out,
            json!({
                "url_payment": "https://gw.example/card?token=%3Credacted%3E&lang=es",
                "kyc_form_url": "https://gw.example/kyc?email=%3Credacted%3E",
                "plain": "https://gw.example/payment/abc?x=1"
            })
        );
    }

    #[test]
    fn a_capture_that_cannot_be_written_is_an_error_of_the_write_only() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the directory should be: every write fails.
        let blocker = dir.path().join("blocked");
        std::fs::write(&blocker, b"").unwrap();
        let c = capture(&blocker.join("below"));
        assert!(c.append(&json!({"v": 1})).is_err());
    }
}
