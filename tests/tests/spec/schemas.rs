//! The JSON schema of every generated component type, as a named insta snapshot.
//!
//! A field added, removed, renamed or retyped in `openapi/cryptopocket.yaml` changes the
//! generated type and so its schema: after `cargo xtask gen` this test fails until the new
//! snapshot is reviewed (`cargo insta review`) and committed. Descriptions are redacted so
//! that rewording the spec does not churn the snapshots.

use std::{collections::BTreeSet, panic};

// `Amount` is the hand-written exact decimal the spec's `Amount` schema is generated as.
use cryptopocket_api::{Amount, types::*};
use cryptopocket_snapshots::{component_names, spec, workspace_root};
use schemars::schema::RootSchema;

/// Lists every component type once; `every_component_has_a_snapshot` keeps it complete.
macro_rules! components {
    ($($name:ident),* $(,)?) => {
        fn components() -> Vec<(&'static str, RootSchema)> {
            vec![$((stringify!($name), schemars::schema_for!($name))),*]
        }
    };
}

components!(
    Amount,
    Pagination,
    ErrorResponse,
    AuthenticateRequest,
    AuthenticateResponse,
    AuthToken,
    TokenPriceResponse,
    TokenPrice,
    AvailableAssetsResponse,
    Asset,
    Customer,
    ListCustomersResponse,
    IdentityDocumentType,
    RegisterUserRequest,
    RegisterUserResponse,
    RegisteredUser,
    RegisterUserKycDelegatedRequest,
    RegisterUserKycDelegatedResponse,
    RegisteredKycDelegatedUser,
    RegisterCompanyRequest,
    RegisterCompanyResponse,
    RegisteredCompany,
    KycCheckResponse,
    KycStatus,
    CreateOnboardingFormRequest,
    CreateOnboardingFormResponse,
    OnboardingForm,
    DocumentType,
    UploadCustomerDocumentRequest,
    UploadCustomerDocumentResponse,
    FindUserSuccess,
    PaymentMethodsResponse,
    PaymentMethod,
    QuoteResponse,
    Quote,
    CreatePaymentRequest,
    CreatePaymentResponse,
    CreatedPayment,
    CreateGuidedPaymentRequest,
    CreateGuidedPaymentResponse,
    GuidedPayment,
    GetPaymentResponse,
    Payment,
    ListPaymentsResponse,
    RampoffQuoteResponse,
    RampoffQuote,
    CreateRampoffRequest,
    CreateRampoffResponse,
    CreatedRampoff,
    GetRampoffResponse,
    Rampoff,
    ListRampoffsResponse,
    BankAccount,
    BankAccountsListResponse,
    BankAccountTransaction,
    BankAccountTransactionsResponse,
    ReconcilePaymentRequest,
    ReconcilePaymentSuccessResponse,
    Reconciliation,
    IntegrationError,
    WebhookEventType,
    WebhookSubscriptionRequest,
    WebhookSubscriptionResponse,
    PaymentWebhookEvent,
    RampoffWebhookEvent,
    WebhookSignatureHeaders,
);

#[test]
fn every_component_schema_matches_its_snapshot() {
    // Check them all before failing, so one run writes every pending snapshot for review.
    let changed: Vec<&str> = components()
        .into_iter()
        .filter(|(name, schema)| {
            panic::catch_unwind(|| {
                insta::assert_json_snapshot!(*name, schema, {
                    ".**.description" => "[description]",
                });
            })
            .is_err()
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        changed.is_empty(),
        "the schemas of {changed:?} changed: review them with `cargo insta review`, then commit"
    );
}

#[test]
fn every_component_has_a_snapshot() {
    let in_spec: BTreeSet<String> = component_names(&spec()).into_iter().collect();
    let listed: BTreeSet<String> = components()
        .into_iter()
        .map(|(name, _)| name.to_owned())
        .collect();
    let missing: Vec<_> = in_spec.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&in_spec).collect();
    assert!(
        missing.is_empty(),
        "the spec has components with no snapshot; add them to `components!` in {}: {missing:?}",
        file!()
    );
    assert!(
        gone.is_empty(),
        "`components!` lists schemas the spec no longer has: {gone:?}"
    );

    let snapshots = workspace_root().join("tests/tests/spec/snapshots");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&snapshots)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    Some(
                        name.strip_prefix("spec__schemas__")?
                            .strip_suffix(".snap")?
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let stale: Vec<_> = on_disk.difference(&in_spec).collect();
    assert!(
        stale.is_empty(),
        "snapshots of schemas the spec no longer has; delete them from {}: {stale:?}",
        snapshots.display()
    );
}
