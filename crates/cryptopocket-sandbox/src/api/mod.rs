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

use crate::server::AppState;

/// One operation: its row of the spec's operation table (`cryptopocket_api::operations`,
/// which `cargo xtask gen` writes from `openapi/cryptopocket.yaml`) and its handler. The
/// method and the path come from the row, so the sandbox serves each operation where the
/// spec puts it.
pub(crate) struct Operation {
    /// The spec's row: operationId, method, path.
    pub(crate) spec: &'static cryptopocket_api::Operation,
    /// The handler, answering the given method.
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
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
        (self.handler)(filter)
    }
}

const fn serve(
    spec: &'static cryptopocket_api::Operation,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> Operation {
    Operation { spec, handler }
}

/// Every operation of the spec with its handler, in the spec's order.
pub(crate) const OPERATIONS: &[Operation] = &[
    serve(&spec::AUTHENTICATE, |method| {
        on(method, common::authenticate)
    }),
    serve(&spec::GET_TOKEN_PRICE, |method| {
        on(method, common::token_price)
    }),
    serve(&spec::GET_AVAILABLE_ASSETS, |method| {
        on(method, common::available_assets)
    }),
    serve(&spec::LIST_CUSTOMERS, |method| on(method, customers::list)),
    serve(&spec::REGISTER_USER, |method| {
        on(method, customers::register)
    }),
    serve(&spec::REGISTER_USER_KYC_DELEGATED, |method| {
        on(method, customers::register_delegated)
    }),
    serve(&spec::REGISTER_COMPANY, |method| {
        on(method, customers::register_company)
    }),
    serve(&spec::CHECK_KYC, |method| on(method, customers::check_kyc)),
    serve(&spec::CREATE_ONBOARDING_FORM, |method| {
        on(method, customers::onboarding_form)
    }),
    serve(&spec::UPLOAD_CUSTOMER_DOCUMENT, |method| {
        on(method, customers::upload_document)
    }),
    serve(&spec::FIND_USER, |method| on(method, customers::find)),
    serve(&spec::LIST_PAYMENT_METHODS, |method| {
        on(method, common::payment_methods)
    }),
    serve(&spec::GET_QUOTE, |method| on(method, common::quote)),
    serve(&spec::CREATE_PAYMENT, |method| {
        on(method, onramp::create_payment)
    }),
    serve(&spec::CREATE_GUIDED_PAYMENT, |method| {
        on(method, onramp::create_guided)
    }),
    serve(&spec::GET_PAYMENT, |method| on(method, onramp::get_payment)),
    serve(&spec::LIST_PAYMENTS, |method| on(method, onramp::list)),
    serve(&spec::GET_RAMPOFF_QUOTE, |method| {
        on(method, common::rampoff_quote)
    }),
    serve(&spec::CREATE_RAMPOFF, |method| on(method, offramp::create)),
    serve(&spec::GET_RAMPOFF, |method| on(method, offramp::get)),
    serve(&spec::LIST_RAMPOFFS, |method| on(method, offramp::list)),
    serve(&spec::LIST_BANK_ACCOUNTS, |method| {
        on(method, banking::accounts)
    }),
    serve(&spec::LIST_BANK_ACCOUNT_TRANSACTIONS, |method| {
        on(method, banking::transactions)
    }),
    serve(&spec::RECONCILE_PAYMENT, |method| {
        on(method, banking::reconcile)
    }),
    serve(&spec::SUBSCRIBE_TO_WEBHOOK, |method| {
        on(method, subscriptions::subscribe)
    }),
    serve(&spec::UPDATE_WEBHOOK_SUBSCRIPTION, |method| {
        on(method, subscriptions::update)
    }),
];

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
