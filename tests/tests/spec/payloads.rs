//! Every documented payload (`tests/fixtures`, copied verbatim from the API reference)
//! decodes into its generated type, survives a round trip without losing information, and
//! is snapshotted in its re-serialised form. Error envelopes included: the API sends
//! business errors as HTTP 200 in the same envelope as the success.

use std::collections::BTreeSet;

use cryptopocket_api::types::*;
use cryptopocket_snapshots::{differences, fixture, fixture_stems, spec, spec_examples};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// Decodes the fixture `stem` as `T`, re-encodes it, decodes that again, and snapshots it.
fn round_trip<T>(stem: &str) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let text = fixture(stem);
    let decoded: T = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{stem} does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let reserialised = serde_json::to_value(&decoded).unwrap();
    let again: T = serde_json::from_value(reserialised.clone()).unwrap();
    assert_eq!(
        again, decoded,
        "{stem}: decode ∘ encode is not the identity"
    );

    // Amounts digit for digit: the numbers written out are the numbers read in, as text
    // (a `Value` would pass them through f64 and hide a rounding).
    let written = serde_json::to_string(&decoded).unwrap();
    assert_eq!(
        numbers_in(&written),
        numbers_in(&text),
        "{stem}: a number changed its digits on the way through"
    );

    let original: Value = serde_json::from_str(&text).unwrap();
    let lost = differences(&original, &reserialised);
    assert!(
        lost.is_empty(),
        "{stem}: the generated type does not carry everything the payload says: {lost:#?}"
    );
    insta::assert_json_snapshot!(stem, reserialised);
    decoded
}

/// The number literals of a JSON text, in sorted order (strings skipped): the multiset of
/// numbers a payload carries, independent of key order.
fn numbers_in(json: &str) -> Vec<String> {
    let mut numbers = Vec::new();
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '-' | '0'..='9' => {
                let mut number = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_digit() || matches!(next, '.' | 'e' | 'E' | '+' | '-') {
                        number.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                numbers.push(number);
            }
            _ => {}
        }
    }
    numbers.sort();
    numbers
}

#[test]
fn numbers_are_found_outside_strings_only() {
    assert_eq!(
        numbers_in(r#"{"a":0.123456789012345678,"b":"12","c":[-1.5e3,240],"d":"x\"7"}"#),
        ["-1.5e3", "0.123456789012345678", "240"]
    );
}

/// Each fixture with the type it decodes into. `every_fixture_is_covered` keeps it complete.
fn decode(stem: &str) {
    match stem {
        "authenticate.request" => drop(round_trip::<AuthenticateRequest>(stem)),
        "registerUser.request" => drop(round_trip::<RegisterUserRequest>(stem)),
        "registerCompany.request" => drop(round_trip::<RegisterCompanyRequest>(stem)),
        "registerCompany.response"
        | "registerCompany.response.error-authorization_incorrect"
        | "registerCompany.response.error-user_already_exists"
        | "registerCompany.response.error-email_not_allowed"
        | "registerCompany.response.error-unexpected_error" => {
            drop(round_trip::<RegisterCompanyResponse>(stem))
        }
        "registerCompany.response.422" => drop(round_trip::<ErrorResponse>(stem)),
        "uploadCustomerDocument.request.base64" | "uploadCustomerDocument.request.url" => {
            drop(round_trip::<UploadCustomerDocumentRequest>(stem))
        }
        "uploadCustomerDocument.response" => {
            drop(round_trip::<UploadCustomerDocumentResponse>(stem))
        }
        "createPayment.request" | "createPayment.request.latam" => {
            drop(round_trip::<CreatePaymentRequest>(stem))
        }
        "createPayment.response.card-psd2" | "createPayment.response.transfer" => {
            drop(round_trip::<CreatePaymentResponse>(stem))
        }
        "createGuidedPayment.request" | "createGuidedPayment.request.guide" => {
            drop(round_trip::<CreateGuidedPaymentRequest>(stem))
        }
        "createGuidedPayment.response" => drop(round_trip::<CreateGuidedPaymentResponse>(stem)),
        "getPayment.response" => drop(round_trip::<GetPaymentResponse>(stem)),
        "createRampoff.response" => drop(round_trip::<CreateRampoffResponse>(stem)),
        "getRampoff.response" => drop(round_trip::<GetRampoffResponse>(stem)),
        "subscribeToWebhook.response" | "updateWebhookSubscription.response" => {
            drop(round_trip::<WebhookSubscriptionResponse>(stem))
        }
        other => panic!("no type is known for fixture {other}; add it to `decode`"),
    }
}

#[test]
fn every_fixture_decodes_round_trips_and_matches_its_snapshot() {
    let stems = fixture_stems();
    assert_eq!(stems.len(), 24, "the API reference documents 24 payloads");
    for stem in &stems {
        decode(stem);
    }
}

#[test]
fn every_fixture_is_attached_to_the_spec_verbatim() {
    let examples = spec_examples(&spec());
    for stem in fixture_stems() {
        let fixture: Value = serde_json::from_str(&fixture(&stem)).unwrap();
        let attached: Vec<&Value> = examples
            .iter()
            .filter(|(name, _)| *name == stem)
            .map(|(_, value)| value)
            .collect();
        assert_eq!(
            attached,
            vec![&fixture],
            "{stem} must be attached once, verbatim, as the spec example named `{stem}`"
        );
    }
    let names: BTreeSet<&str> = examples.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.len(), examples.len(), "example names must be unique");
}

// The quirks the wrapper crate will rely on, pinned on the documented payloads.

#[test]
fn the_three_success_words_and_the_error_envelope_share_one_type() {
    let card: CreatePaymentResponse = round_trip("createPayment.response.card-psd2");
    let transfer: CreatePaymentResponse = round_trip("createPayment.response.transfer");
    assert_eq!(card.status, "success");
    assert_eq!(transfer.status, "sucess");
    let card = card.data.unwrap();
    assert!(card.url_payment.is_some() && card.iban.is_none());
    let transfer = transfer.data.unwrap();
    assert_eq!(transfer.concept, Some(120037.into()));
    assert_eq!(transfer.bic.as_deref(), Some("PFSSESM1XXX"));

    let error: RegisterCompanyResponse =
        round_trip("registerCompany.response.error-email_not_allowed");
    assert_eq!(
        (error.status.as_str(), error.error.as_deref(), error.data),
        ("error", Some("email_not_allowed"), None)
    );
}

#[test]
fn amounts_keep_their_documented_units() {
    let payment = round_trip::<GetPaymentResponse>("getPayment.response")
        .data
        .unwrap();
    assert_eq!(
        payment.fiat_amount.get(),
        15050,
        "Retrieve payment reports cents"
    );
    assert_eq!(
        payment.user_id.as_str(),
        "100067",
        "and the user id as a string"
    );
    assert_eq!(payment.txid, None, "txid only comes with coins_sent");

    let rampoff = round_trip::<GetRampoffResponse>("getRampoff.response")
        .data
        .unwrap();
    // 2 × 10^19 base units: more than u64 holds, so it stays a string.
    assert_eq!(rampoff.amount.as_deref(), Some("20000000000000000000"));
    assert_eq!(rampoff.decimals, Some(18.into()));
    assert_eq!(rampoff.fiat_amount.as_deref(), Some("4800.24"));
}

#[test]
fn the_laravel_validation_body_keeps_every_field_message() {
    let body: ErrorResponse = round_trip("registerCompany.response.422");
    assert_eq!(
        body.message.as_deref(),
        Some("The email field is required. (and 1 more error)")
    );
    let fields: Vec<&str> = body.errors.keys().map(String::as_str).collect();
    assert_eq!(fields, ["company_name", "email"]);
}
