//! The last pass over every text that leaves the crate: the API secret and each token the
//! client has held are replaced by value, whatever the text looked like.
//!
//! Excerpts already mask JSON string values, but a server or a proxy can echo a request in
//! any shape (a text error page, a header dump, a PHP notice, an exception message), so the
//! masking alone cannot promise anything. This pass can: it knows the secrets themselves.
//! Each secret is looked for as sent and as a server would re-encode it (JSON-escaped, with
//! PHP's escaped slashes, percent-encoded), and a text cut in the middle of one (an excerpt
//! ends at 120 characters) loses the cut-off start too.

use std::{
    collections::VecDeque,
    sync::{PoisonError, RwLock},
};

use secrecy::{ExposeSecret as _, SecretString};

use crate::{
    Error,
    error::{BaseUrlProblem, ConfigError},
    model::ApiErrorCode,
};

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// Tokens remembered besides the API secret. A client refreshes its token about once an
/// hour; the oldest are forgotten first, long after they expired.
const MAX_TOKENS: usize = 256;

/// The shortest secret looked for: shorter ones would blank out ordinary words.
const MIN_SECRET_CHARS: usize = 3;

/// The shortest cut-off start of a secret removed from the end of a text.
const MIN_PREFIX_CHARS: usize = 3;

/// The secrets a client knows, each with the forms a server may echo it in.
#[derive(Default)]
pub(crate) struct Secrets {
    api_secret: Vec<SecretString>,
    tokens: RwLock<VecDeque<Vec<SecretString>>>,
}

impl Secrets {
    pub(crate) fn new(api_secret: &SecretString) -> Self {
        Self {
            api_secret: forms(api_secret.expose_secret()),
            tokens: RwLock::default(),
        }
    }

    /// Remembers a token the API issued, before it is used or checked.
    pub(crate) fn remember_token(&self, token: &str) {
        let forms = forms(token);
        if forms.is_empty() {
            return;
        }
        let mut tokens = self.tokens.write().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() == MAX_TOKENS {
            tokens.pop_front();
        }
        tokens.push_back(forms);
    }

    /// `text` with every known secret replaced by `[redacted]`, and with the start of one
    /// removed from its end when the text was cut there.
    pub(crate) fn redact(&self, text: &str) -> String {
        let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let all = self.api_secret.iter().chain(tokens.iter().flatten());
        redact_with(text, all.map(|s| s.expose_secret()))
    }

    /// [`Self::redact`], then every secret replaced whatever the case of its ASCII letters:
    /// for texts a parser lowercased (a URL's host).
    pub(crate) fn redact_any_case(&self, text: &str) -> String {
        let mut out = self.redact(text);
        let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let all = self.api_secret.iter().chain(tokens.iter().flatten());
        for secret in all {
            let secret = secret.expose_secret().to_ascii_lowercase();
            // The same floor as every other form: an empty secret would match everywhere
            // and never let the search end.
            if secret.chars().count() < MIN_SECRET_CHARS {
                continue;
            }
            // Lowercasing ASCII keeps every byte offset, so a match in the lowercased text is
            // a range of `out` on character boundaries; the search resumes after each
            // replacement, which may itself contain the secret.
            let mut from = 0;
            while let Some(at) = out[from..].to_ascii_lowercase().find(&secret) {
                let at = from + at;
                out.replace_range(at..at + secret.len(), REDACTED);
                from = at + REDACTED.len();
            }
        }
        out
    }

    /// `error` with every text it holds passed through [`Self::redact`].
    pub(crate) fn redact_error(&self, mut error: Error) -> Error {
        let r = |text: &mut String| *text = self.redact(text);
        match &mut error {
            Error::Api(api) => {
                // A free-text code is often a server exception, which may quote the request.
                if let ApiErrorCode::Other(text) = &mut api.code {
                    r(text);
                }
                api.message.as_mut().map(r);
                api.data = api.data.take().map(|data| self.redact_json(data));
            }
            Error::Validation(validation) => {
                r(&mut validation.message);
                validation.fields = std::mem::take(&mut validation.fields)
                    .into_iter()
                    .map(|(field, messages)| {
                        let redacted = messages.iter().map(|m| self.redact(m)).collect();
                        (self.redact(&field), redacted)
                    })
                    .collect();
            }
            Error::Config(config) => match config {
                ConfigError::BaseUrl { url, problem, .. } => {
                    r(url);
                    if let BaseUrlProblem::NotAUrl(text) | BaseUrlProblem::UnsupportedScheme(text) =
                        problem
                    {
                        r(text);
                    }
                }
                ConfigError::InvalidValue { reason: text, .. }
                | ConfigError::EnvVar { reason: text, .. }
                | ConfigError::HttpClient { message: text } => r(text),
                _ => {}
            },
            // An origin's host has been lowercased by the URL parser: a token echoed there
            // no longer matches by value.
            Error::Redirect {
                location: Some(text),
                ..
            } => *text = self.redact_any_case(text),
            Error::InvalidRequest(text)
            | Error::Transport { message: text, .. }
            | Error::UnexpectedStatus { excerpt: text, .. } => r(text),
            Error::Decode {
                path,
                reason,
                excerpt,
                ..
            } => {
                r(path);
                r(reason);
                r(excerpt);
            }
            Error::Redirect { location: None, .. }
            | Error::Timeout { .. }
            | Error::RetryAfterPastDeadline { .. }
            | Error::BodyTooLarge { .. }
            | Error::RepeatedPage { .. } => {}
        }
        error
    }

    fn redact_json(&self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(text) => Value::String(self.redact(&text)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| self.redact_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.redact(&k), self.redact_json(v)))
                    .collect(),
            ),
            other => other,
        }
    }
}

/// The redaction pass of [`Client::redact`](crate::Client::redact) on its own, for secrets
/// known without a client (a command line that has the secret before it can build one, a
/// service that holds other credentials).
///
/// ```
/// let redactor = cryptopocket::Redactor::new("the-api-secret");
/// redactor.remember("a-session-token");
/// assert_eq!(
///     redactor.redact("secret=the-api-secret auth=a-session-token"),
///     "secret=[redacted] auth=[redacted]"
/// );
/// ```
#[derive(Default)]
pub struct Redactor(Secrets);

impl Redactor {
    /// A redactor that replaces `secret` (when at least three characters long).
    pub fn new(secret: &str) -> Self {
        Self(Secrets::new(&SecretString::from(secret)))
    }

    /// Replaces `secret` too from now on (the latest 256 are kept).
    pub fn remember(&self, secret: &str) {
        self.0.remember_token(secret);
    }

    /// `text` with every secret replaced by `[redacted]`: as given, JSON-escaped (also with
    /// PHP's `\/`), percent-encoded, and the start of one cut off at the end of `text`;
    /// and with URL userinfo removed.
    pub fn redact(&self, text: &str) -> String {
        self.0.redact(&redact_userinfo(text))
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor([redacted])")
    }
}

/// The forms `secret` may come back in: as sent, JSON-escaped (also with PHP's `\/`), and
/// percent-encoded (as a form or a query would carry it). Empty for a secret too short to
/// look for.
fn forms(secret: &str) -> Vec<SecretString> {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Vec::new();
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(secret);
    let php = json.replace('/', "\\/");
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    // Excerpts print control characters escaped (`\u{1}`).
    let escaped = crate::error::escape_controls(secret.chars());
    let mut forms: Vec<String> = vec![secret.to_owned()];
    for form in [json.to_owned(), php, form, percent, escaped] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    // Longest first, so that a form that contains another is replaced whole.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.into_iter().map(SecretString::from).collect()
}

/// `text` with every occurrence of each of `secrets` replaced, and the start of one removed
/// from the end of `text` (before a final `…`, the mark of a cut).
pub(crate) fn redact_with<'a>(
    text: &str,
    secrets: impl Iterator<Item = &'a str> + Clone,
) -> String {
    let mut out = text.to_owned();
    for secret in secrets.clone() {
        if !secret.is_empty() && out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    let (body, mark) = match out.strip_suffix('…') {
        Some(body) => (body, "…"),
        None => (out.as_str(), ""),
    };
    let cut = secrets
        .filter_map(|secret| cut_off_start(body, secret))
        .max()
        .unwrap_or(0);
    if cut == 0 {
        return out;
    }
    format!("{}{REDACTED}{mark}", &body[..body.len() - cut])
}

/// The length in bytes of the longest end of `text` that is the start (not the whole) of
/// `secret`, when it is at least [`MIN_PREFIX_CHARS`] characters long.
fn cut_off_start(text: &str, secret: &str) -> Option<usize> {
    secret
        .char_indices()
        .map(|(at, _)| at)
        .skip(MIN_PREFIX_CHARS)
        .filter(|&len| text.ends_with(&secret[..len]))
        .max()
}

/// `url` with its userinfo (`user:password@`) replaced, wherever URLs occur in `text`.
pub(crate) fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(['/', '?', '#', ' ', '`', '"', '\''])
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                out.push_str(REDACTED);
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(secret: &str, tokens: &[&str]) -> Secrets {
        let s = Secrets::new(&SecretString::from(secret));
        for token in tokens {
            s.remember_token(token);
        }
        s
    }

    #[test]
    fn secrets_and_tokens_are_replaced_in_every_form() {
        let s = secrets("s3/cr+et \"x\"", &["tok-123", "tok-456"]);
        for text in [
            r#"api_secret=s3/cr+et "x" and auth: tok-123"#,
            r#"{"api_secret":"s3\/cr+et \"x\"","token":"tok-456"}"#,
            r#"{"api_secret":"s3/cr+et \"x\""}"#,
            "api_secret=s3%2Fcr%2Bet+%22x%22&auth=tok-123",
            "s3%2Fcr%2Bet%20%22x%22",
        ] {
            let shown = s.redact(text);
            for leaked in ["s3/cr", "s3\\/cr", "s3%2Fcr", "tok-123", "tok-456"] {
                assert!(!shown.contains(leaked), "{leaked} in {shown}");
            }
            assert!(shown.contains(REDACTED), "{shown}");
        }
    }

    #[test]
    fn a_secret_with_control_characters_is_found_as_an_excerpt_prints_it() {
        let s = secrets("ab\u{1}cd\u{7f}ef", &[]);
        let shown = crate::error::excerpt("x ab\u{1}cd\u{7f}ef y".as_bytes());
        assert_eq!(s.redact(&shown), "x [redacted] y");
    }

    #[test]
    fn a_lowercased_echo_is_redacted_and_the_search_ends() {
        let s = secrets("Redacted", &["Tk7HwQr8yB"]);
        assert_eq!(
            s.redact_any_case("http://tk7hwqr8yb.example/TK7HWQR8YB?x=REDACTED"),
            "http://[redacted].example/[redacted]?x=[redacted]"
        );
        // The replacement itself holds the secret "redacted": the search goes on after it.
        assert_eq!(s.redact_any_case("redacted"), "[redacted]");
    }

    #[test]
    fn a_secret_cut_at_the_end_loses_its_start_too() {
        let s = secrets("supersecretvalue", &[]);
        assert_eq!(s.redact("body: supers…"), "body: [redacted]…");
        assert_eq!(s.redact("body: supersecretval"), "body: [redacted]");
        // Two characters are too few to tell apart from ordinary text.
        assert_eq!(s.redact("body: su…"), "body: su…");
    }

    #[test]
    fn old_tokens_are_forgotten_past_the_bound() {
        let s = secrets("secret", &[]);
        for n in 0..MAX_TOKENS + 10 {
            s.remember_token(&format!("tok{n:04}end"));
        }
        assert_eq!(s.redact("tok0000end"), "tok0000end");
        assert_eq!(s.redact("tok0260end"), REDACTED);
    }

    #[test]
    fn userinfo_is_replaced_in_urls() {
        assert_eq!(
            redact_userinfo("base URL `https://me:pa55@host:1/api` is bad; see http://x/y"),
            "base URL `https://[redacted]@host:1/api` is bad; see http://x/y"
        );
        assert_eq!(redact_userinfo("no url here"), "no url here");
    }
}
