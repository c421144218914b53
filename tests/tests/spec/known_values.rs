//! The `cryptopocket` crate's open enums are held to the spec: each enum's known values
//! (`KNOWN` and `ALIASES`, from `open_enum!`) are the spec's `x-known-values` (or `enum`) of
//! every field it decodes, and `ApiErrorCode` knows exactly the codes of the operations'
//! `x-error-codes`. A field of the spec with `x-known-values` must be listed here, held by an
//! enum or kept as text on purpose, so a new list cannot go unnoticed.

use std::collections::BTreeSet;

use cryptopocket::model::{
    ApiErrorCode, CustomerKind, EventType, KycStatus, OffRampStatus, PaymentStatus, PaymentType,
    TransactionDirection,
};
use cryptopocket_snapshots::spec;
use serde_json::Value;

/// How an enum's values relate to the list of one field of the spec.
#[derive(Clone, Copy)]
enum Relation {
    /// The spec's list is the whole list: the enum knows exactly these values.
    Same,
    /// The spec gives examples (a response that names only some statuses): the enum knows
    /// each of them, and may know more.
    Within,
}

/// One open enum, every value it knows (its wire strings and aliases), and the spec's
/// lists it decodes, each a JSON pointer to the list itself.
struct Held {
    name: &'static str,
    known: Vec<&'static str>,
    fields: &'static [(&'static str, Relation)],
}

fn known(values: &[&'static [&'static str]]) -> Vec<&'static str> {
    values
        .iter()
        .flat_map(|list| list.iter().copied())
        .collect()
}

/// Every open enum that decodes a spec field, and the fields.
fn held() -> Vec<Held> {
    use Relation::{Same, Within};
    vec![
        Held {
            name: "PaymentStatus",
            known: known(&[PaymentStatus::KNOWN, PaymentStatus::ALIASES]),
            fields: &[
                (
                    "/components/schemas/Payment/properties/status/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/PaymentWebhookEvent/properties/status/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/Reconciliation/properties/status/x-known-values",
                    Within,
                ),
            ],
        },
        Held {
            name: "KycStatus",
            known: known(&[KycStatus::KNOWN, KycStatus::ALIASES]),
            fields: &[
                (
                    "/components/schemas/KycStatus/properties/kyc_status/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/KycCheckResponse/properties/kyc_status/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/Customer/properties/kyc_status/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/RegisteredKycDelegatedUser/properties/kyc_status/x-known-values",
                    Same,
                ),
            ],
        },
        Held {
            name: "OffRampStatus",
            known: known(&[OffRampStatus::KNOWN, OffRampStatus::ALIASES]),
            fields: &[
                (
                    "/components/schemas/Rampoff/properties/status/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/RampoffWebhookEvent/properties/status/x-known-values",
                    Same,
                ),
            ],
        },
        Held {
            name: "EventType",
            known: known(&[EventType::KNOWN, EventType::ALIASES]),
            fields: &[
                ("/components/schemas/WebhookEventType/enum", Same),
                (
                    "/components/schemas/PaymentWebhookEvent/properties/type/x-known-values",
                    Within,
                ),
                (
                    "/components/schemas/RampoffWebhookEvent/properties/type/x-known-values",
                    Within,
                ),
            ],
        },
        Held {
            name: "PaymentType",
            known: known(&[PaymentType::KNOWN, PaymentType::ALIASES]),
            fields: &[
                (
                    "/paths/~1quote/get/parameters/3/schema/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/PaymentMethod/properties/payment_type/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/Quote/properties/payment_type/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/CreatePaymentRequest/properties/payment_type/x-known-values",
                    Same,
                ),
                (
                    "/components/schemas/CreateGuidedPaymentRequest/properties/payment_type/x-known-values",
                    Same,
                ),
            ],
        },
        Held {
            name: "CustomerKind",
            known: known(&[CustomerKind::KNOWN, CustomerKind::ALIASES]),
            fields: &[(
                "/components/schemas/Customer/properties/type/x-known-values",
                Same,
            )],
        },
        Held {
            name: "TransactionDirection",
            known: known(&[TransactionDirection::KNOWN, TransactionDirection::ALIASES]),
            fields: &[(
                "/components/schemas/BankAccountTransaction/properties/direction/x-known-values",
                Same,
            )],
        },
    ]
}

/// Fields with `x-known-values` that no enum decodes, and why.
const KEPT_AS_TEXT: &[(&str, &str)] = &[(
    "/components/schemas/CreatedRampoff/properties/rampoff/x-known-values",
    "`payment created` is a human phrase the wrapper passes on as text",
)];

/// The strings of the list at `pointer`, or why there is none.
fn list_at<'s>(spec: &'s Value, pointer: &str) -> Result<BTreeSet<&'s str>, String> {
    let list = spec
        .pointer(pointer)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{pointer}: the spec has no list here"))?;
    list.iter()
        .map(|value| {
            value
                .as_str()
                .ok_or_else(|| format!("{pointer}: {value} is not a string"))
        })
        .collect()
}

/// The pointer of every `x-known-values` list in `value`, itself at `pointer`.
fn known_value_lists(value: &Value, pointer: &str, found: &mut BTreeSet<String>) {
    let escape = |key: &str| key.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let at = format!("{pointer}/{}", escape(key));
                if key == "x-known-values" {
                    found.insert(at);
                } else {
                    known_value_lists(child, &at, found);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                known_value_lists(child, &format!("{pointer}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// Compares an enum's values with one list; `None` when they agree.
fn compare(
    name: &str,
    field: &str,
    known: &BTreeSet<&str>,
    spec: &BTreeSet<&str>,
    relation: Relation,
) -> Option<String> {
    let missing: Vec<&str> = spec.difference(known).copied().collect();
    let extra: Vec<&str> = match relation {
        Relation::Same => known.difference(spec).copied().collect(),
        Relation::Within => Vec::new(),
    };
    (!missing.is_empty() || !extra.is_empty()).then(|| {
        format!(
            "{name} disagrees with {field}: the enum lacks {missing:?} and knows {extra:?}, \
             which the spec does not list"
        )
    })
}

/// Every disagreement between the enums and `spec`, each naming the field and the values.
fn disagreements(spec: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut mapped = BTreeSet::new();
    for held in held() {
        let known: BTreeSet<&str> = held.known.iter().copied().collect();
        assert_eq!(
            known.len(),
            held.known.len(),
            "{}: a value twice",
            held.name
        );
        for &(field, relation) in held.fields {
            mapped.insert(field.to_owned());
            match list_at(spec, field) {
                Ok(list) => problems.extend(compare(held.name, field, &known, &list, relation)),
                Err(problem) => problems.push(format!("{}: {problem}", held.name)),
            }
        }
    }
    for (field, _why) in KEPT_AS_TEXT {
        mapped.insert((*field).to_owned());
        if let Err(problem) = list_at(spec, field) {
            problems.push(problem);
        }
    }

    let mut lists = BTreeSet::new();
    known_value_lists(spec, "", &mut lists);
    for field in lists.difference(&mapped) {
        problems.push(format!(
            "{field}: no open enum of the `cryptopocket` crate is held to this list; map it in \
             tests/tests/spec/known_values.rs (or list it in KEPT_AS_TEXT)"
        ));
    }

    // Error codes: every operation's `x-error-codes`, together.
    let codes: BTreeSet<&str> = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op.get("x-error-codes")?.as_array())
        .flatten()
        .filter_map(|entry| entry["code"].as_str())
        .collect();
    let known: BTreeSet<&str> = known(&[ApiErrorCode::KNOWN, ApiErrorCode::ALIASES])
        .into_iter()
        .collect();
    problems.extend(compare(
        "ApiErrorCode",
        "the operations' x-error-codes",
        &known,
        &codes,
        Relation::Same,
    ));
    problems
}

#[test]
fn open_enums_know_the_specs_values() {
    let problems = disagreements(&spec());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_list_that_changes_is_noticed() {
    let original = spec();

    // A value dropped from the spec is one the enum knows but the spec does not list.
    let mut spec = original.clone();
    let status = "/components/schemas/Payment/properties/status/x-known-values";
    if let Some(Value::Array(list)) = spec.pointer_mut(status) {
        list.retain(|value| value != "payment_rejected");
    }
    let problems = disagreements(&spec);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("PaymentStatus")
            && problems[0].contains(status)
            && problems[0].contains(r#"knows ["payment_rejected"]"#),
        "{}",
        problems[0]
    );

    // A value added to a list that only gives examples must still be known.
    let mut spec = original.clone();
    let reconciled = "/components/schemas/Reconciliation/properties/status/x-known-values";
    if let Some(Value::Array(list)) = spec.pointer_mut(reconciled) {
        list.push("refunded".into());
    }
    let problems = disagreements(&spec);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains(r#"lacks ["refunded"]"#),
        "{}",
        problems[0]
    );

    // A new error code, and a new list no enum is held to.
    let mut spec = original;
    let op = "/paths/~1createPayment/post/x-error-codes";
    if let Some(Value::Array(codes)) = spec.pointer_mut(op) {
        codes.push(serde_json::json!({"code": "card_expired", "x-provenance": "inferred"}));
    }
    let currency = "/components/schemas/Payment/properties/fiat_symbol";
    if let Some(Value::Object(field)) = spec.pointer_mut(currency) {
        field.insert("x-known-values".into(), serde_json::json!(["EUR"]));
    }
    let problems = disagreements(&spec).join("\n");
    assert!(
        problems.contains(r#"ApiErrorCode disagrees with the operations' x-error-codes: the enum lacks ["card_expired"]"#),
        "{problems}"
    );
    assert!(
        problems.contains(&format!("{currency}/x-known-values: no open enum")),
        "{problems}"
    );
}
