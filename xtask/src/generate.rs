//! Turning the linted spec into `crates/cryptopocket-api/src/generated.rs`.

use std::{
    collections::BTreeSet,
    fs,
    io::Write,
    panic::{self, AssertUnwindSafe},
    path::Path,
};

use anyhow::{Context, Result, anyhow, bail};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use schemars::schema::{InstanceType, SchemaObject};
use sha2::{Digest, Sha256};
use similar::TextDiff;

use crate::spec::Spec;

/// The progenitor this xtask links; `Cargo.toml` pins the same (a test keeps them equal).
pub const PROGENITOR_VERSION: &str = "0.15.1";

/// The hand-written type in `crates/cryptopocket-api/src/lib.rs` that every generated
/// `Client` carries and that sees each request before it is sent.
const HOOKS_TYPE: &str = "crate::Hooks";

/// The spec's schema every amount refers to, and the hand-written exact decimal it becomes
/// (`crates/cryptopocket-api/src/amount.rs`).
const AMOUNT_SCHEMA: &str = "Amount";
const AMOUNT_TYPE: &str = "crate::Amount";

/// The spec's shapes that become the representation-tolerant types of
/// `crates/cryptopocket-api/src/tolerant.rs` (`type`, `format`, Rust type): a server may send
/// an integer as a string, an id as a number, a timestamp in Laravel's format. A schema
/// with an `x-` extension beside these keys would not match (typify compares the whole
/// schema but its metadata); the test over the generated file catches that.
const TOLERANT: [(InstanceType, &str, &str); 4] = [
    (InstanceType::Integer, "int64", "crate::Int"),
    (InstanceType::Integer, "int32", "crate::Int"),
    (InstanceType::String, "date-time", "crate::Timestamp"),
    (InstanceType::String, "id", "crate::Id"),
];

/// How many diff lines `--check` prints before it summarises the rest.
const DIFF_LINES: usize = 200;

/// Generates the client source for `spec`, header included. Deterministic: the same spec
/// gives the same bytes.
pub fn generate(spec: &Spec) -> Result<String> {
    let api: openapiv3::OpenAPI = serde_json::from_value(spec.value.clone())
        .context("the spec does not have the structure of an OpenAPI 3.0 document")?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap")
        // The API wants a token in an `auth` header that changes at runtime, and reqwest has
        // no interceptors: `lib.rs` implements `ClientHooks` for the client around this type.
        .with_inner_type(
            HOOKS_TYPE
                .parse()
                .map_err(|e| anyhow!("{HOOKS_TYPE}: {e}"))?,
        )
        .with_hooks(HooksMode::Expected)
        // Every amount refers to the spec's `Amount` schema, which becomes the exact decimal
        // in `lib.rs`: no amount is ever generated as a float.
        .with_replacement(
            AMOUNT_SCHEMA,
            AMOUNT_TYPE,
            [TypeImpl::Display, TypeImpl::FromStr, TypeImpl::Default].into_iter(),
        );
    for (instance, format, rust_type) in TOLERANT {
        settings.with_conversion(
            SchemaObject {
                instance_type: Some(instance.into()),
                format: Some(format.to_owned()),
                ..Default::default()
            },
            rust_type,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }

    let tokens = without_panics(|| Generator::new(&settings).generate_tokens(&api))?
        .map_err(|e| anyhow!("progenitor refused the spec: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).context("progenitor produced code that does not parse")?;
    without_api_version_header(&mut file.items);
    // The table names each operation's method; a progenitor that named one otherwise would
    // leave hooks and captures a name no method has.
    let methods = client_methods(&file.items);
    if let Some(id) = crate::operations::ids(&spec.value)
        .find(|id| !methods.contains(&crate::operations::method_name(id)))
    {
        bail!(
            "the generated client has no method `{}` for `{id}`: progenitor names operations \
             otherwise than `operations::method_name`",
            crate::operations::method_name(id)
        );
    }
    let table: syn::File = syn::parse_str(&crate::operations::source(&spec.value))
        .context("the operation table does not parse")?;
    file.items.extend(table.items);
    Ok(format!(
        "{}{}",
        header(&spec.text),
        prettyplease::unparse(&file)
    ))
}

/// The names of the methods of the generated file's top-level `impl` blocks (the client's
/// operations among them).
fn client_methods(items: &[syn::Item]) -> BTreeSet<String> {
    let impls = items.iter().filter_map(|item| match item {
        syn::Item::Impl(block) => Some(block),
        _ => None,
    });
    impls
        .flat_map(|block| &block.items)
        .filter_map(|item| match item {
            syn::ImplItem::Fn(method) => Some(method.sig.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Progenitor sends an `api-version` header (the spec's `info.version`) on every request,
/// a convention of Dropshot servers. CryptoPocket documents no such header, and building
/// and sending it was about 2,300 instructions of a call's 88,000 (a header map allocated,
/// merged into the request, written out): each operation's `send` is rewritten without it.
/// A header the spec declares as a parameter stays. The other rewrites of each `send`
/// happen in the same walk: path parameters encoded in place, responses decoded without a
/// copy of their headers.
fn without_api_version_header(items: &mut [syn::Item]) {
    for item in items {
        match item {
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &mut module.content {
                    without_api_version_header(items);
                }
            }
            syn::Item::Impl(block) => {
                for member in &mut block.items {
                    if let syn::ImplItem::Fn(function) = member {
                        strip_api_version(&mut function.block.stmts);
                        encode_paths_in_place(&mut function.block.stmts);
                        for stmt in &mut function.block.stmts {
                            if let syn::Stmt::Expr(expr, _) = stmt {
                                decode_without_header_copy(expr);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Progenitor decodes each declared response with `ResponseValue::from_response(response)`,
/// which clones the response's headers (a map and every value in it) and whose future
/// makes every send future larger; `crate::decode_response` (`crates/cryptopocket-api/src/
/// lib.rs`) does the same with the headers moved and a future of 376 bytes instead of 944.
/// Every such call in the `match` on the status that ends a `send` is rewritten to it.
fn decode_without_header_copy(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Match(outer) => {
            for arm in &mut outer.arms {
                decode_without_header_copy(&mut arm.body);
            }
        }
        syn::Expr::Block(block) => {
            for stmt in &mut block.block.stmts {
                if let syn::Stmt::Expr(expr, _) = stmt {
                    decode_without_header_copy(expr);
                }
            }
        }
        syn::Expr::Await(inner) => decode_without_header_copy(&mut inner.base),
        syn::Expr::Try(inner) => decode_without_header_copy(&mut inner.expr),
        syn::Expr::Paren(inner) => decode_without_header_copy(&mut inner.expr),
        syn::Expr::Call(call) => {
            if let syn::Expr::Path(function) = &mut *call.func {
                let names: Vec<String> = function
                    .path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect();
                if names == ["ResponseValue", "from_response"] {
                    function.path = syn::Path {
                        leading_colon: None,
                        segments: ["crate", "decode_response"]
                            .into_iter()
                            .map(|name| {
                                syn::PathSegment::from(proc_macro2::Ident::new(
                                    name,
                                    proc_macro2::Span::call_site(),
                                ))
                            })
                            .collect(),
                    };
                }
            }
            for argument in &mut call.args {
                decode_without_header_copy(argument);
            }
        }
        _ => {}
    }
}

/// Progenitor builds each URL with `format!("..{}..", .., encode_path(&id.to_string()))`:
/// a copy of the parameter, then a second, encoded string, both formatted again into the
/// URL. `crate::PathSegment(&id)` writes the same encoded text straight into it
/// (`crates/cryptopocket-api/src/lib.rs`; a proptest holds it to `encode_path`).
fn encode_paths_in_place(stmts: &mut [syn::Stmt]) {
    for stmt in stmts {
        if let syn::Stmt::Local(local) = stmt
            && let Some(init) = &mut local.init
            && let syn::Expr::Macro(call) = &mut *init.expr
            && call.mac.path.is_ident("format")
        {
            call.mac.tokens = with_path_segments(std::mem::take(&mut call.mac.tokens));
        }
    }
}

/// `encode_path ( & EXPR . to_string ( ) )` → `crate :: PathSegment ( & EXPR )`, token by
/// token (a macro's arguments are not parsed into expressions).
fn with_path_segments(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenTree};

    let mut out: Vec<TokenTree> = Vec::new();
    let mut input = tokens.into_iter().peekable();
    while let Some(token) = input.next() {
        let is_encode_path = matches!(&token, TokenTree::Ident(ident) if ident == "encode_path");
        if let (true, Some(TokenTree::Group(group))) = (is_encode_path, input.peek())
            && group.delimiter() == Delimiter::Parenthesis
        {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            let n = inner.len();
            let is_to_string = n >= 5
                && matches!(&inner[0], TokenTree::Punct(p) if p.as_char() == '&')
                && matches!(&inner[n - 3], TokenTree::Punct(p) if p.as_char() == '.')
                && matches!(&inner[n - 2], TokenTree::Ident(i) if i == "to_string")
                && matches!(&inner[n - 1], TokenTree::Group(g)
                    if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty());
            if is_to_string {
                input.next();
                out.push(TokenTree::Ident(Ident::new("crate", Span::call_site())));
                out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
                out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
                out.push(TokenTree::Ident(Ident::new(
                    "PathSegment",
                    Span::call_site(),
                )));
                let argument: proc_macro2::TokenStream = inner[..n - 3].iter().cloned().collect();
                out.push(TokenTree::Group(Group::new(
                    Delimiter::Parenthesis,
                    argument,
                )));
                continue;
            }
        }
        out.push(token);
    }
    out.into_iter().collect()
}

/// The name progenitor gives the header map of a request.
const HEADER_MAP: &str = "header_map";

/// In one `send`: `let mut header_map = ..; header_map.append("api-version", ..);` then
/// either the header parameters' statements (the map stays, without `api-version`) or,
/// for an operation without any, straight the request (the map goes, and so does the
/// request builder's `.headers(header_map)`).
fn strip_api_version(stmts: &mut Vec<syn::Stmt>) {
    let Some(at) = stmts.iter().position(is_api_version_append) else {
        return;
    };
    stmts.remove(at);
    let map_is_empty = at > 0
        && is_header_map_let(&stmts[at - 1])
        && stmts
            .get(at)
            .is_some_and(|next| matches!(next, syn::Stmt::Local(_)));
    if !map_is_empty {
        return;
    }
    stmts.remove(at - 1);
    for stmt in stmts.iter_mut() {
        if let syn::Stmt::Local(local) = stmt
            && let Some(init) = &mut local.init
        {
            without_headers_call(&mut init.expr);
        }
    }
}

fn is_ident(expr: &syn::Expr, name: &str) -> bool {
    matches!(expr, syn::Expr::Path(path) if path.path.is_ident(name))
}

fn is_header_map_let(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Local(local)
        if matches!(&local.pat, syn::Pat::Ident(pat) if pat.ident == HEADER_MAP))
}

/// `header_map.append(HeaderName::from_static("api-version"), ..)`.
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
        return false;
    };
    let names_api_version = |arg: &syn::Expr| match arg {
        syn::Expr::Call(call) => call.args.iter().any(|arg| {
            matches!(arg, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. })
                if text.value() == "api-version")
        }),
        _ => false,
    };
    is_ident(&call.receiver, HEADER_MAP)
        && call.method == "append"
        && call.args.first().is_some_and(names_api_version)
}

/// Removes `.headers(header_map)` from a method chain (`client.get(url).header(..)
/// .headers(header_map).build()?`).
fn without_headers_call(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Try(inner) => without_headers_call(&mut inner.expr),
        syn::Expr::Await(inner) => without_headers_call(&mut inner.base),
        syn::Expr::MethodCall(call) => {
            let is_headers = call.method == "headers"
                && call.args.len() == 1
                && is_ident(&call.args[0], HEADER_MAP);
            if is_headers {
                let receiver = std::mem::replace(&mut *call.receiver, syn::Expr::PLACEHOLDER);
                *expr = receiver;
                without_headers_call(expr);
            } else {
                without_headers_call(&mut call.receiver);
            }
        }
        _ => {}
    }
}

fn header(spec_text: &str) -> String {
    let digest: String = Sha256::digest(spec_text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!(
        "// @generated by `cargo xtask gen` from openapi/cryptopocket.yaml. Do not edit by hand:\n\
         // change the spec or the xtask and run `cargo xtask gen` again.\n\
         // spec-sha256: {digest}\n\
         // generator: progenitor {PROGENITOR_VERSION}\n\n"
    )
}

/// Runs `f`, turning a panic inside progenitor or typify into an error with its message.
fn without_panics<T>(f: impl FnOnce() -> T) -> Result<T> {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        anyhow!(
            "progenitor panicked on this spec: {message}\n\
             (add a lint rule for this case so it gets a pointer and a clear message)"
        )
    })
}

/// What `--check` found.
pub enum Freshness {
    /// The checked-in file equals the regenerated one.
    Fresh,
    /// They differ; the unified diff, possibly shortened.
    Stale(String),
}

/// Compares the checked-in file with freshly generated code.
pub fn check(path: &Path, generated: &str) -> Result<Freshness> {
    let current = match fs::read_to_string(path) {
        Ok(current) => current,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if current == generated {
        return Ok(Freshness::Fresh);
    }
    let name = path.display().to_string();
    let diff = TextDiff::from_lines(&current, generated)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (regenerated)"),
        )
        .to_string();
    let total = diff.lines().count();
    let mut shown: String = diff
        .lines()
        .take(DIFF_LINES)
        .flat_map(|line| [line, "\n"])
        .collect();
    if total > DIFF_LINES {
        shown.push_str(&format!("... {} more diff lines\n", total - DIFF_LINES));
    }
    Ok(Freshness::Stale(shown))
}

/// Replaces `path` with `contents` so that a reader sees the old file or the new one, never
/// half of either: the bytes go to a temporary file beside it, which is then renamed.
/// Returns `false` (and leaves the file alone) when it already holds `contents`.
pub fn write_atomically(path: &Path, contents: &str) -> Result<bool> {
    if fs::read_to_string(path).is_ok_and(|current| current == contents) {
        return Ok(false);
    }
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(contents.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    fn tiny_spec(extra_property: &str) -> Spec {
        let text = format!(
            r#"
openapi: 3.0.3
info: {{title: t, version: "1"}}
paths:
  /payment/{{payment_id}}:
    get:
      operationId: getPayment
      parameters:
        - {{in: path, name: payment_id, required: true, schema: {{type: string}}}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                title: GetPaymentResponse
                required: [status]
                properties:
                  status: {{type: string}}
                  {extra_property}
"#
        );
        Spec {
            value: spec::parse(&text).unwrap(),
            text,
        }
    }

    #[test]
    fn output_is_deterministic_and_carries_the_header() {
        let spec = tiny_spec("");
        let first = generate(&spec).unwrap();
        assert_eq!(first, generate(&spec).unwrap());
        assert!(first.starts_with("// @generated by `cargo xtask gen`"));
        assert!(first.contains("// generator: progenitor 0.15.1\n"));
        let sha_line = first.lines().nth(2).unwrap();
        assert_eq!(sha_line.len(), "// spec-sha256: ".len() + 64, "{sha_line}");
        assert!(first.contains("pub struct GetPaymentResponse"));
    }

    #[test]
    fn sends_carry_no_api_version_header_and_encode_paths_in_place() {
        let code = generate(&tiny_spec("")).unwrap();
        assert!(!code.contains("api-version"), "{code}");
        assert!(!code.contains("header_map"), "{code}");
        assert!(!code.contains("encode_path(&"), "{code}");
        assert!(code.contains("crate ::PathSegment(& payment_id)"), "{code}");
        assert!(!code.contains("from_response"), "{code}");
        assert!(
            code.contains("crate::decode_response(response).await"),
            "{code}"
        );
        // What progenitor still emits around them is untouched.
        assert!(code.contains("fn api_version() -> &'static str"));
        assert!(code.contains(".get(url)"));
    }

    #[test]
    fn a_changed_spec_changes_the_hash() {
        assert_ne!(header("a: 1\n"), header("a: 2\n"));
    }

    #[test]
    fn check_reports_a_readable_diff_for_a_stale_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("generated.rs");
        let old = generate(&tiny_spec("")).unwrap();
        fs::write(&path, &old).unwrap();
        assert!(matches!(check(&path, &old).unwrap(), Freshness::Fresh));

        let new = generate(&tiny_spec("txid: {type: string}")).unwrap();
        let Freshness::Stale(diff) = check(&path, &new).unwrap() else {
            panic!("a changed schema must make the file stale");
        };
        assert!(diff.contains("(checked in)") && diff.contains("(regenerated)"));
        assert!(
            diff.lines()
                .any(|l| l.starts_with('+') && l.contains("txid"))
        );
    }

    #[test]
    fn atomic_write_replaces_and_skips_identical_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("generated.rs");
        fs::write(&path, "old").unwrap();
        assert!(write_atomically(&path, "new").unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert!(!write_atomically(&path, "new").unwrap());
        // Only the target remains: the temporary file was renamed, not left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_progenitor_panic_becomes_an_error() {
        let err = without_panics(|| -> u8 { panic!("boom") }).unwrap_err();
        assert!(
            err.to_string()
                .contains("progenitor panicked on this spec: boom")
        );
    }

    #[test]
    fn the_pinned_progenitor_is_the_one_named_in_the_header() {
        let manifest = include_str!("../../Cargo.toml");
        let pin = format!("progenitor = {{ version = \"={PROGENITOR_VERSION}\"");
        assert!(manifest.contains(&pin), "Cargo.toml must pin {pin}");
    }
}
