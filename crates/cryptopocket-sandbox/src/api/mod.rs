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

use axum::routing::{MethodRouter, get, post};

use crate::server::AppState;

/// One operation: its `operationId`, its route and how to build its handler.
pub(crate) struct Operation {
    pub(crate) operation_id: &'static str,
    pub(crate) path: &'static str,
    pub(crate) handler: fn() -> MethodRouter<AppState>,
}

const fn op(
    operation_id: &'static str,
    path: &'static str,
    handler: fn() -> MethodRouter<AppState>,
) -> Operation {
    Operation {
        operation_id,
        path,
        handler,
    }
}

/// Every operation of the spec, at the spec's path under `/api`.
pub(crate) const OPERATIONS: &[Operation] = &[
    op("authenticate", "/api/authenticate", || {
        post(common::authenticate)
    }),
    op("getTokenPrice", "/api/token-price", || {
        get(common::token_price)
    }),
    op("getAvailableAssets", "/api/available-assets", || {
        get(common::available_assets)
    }),
    op("listCustomers", "/api/customers/list", || {
        get(customers::list)
    }),
    op("registerUser", "/api/registerUser", || {
        post(customers::register)
    }),
    op(
        "registerUserKycDelegated",
        "/api/registerUser/kyc-delegated",
        || post(customers::register_delegated),
    ),
    op("registerCompany", "/api/register/company", || {
        post(customers::register_company)
    }),
    op("checkKyc", "/api/kyc/check", || get(customers::check_kyc)),
    op("createOnboardingForm", "/api/onboarding-form", || {
        post(customers::onboarding_form)
    }),
    op(
        "uploadCustomerDocument",
        "/api/customers/{user_id}/documents",
        || post(customers::upload_document),
    ),
    op("findUser", "/api/customers/find", || get(customers::find)),
    op("listPaymentMethods", "/api/payment-methods", || {
        get(common::payment_methods)
    }),
    op("getQuote", "/api/quote", || get(common::quote)),
    op("createPayment", "/api/createPayment", || {
        post(onramp::create_payment)
    }),
    op("createGuidedPayment", "/api/createGuidedPayment", || {
        post(onramp::create_guided)
    }),
    op("getPayment", "/api/payment/{payment_id}", || {
        get(onramp::get_payment)
    }),
    op("listPayments", "/api/payments/list", || get(onramp::list)),
    op("getRampoffQuote", "/api/getRampoffQuote", || {
        get(common::rampoff_quote)
    }),
    op("createRampoff", "/api/createRampoff", || {
        post(offramp::create)
    }),
    op("getRampoff", "/api/getRampoff", || get(offramp::get)),
    op("listRampoffs", "/api/rampoffs/list", || get(offramp::list)),
    op("listBankAccounts", "/api/banking/accounts", || {
        get(banking::accounts)
    }),
    op(
        "listBankAccountTransactions",
        "/api/banking/accounts/{iban}/transactions",
        || get(banking::transactions),
    ),
    op("reconcilePayment", "/api/banking/reconcile", || {
        post(banking::reconcile)
    }),
    op("subscribeToWebhook", "/api/subscribeToWebhook", || {
        post(subscriptions::subscribe)
    }),
    op(
        "updateWebhookSubscription",
        "/api/updateWebhookSubscription",
        || post(subscriptions::update),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_and_paths_are_unique() {
        let mut ids: Vec<_> = OPERATIONS.iter().map(|o| o.operation_id).collect();
        let mut paths: Vec<_> = OPERATIONS.iter().map(|o| o.path).collect();
        ids.sort_unstable();
        ids.dedup();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(ids.len(), 26);
        assert_eq!(paths.len(), 26);
    }
}
