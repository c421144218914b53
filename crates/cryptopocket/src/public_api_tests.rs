//! The public API hands out this crate's own types: no public signature mentions the
//! generated crate (`cryptopocket_api::types::…`, or a name imported from it), except
//! [`Client::raw`](crate::Client::raw), the documented escape hatch,
//! [`ClientBuilder::request_hook`](crate::ClientBuilder::request_hook), which takes the
//! generated client's `RequestHook` trait (no generated type), and the `api` re-export
//! itself.
//!
//! The check reads the sources (`src/**/*.rs`), because the compiler has no stable way to
//! list a crate's public signatures. It looks at what is `pub` (not `pub(crate)`): function
//! signatures (every line up to the body), struct fields, the whole body of a public enum or
//! trait, type aliases, constants and re-exports, and conversion-trait impls (`From`,
//! `TryFrom`, `PartialEq`, …) between a crate type and a generated one. Comments and
//! `#[cfg(test)]` items are skipped.

use std::path::{Path, PathBuf};

/// Signatures allowed to mention the generated crate: `(file name, start of the line)`.
const ALLOWED: &[(&str, &str)] = &[
    (
        "client.rs",
        "pub fn raw(&self) -> &cryptopocket_api::Client",
    ),
    (
        "config.rs",
        "pub fn request_hook(mut self, hook: impl RequestHook + 'static)",
    ),
    ("lib.rs", "pub use cryptopocket_api as api;"),
];

/// Conversion and comparison traits whose impls would put a generated type in the API.
const CONVERSION_TRAITS: &[&str] = &[
    "From<",
    "TryFrom<",
    "Into<",
    "TryInto<",
    "PartialEq<",
    "PartialOrd<",
    "AsRef<",
    "AsMut<",
    "Borrow<",
    "Deref",
    "FromIterator<",
    "Extend<",
];

/// One public signature that mentions the generated crate.
#[derive(Debug, PartialEq, Eq)]
struct Leak {
    line: usize,
    signature: String,
}

/// The public signatures of one source file that mention the generated crate.
fn leaks(file_name: &str, source: &str) -> Vec<Leak> {
    let lines = code_lines(source);
    let forbidden = forbidden_names(&lines);
    let mentions = |text: &str| {
        text.contains("types::")
            || text.contains("cryptopocket_api")
            || forbidden.iter().any(|name| contains_ident(text, name))
    };
    let allowed = |text: &str| {
        ALLOWED
            .iter()
            .any(|(file, start)| *file == file_name && text.starts_with(start))
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (number, line) = &lines[i];
        let trimmed = line.trim_start();
        let (end, signature) = if trimmed.starts_with("pub ") {
            public_item(&lines, i)
        } else if is_impl_header(trimmed) {
            let (end, header) = until(&lines, i, |text| text.contains('{') || text.ends_with(';'));
            if CONVERSION_TRAITS.iter().any(|t| header.contains(t)) {
                (end, header)
            } else {
                (end, String::new())
            }
        } else {
            (i, String::new())
        };
        if !signature.is_empty() && mentions(&signature) && !allowed(&signature) {
            found.push(Leak {
                line: *number,
                signature,
            });
        }
        // Item headers are consumed (a public enum's or trait's body with them); the bodies
        // of structs, impl blocks and modules are read line by line.
        i = if end > i && !trimmed.starts_with("pub mod ") {
            end + 1
        } else {
            i + 1
        };
    }
    found
}

/// `impl …` headers (`impl X`, `impl<T> X`), not `impl` inside an expression.
fn is_impl_header(trimmed: &str) -> bool {
    trimmed.starts_with("impl ") || trimmed.starts_with("impl<")
}

/// The signature of the public item starting at `start`, and the index of its last line.
fn public_item(lines: &[(usize, String)], start: usize) -> (usize, String) {
    let first = lines[start].1.trim_start();
    let is_fn = first
        .split('(')
        .next()
        .is_some_and(|head| head.split_whitespace().any(|word| word == "fn"));
    if first.starts_with("pub enum ") || first.starts_with("pub trait ") {
        // Every variant of a public enum, every item of a public trait, is public.
        return balanced(lines, start);
    }
    if first.starts_with("pub const ") || first.starts_with("pub static ") {
        // The type is public; the value that initialises it is not.
        let (end, item) = until(lines, start, |text| text.ends_with(';'));
        let declared = item.split(" = ").next().unwrap_or_default().to_owned();
        return (end, declared);
    }
    if is_fn
        || first.starts_with("pub struct ")
        || first.starts_with("pub union ")
        || first.starts_with("pub type ")
        || first.starts_with("pub use ")
        || first.starts_with("pub mod ")
    {
        return until(lines, start, |text| {
            text.contains('{') || text.ends_with(';')
        });
    }
    // A field: up to the `,` (or the struct's `}`) that closes its type.
    let mut depth = 0i32;
    let mut text = String::new();
    for (offset, (_, line)) in lines[start..].iter().enumerate() {
        let trimmed = line.trim();
        text.push_str(trimmed);
        text.push(' ');
        depth += bracket_depth(trimmed);
        if depth <= 0 && (trimmed.ends_with(',') || trimmed.ends_with('}')) {
            return (start + offset, text.trim_end().to_owned());
        }
    }
    (lines.len() - 1, text.trim_end().to_owned())
}

/// Opening minus closing `(`, `[`, `<` on a line, arrows aside.
fn bracket_depth(line: &str) -> i32 {
    let line = line.replace("->", "").replace("=>", "");
    line.chars()
        .map(|c| match c {
            '(' | '[' | '<' => 1,
            ')' | ']' | '>' => -1,
            _ => 0,
        })
        .sum()
}

/// The lines from `start` up to the first one for which `end` holds, joined.
fn until(lines: &[(usize, String)], start: usize, end: impl Fn(&str) -> bool) -> (usize, String) {
    let mut text = String::new();
    for (offset, (_, line)) in lines[start..].iter().enumerate() {
        let trimmed = line.trim();
        text.push_str(trimmed);
        text.push(' ');
        if end(trimmed) {
            return (start + offset, text.trim_end().to_owned());
        }
    }
    (lines.len() - 1, text.trim_end().to_owned())
}

/// The lines from `start` to the `}` that closes the first `{` (or the first `;`, for an
/// item without a body), joined.
fn balanced(lines: &[(usize, String)], start: usize) -> (usize, String) {
    let mut depth = 0i32;
    let mut opened = false;
    let mut text = String::new();
    for (offset, (_, line)) in lines[start..].iter().enumerate() {
        let trimmed = line.trim();
        text.push_str(trimmed);
        text.push(' ');
        for c in trimmed.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if (opened && depth <= 0) || (!opened && trimmed.ends_with(';')) {
            return (start + offset, text.trim_end().to_owned());
        }
    }
    (lines.len() - 1, text.trim_end().to_owned())
}

/// The file's lines (numbered from 1) without comments and without `#[cfg(test)]` items.
fn code_lines(source: &str) -> Vec<(usize, String)> {
    let all: Vec<(usize, &str)> = source
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let trimmed = all[i].1.trim();
        if trimmed.starts_with("//") || trimmed.is_empty() {
            i += 1;
            continue;
        }
        if trimmed == "#[cfg(test)]" {
            // Skip the item the attribute applies to.
            let owned: Vec<(usize, String)> = all[i + 1..]
                .iter()
                .map(|(n, l)| (*n, (*l).to_owned()))
                .collect();
            if owned.is_empty() {
                break;
            }
            let (end, _) = balanced(&owned, 0);
            i += end + 2;
            continue;
        }
        out.push((all[i].0, all[i].1.to_owned()));
        i += 1;
    }
    out
}

/// Names the file imports from the generated crate (`use cryptopocket_api::{Amount, …}`,
/// `use cryptopocket_api::types::{Asset, …}`), other than the module `types` itself.
fn forbidden_names(lines: &[(usize, String)]) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].1.trim_start();
        if trimmed.starts_with("use cryptopocket_api")
            || trimmed.starts_with("pub use cryptopocket_api")
        {
            let (end, statement) = until(lines, i, |text| text.ends_with(';'));
            let imported = statement
                .trim_start_matches("pub ")
                .trim_start_matches("use ")
                .trim_end_matches(';');
            for word in imported.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !word.is_empty()
                    && !matches!(word, "cryptopocket_api" | "types" | "self" | "as" | "super")
                {
                    names.push(word.to_owned());
                }
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    names
}

/// Whether `text` holds `name` as a whole identifier.
fn contains_ident(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_public_signature_mentions_the_generated_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut report = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "public_api_tests.rs" {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a source file");
        for leak in leaks(name, &source) {
            let shown = path.strip_prefix(&root).unwrap_or(&path).display();
            report.push(format!("{shown}:{}: {}", leak.line, leak.signature));
        }
    }
    assert!(
        report.is_empty(),
        "public signatures that mention cryptopocket_api (return or take the crate's own \
         types instead; only Client::raw may hand out the generated client):\n{}",
        report.join("\n")
    );
}

/// The scanner itself finds each kind of leak, and passes what is allowed or private.
#[test]
fn the_scanner_finds_every_kind_of_leak() {
    let source = r#"
use cryptopocket_api::{Amount, types};
use cryptopocket_api::types::{Asset as WireAsset, Customer};

/// A comment that mentions types::Asset is fine.
pub struct Found {
    pub ok: String,
    pub raw: types::Quote,
    pub amount: Option<
        Amount,
    >,
    hidden: types::Quote,
}

pub enum Event {
    Known(String),
    Wire(Customer),
}

pub(crate) fn private(raw: types::Asset) -> Found {
    todo!()
}

impl Found {
    pub async fn assets(
        &self,
        flag: bool,
    ) -> Result<Vec<WireAsset>, Error> {
        todo!()
    }

    pub fn fine(&self) -> Vec<String> {
        let x: types::Asset = todo!();
    }
}

impl From<types::Quote> for Found {
    fn from(raw: types::Quote) -> Self {
        todo!()
    }
}

impl Envelope for types::QuoteResponse {
    type Data = types::Quote;
}

pub fn raw(&self) -> &cryptopocket_api::Client {
    todo!()
}

pub const URL: &str = cryptopocket_api::SANDBOX_BASE_URL;
pub const WIRE: Option<types::Quote> = None;

#[cfg(test)]
mod tests {
    pub fn helper() -> types::Asset {
        todo!()
    }
}
"#;
    let lines: Vec<usize> = leaks("area.rs", source).iter().map(|l| l.line).collect();
    // `raw`, the multi-line `amount`, the enum (with its `Wire(Customer)`), the multi-line
    // `assets`, the `From` impl, `raw()` outside client.rs, and the constant of a generated
    // type (not the one merely initialised from the generated crate).
    assert_eq!(
        lines,
        [8, 9, 15, 25, 37, 47, 52],
        "{:#?}",
        leaks("area.rs", source)
    );
    let allowed = "pub fn raw(&self) -> &cryptopocket_api::Client {\n    todo!()\n}\n";
    assert_eq!(leaks("client.rs", allowed), []);
    assert_eq!(leaks("other.rs", allowed).len(), 1);
}

/// The string literals of a line of code (`"…"`, escapes kept as written).
fn string_literals(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let mut escaped = false;
        let end = after.char_indices().find_map(|(i, c)| match (escaped, c) {
            (true, _) => {
                escaped = false;
                None
            }
            (false, '\\') => {
                escaped = true;
                None
            }
            (false, '"') => Some(i),
            _ => None,
        });
        let Some(end) = end else { break };
        found.push(&after[..end]);
        rest = &after[end + 1..];
    }
    found
}

/// The spec drives the wiring: outside `call.rs`, no code names an effect, and no string
/// literal restates an operationId of the generated table; both come from the endpoint
/// types (`call::<endpoints::GetPayment>`). Comments and tests may name operations.
#[test]
fn no_operation_id_or_effect_is_typed_by_hand() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let ids: Vec<&str> = cryptopocket_api::operations::ALL
        .iter()
        .map(|op| op.id)
        .collect();
    assert_eq!(ids.len(), 26, "{ids:?}");
    let mut report = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "public_api_tests.rs" {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a source file");
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        for (number, line) in code_lines(&source) {
            let code = line.split("//").next().unwrap_or_default();
            if name != "call.rs" && code.contains("Effect::") {
                report.push(format!("{shown}:{number}: an effect: {}", line.trim()));
            }
            for literal in string_literals(code) {
                if ids.contains(&literal) {
                    report.push(format!("{shown}:{number}: \"{literal}\": {}", line.trim()));
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "take the operation from `cryptopocket_api::endpoints` instead:\n{}",
        report.join("\n")
    );
}

#[test]
fn string_literals_are_found_with_their_escapes() {
    assert_eq!(
        string_literals(r#"call("getPayment", "a\"b", 'x') + "listPayments""#),
        ["getPayment", r#"a\"b"#, "listPayments"]
    );
    assert_eq!(string_literals("no literal"), Vec::<&str>::new());
}
