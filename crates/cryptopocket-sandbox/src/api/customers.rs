//! Users: registration (individual, delegated KYC, company), KYC status, the enhanced
//! verification link, documents, find and list.

use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, Utc};

use crate::catalogue;
use crate::clock::{ApiTime, later, shift, to_chrono};
use crate::config::random_alphanumeric;
use crate::input::{Fields, JsonBody, PathParam, Query, RawBody};
use crate::reply::{Answer, Fail, envelope, object, ok};
use crate::server::AppState;
use crate::world::{Customer, CustomerKind, World, random_uuid};

use super::paging::PageRequest;

/// The identity-document codes the docs list (§9.3), the values of `document_type`.
const IDENTITY_DOCUMENTS: &[&str] = &[
    "GOVERNMENT_ID",
    "PERMANENT_RESIDENCE_PERMIT",
    "PASSPORT",
    "CIF",
    "RUT",
    "CURP",
    "RFC",
    "CED_CIU",
    "CED_EXT",
    "TI",
    "NUIP",
    "TE",
    "PPT",
    "PASS",
    "PEP",
    "RC",
    "NIT",
    "DNI",
    "CE",
    "RUC",
    "CUIT",
];

/// The 23 upload document types the docs list (§9.5).
const DOCUMENT_TYPES: &[&str] = &[
    "onboarding_form",
    "bank_statement",
    "payslip",
    "employment_contract",
    "tax_return",
    "tax_certificate",
    "company_accounts",
    "dividend_statement",
    "investment_statement",
    "crypto_wallet_statement",
    "sale_of_property",
    "sale_of_vehicle",
    "sale_of_company_shares",
    "inheritance_document",
    "gift_declaration",
    "loan_agreement",
    "savings_evidence",
    "invoice",
    "freelance_income_evidence",
    "pension_statement",
    "unemployment_benefit_statement",
    "source_of_funds_declaration",
    "other",
];

/// File types the upload accepts.
const DOCUMENT_MIME_TYPES: &[&str] = &["application/pdf", "image/png", "image/jpeg"];

/// `GET /customers/list`.
pub(crate) async fn list(State(app): State<AppState>, page: PageRequest) -> Answer {
    let schedule = &app.shared.config.schedule;
    Ok(app.shared.world(|world, now| {
        let customers: Vec<&Customer> = world.own_customers().collect();
        page.answer(&customers, |c| Some(c.view(now, schedule)))
    }))
}

/// What every registration shares: name and e-mail checks, refusals, capacity.
struct NewCustomer {
    kind: CustomerKind,
    name: String,
    surname: Option<String>,
    email: String,
    external_id: Option<String>,
}

fn checked_email(fields: &Fields) -> Result<(String, String), Fail> {
    let email = fields.required_text("email")?;
    let domain = catalogue::email_domain(&email)
        .filter(|_| email.len() <= 254)
        .ok_or_else(|| Fail::field("email", "must be a valid e-mail address"))?;
    Ok((email, domain))
}

fn admit(
    world: &mut World,
    now: DateTime<Utc>,
    new: NewCustomer,
    domain: &str,
    max: usize,
    kyc_head_start: chrono::TimeDelta,
) -> Result<u64, Fail> {
    if catalogue::DISPOSABLE_DOMAINS.contains(&domain) {
        return Err(Fail::code("email_not_allowed")
            .message(format!("{domain} is a disposable e-mail domain")));
    }
    if world.email_taken(&new.email) {
        return Err(Fail::code("user_already_exists")
            .message("a user with this e-mail is already registered"));
    }
    if world.own_customer_count() >= max {
        return Err(Fail::code("unexpected_error").message(format!(
            "the sandbox holds its maximum of {max} customers; restart it"
        )));
    }
    let id = world.next_customer_id();
    world.customers.insert(
        id,
        Customer {
            id,
            uuid: random_uuid(),
            kind: new.kind,
            name: new.name,
            surname: new.surname,
            email: new.email,
            external_id: new.external_id,
            created_at: now,
            kyc_started: shift(now, -kyc_head_start),
            kyc_fails: domain == catalogue::KYC_FAIL_DOMAIN,
            kyc_forced: None,
            banned: domain == catalogue::BANNED_DOMAIN,
            foreign: false,
            reinforced_at: None,
            documents: 0,
        },
    );
    Ok(id)
}

fn identity_document(fields: &Fields, required: bool) -> Result<(), Fail> {
    let value = if required {
        Some(fields.required_text("document_type")?)
    } else {
        fields.text("document_type")?
    };
    match value {
        Some(v) if !IDENTITY_DOCUMENTS.contains(&v.as_str()) => Err(Fail::field(
            "document_type",
            "must be one of the identity-document codes (GOVERNMENT_ID, PASSPORT, DNI, …)",
        )),
        _ => Ok(()),
    }
}

/// The KYC form of a customer: a page of the sandbox's gateway.
fn kyc_form_url(origin: &str, customer: &Customer) -> String {
    format!("{origin}/gateway/kyc/{}", customer.uuid)
}

/// `POST /registerUser`: an individual; KYC starts `unused`.
pub(crate) async fn register(State(app): State<AppState>, JsonBody(fields): JsonBody) -> Answer {
    let name = fields.required_text("name")?;
    let (email, domain) = checked_email(&fields)?;
    identity_document(&fields, false)?;
    let new = NewCustomer {
        kind: CustomerKind::Individual,
        name,
        surname: fields.text("surname")?,
        email,
        external_id: fields.text("external_id")?,
    };
    let max = app.shared.config.limits.max_customers;
    app.shared.world(|world, now| {
        let id = admit(world, now, new, &domain, max, chrono::TimeDelta::zero())?;
        let url = kyc_form_url(&app.shared.origin, &world.customers[&id]);
        Ok(ok(object! {"id": id, "kyc_form_url": url}))
    })
}

/// `POST /registerUser/kyc-delegated`: the integration did the KYC; it arrives already
/// sent, so the status is `processing` at once.
pub(crate) async fn register_delegated(
    State(app): State<AppState>,
    JsonBody(fields): JsonBody,
) -> Answer {
    let name = fields.required_text("name")?;
    let (email, domain) = checked_email(&fields)?;
    fields.required_text("country")?;
    identity_document(&fields, true)?;
    for image in [
        "document_number",
        "document_front",
        "document_back",
        "selfie",
    ] {
        fields.required_text(image)?;
    }
    let new = NewCustomer {
        kind: CustomerKind::Delegated,
        name,
        surname: fields.text("surname")?,
        email,
        external_id: fields.text("external_id")?,
    };
    let config = &app.shared.config;
    let head_start = to_chrono(config.schedule.kyc_processing);
    app.shared.world(|world, now| {
        let max = config.limits.max_customers;
        let id = admit(world, now, new, &domain, max, head_start)?;
        let status = world.customers[&id].kyc_status(now, &config.schedule);
        Ok(ok(object! {"id": id, "kyc_status": status}))
    })
}

/// `POST /register/company`: Laravel validation (422) first, then the business errors.
pub(crate) async fn register_company(
    State(app): State<AppState>,
    RawBody(body): RawBody,
) -> Answer {
    // Laravel reads a body it cannot parse as no input at all, so validation answers.
    let fields = Fields::json(&body).unwrap_or_default();
    let mut problems = Vec::new();
    let email = text_or_problem(&fields, "email", "email", &mut problems);
    let company = text_or_problem(&fields, "company_name", "company name", &mut problems);
    let mut domain = None;
    if let Some(email) = &email {
        if email.chars().count() > 254 {
            problems.push((
                "email",
                "The email field must not be greater than 254 characters.".into(),
            ));
        } else {
            domain = catalogue::email_domain(email);
            if domain.is_none() {
                problems.push((
                    "email",
                    "The email field must be a valid email address.".into(),
                ));
            }
        }
    }
    if company.as_ref().is_some_and(|c| c.chars().count() > 255) {
        problems.push((
            "company_name",
            "The company name field must not be greater than 255 characters.".into(),
        ));
    }
    let (Some(email), Some(company), Some(domain), true) =
        (email, company, domain, problems.is_empty())
    else {
        return Err(Fail::validation(problems));
    };
    let new = NewCustomer {
        kind: CustomerKind::Company,
        name: company,
        surname: None,
        email,
        external_id: None,
    };
    let max = app.shared.config.limits.max_customers;
    let origin = &app.shared.origin;
    app.shared.world(|world, now| {
        let id = admit(world, now, new, &domain, max, chrono::TimeDelta::zero())?;
        Ok(ok(object! {
            "id": id,
            "kyb_link": format!("{origin}/gateway/kyb/{}", random_uuid()),
            "password": random_alphanumeric(12),
            "uuid": world.customers[&id].uuid,
        }))
    })
}

fn text_or_problem(
    fields: &Fields,
    field: &'static str,
    words: &str,
    problems: &mut Vec<(&'static str, String)>,
) -> Option<String> {
    match fields.text(field) {
        Ok(Some(text)) => Some(text),
        Ok(None) => {
            problems.push((field, format!("The {words} field is required.")));
            None
        }
        Err(_) => {
            problems.push((field, format!("The {words} field must be a string.")));
            None
        }
    }
}

/// The calling integration's customer, or `user_not_found` (a customer of another
/// integration is not visible here).
fn own_customer(world: &World, user_id: u64) -> Result<&Customer, Fail> {
    world
        .customers
        .get(&user_id)
        .filter(|c| !c.foreign)
        .ok_or_else(|| user_not_found(user_id))
}

/// The calling integration's customer, if it may buy or sell: `user_not_found`, then
/// `user_banned`, in the order of the documented error tables.
pub(crate) fn trading_customer(world: &World, user_id: u64) -> Result<&Customer, Fail> {
    let customer = own_customer(world, user_id)?;
    if customer.banned {
        return Err(Fail::code("user_banned").message(format!("customer {user_id} is banned")));
    }
    Ok(customer)
}

fn user_not_found(user_id: u64) -> Fail {
    Fail::code("user_not_found").message(format!("no customer with user_id {user_id}"))
}

/// `GET /kyc/check?user_id=`.
pub(crate) async fn check_kyc(State(app): State<AppState>, Query(q): Query) -> Answer {
    let user_id = q.required_id("user_id")?;
    let shared = &app.shared;
    shared.world(|world, now| {
        let customer = own_customer(world, user_id)?;
        Ok(ok(object! {
            "kyc_form_url": kyc_form_url(&shared.origin, customer),
            "kyc_status": customer.kyc_status(now, &shared.config.schedule),
            "user_id": user_id,
        }))
    })
}

/// `POST /onboarding-form`: the enhanced verification link; the customer completes it
/// after the schedule's KYC delay, which lifts `kyc_reinforced_required`.
pub(crate) async fn onboarding_form(State(app): State<AppState>, JsonBody(f): JsonBody) -> Answer {
    let user_id = f.required_id("user_id")?;
    let delay = app.shared.config.schedule.kyc_decided;
    let origin = &app.shared.origin;
    app.shared.world(|world, now| {
        own_customer(world, user_id)?;
        if let Some(customer) = world.customers.get_mut(&user_id) {
            customer.reinforced_at.get_or_insert(later(now, delay));
        }
        Ok(ok(object! {
            "expires_at": ApiTime(shift(now, chrono::TimeDelta::days(90))),
            "onboarding_link": format!("{origin}/gateway/onboarding/{}", random_uuid()),
        }))
    })
}

/// `POST /customers/{user_id}/documents`: the one operation with documented 403/404/422.
pub(crate) async fn upload_document(
    State(app): State<AppState>,
    PathParam(raw): PathParam,
    RawBody(body): RawBody,
) -> Answer {
    let user_id = raw.and_then(|raw| raw.parse::<u64>().ok()).ok_or_else(|| {
        Fail::code("user_not_found")
            .message("the user_id in the path is not a customer id")
            .with_status(StatusCode::NOT_FOUND)
    })?;
    app.shared
        .world(|world, _| match world.customers.get(&user_id) {
            None => Err(user_not_found(user_id).with_status(StatusCode::NOT_FOUND)),
            Some(c) if c.foreign => Err(Fail::code("user_not_in_integration")
                .message(format!("customer {user_id} belongs to another integration"))
                .with_status(StatusCode::FORBIDDEN)),
            Some(_) => Ok(()),
        })?;
    let fields =
        Fields::json(&body).map_err(|f| f.with_status(StatusCode::UNPROCESSABLE_ENTITY))?;
    match fields.text("type") {
        Ok(Some(t)) if DOCUMENT_TYPES.contains(&t.as_str()) => {}
        Ok(None) => {
            return Err(Fail::validation(vec![(
                "type",
                "The type field is required.".into(),
            )]));
        }
        _ => {
            return Err(Fail::validation(vec![(
                "type",
                "The selected type is invalid.".into(),
            )]));
        }
    }
    let file =
        fields.text("file").ok().flatten().ok_or_else(|| {
            Fail::validation(vec![("file", "The file field is required.".into())])
        })?;
    check_file(&file)?;
    app.shared.world(|world, _| {
        if let Some(customer) = world.customers.get_mut(&user_id) {
            customer.documents = customer.documents.saturating_add(1);
        }
    });
    Ok(envelope("ok", None, None::<bool>))
}

/// A `data:{mime};base64,…` document (or bare base64) must decode; an http(s) URL is
/// taken as given (the sandbox fetches nothing).
fn check_file(file: &str) -> Result<(), Fail> {
    let invalid = |why: &str| {
        Fail::code("invalid_file")
            .message(why.to_owned())
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
    };
    if file.starts_with("https://") || file.starts_with("http://") {
        return reqwest::Url::parse(file)
            .map(drop)
            .map_err(|_| invalid("the file URL is not a valid URL"));
    }
    let encoded = match file.strip_prefix("data:") {
        Some(rest) => {
            let (mime, data) = rest
                .split_once(";base64,")
                .ok_or_else(|| invalid("a data URL must look like data:{mime};base64,{data}"))?;
            if !DOCUMENT_MIME_TYPES.contains(&mime) {
                return Err(invalid("the file must be a PDF, PNG or JPEG document"));
            }
            data
        }
        None => file,
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid("the file is not valid base64"))?;
    if bytes.is_empty() {
        return Err(invalid("the file is empty"));
    }
    Ok(())
}

/// `GET /customers/find`: by `user_id`, `email` or `external_id`; 404 when nobody matches.
pub(crate) async fn find(State(app): State<AppState>, Query(q): Query) -> Answer {
    let user_id = q.id("user_id")?;
    let email = q.text("email")?;
    let external_id = q.text("external_id")?;
    if user_id.is_none() && email.is_none() && external_id.is_none() {
        return Err(Fail::field(
            "user_id",
            "is required unless email or external_id is given",
        ));
    }
    let schedule = &app.shared.config.schedule;
    app.shared.world(|world, now| {
        world
            .own_customers()
            .find(|c| {
                user_id.is_none_or(|id| c.id == id)
                    && email
                        .as_deref()
                        .is_none_or(|e| c.email.eq_ignore_ascii_case(e))
                    && external_id
                        .as_deref()
                        .is_none_or(|x| c.external_id.as_deref() == Some(x))
            })
            .map(|c| ok(c.view(now, schedule)))
            .ok_or_else(|| {
                Fail::code("user_not_found")
                    .message("no customer matches")
                    .with_status(StatusCode::NOT_FOUND)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files() {
        assert!(check_file("data:application/pdf;base64,JVBERi0xLjQK").is_ok());
        assert!(check_file("JVBERi0xLjQK").is_ok());
        assert!(check_file("https://example.com/statement.pdf").is_ok());
        for bad in [
            "data:application/pdf;base64,JVBERi0xLjQ...",
            "data:text/html;base64,PGI+",
            "data:application/pdf,JVBERi0xLjQK",
            "",
            "not base64 at all!",
        ] {
            let fail = check_file(bad).unwrap_err();
            assert_eq!(fail.error_code(), Some("invalid_file"), "{bad}");
            assert_eq!(fail.http, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
}
