//! [`Operation`]: one row of the operation table `cargo xtask gen` writes from the spec, the
//! [`Effect`] each operation has on server state, and [`Endpoint`], which ties a row to the
//! types the generated client decodes its answers into.

/// What an operation does to server state: the spec's `x-effect`. A client decides from it
/// whether a failed attempt may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Effect {
    /// Reads: sending it again changes nothing.
    Read,
    /// Creates something (a payment, a customer, an off-ramp): sending it twice may create
    /// two. Never repeated once it may have reached the server.
    Create,
    /// Writes whose repetition leaves the same state (authenticate, a webhook subscription):
    /// retried like a read.
    Idempotent,
}

impl Effect {
    /// Whether an attempt that may have reached the server may be sent again.
    pub fn is_repeatable(self) -> bool {
        !matches!(self, Effect::Create)
    }
}

/// One operation as a type: its row of the table and the types its answers decode into.
/// `cargo xtask gen` writes one per operation in [`endpoints`](crate::endpoints)
/// (`endpoints::GetPayment`).
pub trait Endpoint {
    /// The HTTP 200 envelope.
    type Envelope;
    /// The body of the operation's declared error statuses; `()` when it declares none.
    type ErrorBody;
    /// The operation's row of [`operations`](crate::operations).
    const OPERATION: &'static Operation;
}

/// What the spec says about one operation, for code that needs it at run time. The table is
/// [`operations::ALL`](crate::operations::ALL), one constant per operation
/// (`operations::GET_PAYMENT`), generated from `openapi/cryptopocket.yaml`.
///
/// ```
/// let op = cryptopocket_api::Operation::find("getPayment").unwrap();
/// assert_eq!((op.method, op.path, op.name), ("GET", "/payment/{payment_id}", "get_payment"));
/// assert_eq!(op.body, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's operationId (`getPayment`).
    pub id: &'static str,
    /// progenitor's name for it, that of the generated client's method (`get_payment`):
    /// the name request hooks and exchange observers are given.
    pub name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, relative to the base URL.
    pub path: &'static str,
    /// The request body's media type (`application/json`,
    /// `application/x-www-form-urlencoded`); `None` when the operation takes no body.
    pub body: Option<&'static str>,
    /// The operation's `x-provenance`: `documented`, `partial` or `inferred`.
    pub provenance: &'static str,
    /// What it does to server state (`x-effect`).
    pub effect: Effect,
    /// Whether its answer carries Laravel's `pagination` (a list walked page by page).
    pub paged: bool,
    /// JSON pointers into the 200 body (`*` standing for any array index) of the optional
    /// fields that only an undocumented (inferred or partial) schema describes. A server may
    /// send such a field in a shape the spec did not guess; a client may drop it, with a
    /// warning, rather than fail the whole response.
    pub lenient: &'static [&'static str],
}

impl Operation {
    /// The operation with this operationId.
    pub fn find(id: &str) -> Option<&'static Operation> {
        crate::operations::ALL.iter().find(|op| op.id == id)
    }

    /// Whether the field at `pointer` (array indices written as numbers, as in
    /// `/data/3/network`) is one of [`Operation::lenient`].
    pub fn is_lenient(&self, pointer: &str) -> bool {
        self.lenient.iter().any(|pattern| matches(pattern, pointer))
    }
}

/// Whether `pointer` matches `pattern` token by token, `*` matching any array index.
fn matches(pattern: &str, pointer: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = pointer.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some("*"), Some(token))
                if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}
