//! The 26 operations of `openapi/cryptopocket.yaml`, one handler each, grouped as the
//! docs group them, plus the end-user pages and the sandbox's own control routes.

mod banking;
mod common;
mod customers;
pub(crate) mod gateway;
mod offramp;
mod onramp;
mod paging;
mod subscriptions;

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use cryptopocket_api::operations as spec;

use crate::reply::{Fail, fail};
use crate::server::{AppState, Checked};

/// One operation: its row of the spec's operation table (`cryptopocket_api::operations`,
/// which `cargo xtask gen` writes from `openapi/cryptopocket.yaml`) and its handler. The
/// method and the path come from the row, so the sandbox serves each operation where the
/// spec puts it.
pub(crate) struct Operation {
    /// The spec's row: operationId, method, path.
    pub(crate) spec: &'static cryptopocket_api::Operation,
    /// The handler behind the operations' checks (`Checked`), answering the given method.
    handler: fn(MethodFilter, &'static str) -> MethodRouter<AppState>,
}

impl Operation {
    /// The spec's `operationId`.
    pub(crate) fn id(&self) -> &'static str {
        self.spec.id
    }

    /// The route: the spec's path under `/api`, the base URL's path.
    pub(crate) fn route(&self) -> String {
        format!("/api{}", self.spec.path)
    }

    /// The handler at the spec's method.
    ///
    /// # Panics
    ///
    /// When the spec's method is not one axum routes (GET, POST, PUT, PATCH, DELETE, …);
    /// `every_operation_routes` tests each row.
    pub(crate) fn method_router(&self) -> MethodRouter<AppState> {
        let filter = Method::from_bytes(self.spec.method.as_bytes())
            .ok()
            .and_then(|method| MethodFilter::try_from(method).ok())
            .unwrap_or_else(|| {
                panic!(
                    "{}: the spec's method {:?} cannot be routed",
                    self.spec.id, self.spec.method
                )
            });
        (self.handler)(filter, self.spec.id)
    }
}

/// A row of [`OPERATIONS`]: the spec's operation and the handler that serves it.
macro_rules! serve {
    ($spec:ident => $handler:path) => {
        Operation {
            spec: &spec::$spec,
            handler: |method, id| on(method, Checked::new(Some(id), $handler)),
        }
    };
}

/// Every operation of the spec with its handler, in the spec's order.
pub(crate) const OPERATIONS: &[Operation] = &[
    serve!(AUTHENTICATE => common::authenticate),
    serve!(GET_TOKEN_PRICE => common::token_price),
    serve!(GET_AVAILABLE_ASSETS => common::available_assets),
    serve!(LIST_CUSTOMERS => customers::list),
    serve!(REGISTER_USER => customers::register),
    serve!(REGISTER_USER_KYC_DELEGATED => customers::register_delegated),
    serve!(REGISTER_COMPANY => customers::register_company),
    serve!(CHECK_KYC => customers::check_kyc),
    serve!(CREATE_ONBOARDING_FORM => customers::onboarding_form),
    serve!(UPLOAD_CUSTOMER_DOCUMENT => customers::upload_document),
    serve!(FIND_USER => customers::find),
    serve!(LIST_PAYMENT_METHODS => common::payment_methods),
    serve!(GET_QUOTE => common::quote),
    serve!(CREATE_PAYMENT => onramp::create_payment),
    serve!(CREATE_GUIDED_PAYMENT => onramp::create_guided),
    serve!(GET_PAYMENT => onramp::get_payment),
    serve!(LIST_PAYMENTS => onramp::list),
    serve!(GET_RAMPOFF_QUOTE => common::rampoff_quote),
    serve!(CREATE_RAMPOFF => offramp::create),
    serve!(GET_RAMPOFF => offramp::get),
    serve!(LIST_RAMPOFFS => offramp::list),
    serve!(LIST_BANK_ACCOUNTS => banking::accounts),
    serve!(LIST_BANK_ACCOUNT_TRANSACTIONS => banking::transactions),
    serve!(RECONCILE_PAYMENT => banking::reconcile),
    serve!(SUBSCRIBE_TO_WEBHOOK => subscriptions::subscribe),
    serve!(UPDATE_WEBHOOK_SUBSCRIPTION => subscriptions::update),
];

/// Refuses a new record with `unexpected_error` when the sandbox already holds `max` of
/// them (`Limits`), so its memory stays flat.
fn room_for(held: usize, max: usize, what: &str) -> Result<(), Fail> {
    if held >= max {
        return Err(fail!(
            "unexpected_error",
            "the sandbox holds its maximum of {max} {what}; restart it"
        ));
    }
    Ok(())
}

/// The values of one of the spec's closed enums (`cryptopocket_api::types`), in the
/// spec's order, read from the JSON Schema generated with it.
fn spec_values<T: schemars::JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(T).schema;
    let values = schema.enum_values.unwrap_or_default();
    values
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The sandbox serves every operation of the spec's table and nothing else, each once.
    #[test]
    fn the_operations_are_the_spec_table() {
        let served: Vec<&str> = OPERATIONS.iter().map(Operation::id).collect();
        let unique: BTreeSet<&str> = served.iter().copied().collect();
        assert_eq!(
            unique.len(),
            served.len(),
            "an operation is served twice: {served:?}"
        );
        let table: BTreeSet<&str> = spec::ALL.iter().map(|op| op.id).collect();
        let missing: Vec<_> = table.difference(&unique).collect();
        let extra: Vec<_> = unique.difference(&table).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "not served: {missing:?}; served but not in the spec: {extra:?}"
        );
    }

    /// The closed enums the handlers check (event types, upload and identity documents)
    /// are the spec's, in its order.
    #[test]
    fn spec_enums_list_their_values() {
        use cryptopocket_api::types::{DocumentType, IdentityDocumentType, WebhookEventType};
        let events = spec_values::<WebhookEventType>();
        let expected =
            "PAY_IN, COINS_SENT, CRYPTO_RECEIVED, TRANSFER_RAMPOFF_FINISHED, RAMPOFF_FINISHED";
        assert_eq!(events.join(", "), expected);
        let documents = spec_values::<DocumentType>();
        assert_eq!(documents.len(), 23, "{documents:?}");
        assert_eq!(
            (documents[0].as_str(), documents[22].as_str()),
            ("onboarding_form", "other")
        );
        assert_eq!(spec_values::<IdentityDocumentType>().len(), 21);
        for value in documents {
            assert!(value.parse::<DocumentType>().is_ok(), "{value}");
        }
    }

    #[test]
    fn every_operation_routes() {
        for op in OPERATIONS {
            let _ = op.method_router();
            assert!(op.route().starts_with("/api/"), "{}", op.route());
        }
        let routes: BTreeSet<String> = OPERATIONS.iter().map(Operation::route).collect();
        assert_eq!(routes.len(), OPERATIONS.len());
    }
}
