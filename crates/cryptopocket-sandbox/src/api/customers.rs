//! Users: registration (individual, delegated KYC, company), KYC status, the enhanced
//! verification link, documents, find and list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use chrono::{DateTime, Utc};
use cryptopocket_api::types::{DocumentType, IdentityDocumentType};

use crate::catalogue;
use crate::clock::{ApiTime, later, shift, to_chrono};
use crate::config::random_alphanumeric;
use crate::input::{Fields, JsonBody, PathParam, Query, RawBody};
use crate::reply::{Answer, Fail, envelope, fail, object, ok};
use crate::server::AppState;
use crate::world::{Customer, CustomerKind, World, random_uuid};

use super::paging::PageRequest;

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
    domain: String,
    external_id: Option<String>,
}

impl NewCustomer {
    /// An individual, its fields checked in this order: `name`, `email`, what `more`
    /// checks (the kind's own fields), `surname`, `external_id`.
    fn individual(
        f: &Fields,
        kind: CustomerKind,
        more: impl FnOnce(&Fields) -> Result<(), Fail>,
    ) -> Result<Self, Fail> {
        let name = f.required_text("name")?;
        let email = f.required_text("email")?;
        let domain = catalogue::email_domain(&email)
            .filter(|_| email.len() <= 254)
            .ok_or_else(|| Fail::field("email", "must be a valid e-mail address"))?;
        more(f)?;
        let (surname, external_id) = (f.text("surname")?, f.text("external_id")?);
        Ok(NewCustomer {
            kind,
            name,
            surname,
            email,
            domain,
            external_id,
        })
    }

    /// Admits the customer, its KYC begun `head_start` ago (refused for a disposable
    /// domain, a known e-mail or a full sandbox), and answers what `reply` makes of it.
    fn admit(
        self,
        app: &AppState,
        head_start: chrono::TimeDelta,
        reply: impl FnOnce(&Customer, DateTime<Utc>) -> Response,
    ) -> Answer {
        let max = app.shared.config.limits.max_customers;
        app.shared.world(|world, now| {
            let domain = self.domain.as_str();
            if catalogue::DISPOSABLE_DOMAINS.contains(&domain) {
                return Err(fail!(
                    "email_not_allowed",
                    "{domain} is a disposable e-mail domain"
                ));
            }
            if world.email_taken(&self.email) {
                return Err(fail!(
                    "user_already_exists",
                    "a user with this e-mail is already registered"
                ));
            }
            super::room_for(world.own_customer_count(), max, "customers")?;
            let id = world.next_customer_id();
            let customer = Customer {
                id,
                uuid: random_uuid(),
                kind: self.kind,
                kyc_fails: domain == catalogue::KYC_FAIL_DOMAIN,
                banned: domain == catalogue::BANNED_DOMAIN,
                name: self.name,
                surname: self.surname,
                email: self.email,
                external_id: self.external_id,
                created_at: now,
                kyc_started: shift(now, -head_start),
                kyc_forced: None,
                foreign: false,
                reinforced_at: None,
                documents: 0,
            };
            Ok(reply(world.customers.entry(id).or_insert(customer), now))
        })
    }
}

fn identity_document(fields: &Fields, required: bool) -> Result<(), Fail> {
    let value = if required {
        Some(fields.required_text("document_type")?)
    } else {
        fields.text("document_type")?
    };
    match value {
        Some(v) if v.parse::<IdentityDocumentType>().is_err() => Err(Fail::field(
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
    let new = NewCustomer::individual(&fields, CustomerKind::Individual, |f| {
        identity_document(f, false)
    })?;
    let origin = &app.shared.origin;
    new.admit(&app, chrono::TimeDelta::zero(), |customer, _| {
        ok(object! {"id": customer.id, "kyc_form_url": kyc_form_url(origin, customer)})
    })
}

/// `POST /registerUser/kyc-delegated`: the integration did the KYC; it arrives already
/// sent, so the status is `processing` at once.
pub(crate) async fn register_delegated(
    State(app): State<AppState>,
    JsonBody(fields): JsonBody,
) -> Answer {
    let new = NewCustomer::individual(&fields, CustomerKind::Delegated, |f| {
        f.required_text("country")?;
        identity_document(f, true)?;
        for image in [
            "document_number",
            "document_front",
            "document_back",
            "selfie",
        ] {
            f.required_text(image)?;
        }
        Ok(())
    })?;
    let schedule = &app.shared.config.schedule;
    new.admit(&app, to_chrono(schedule.kyc_processing), |customer, now| {
        ok(object! {"id": customer.id, "kyc_status": customer.kyc_status(now, schedule)})
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
    let email = laravel_text(&fields, "email", &mut problems);
    let company = laravel_text(&fields, "company_name", &mut problems);
    let email_rule = match email.as_deref() {
        Some(e) if e.chars().count() > 254 => Some("must not be greater than 254 characters"),
        Some(e) if catalogue::email_domain(e).is_none() => Some("must be a valid email address"),
        _ => None,
    };
    problems.extend(email_rule.map(|rule| broken("email", rule)));
    if company.as_ref().is_some_and(|c| c.chars().count() > 255) {
        problems.push(broken(
            "company_name",
            "must not be greater than 255 characters",
        ));
    }
    let (Some(email), Some(name), true) = (email, company, problems.is_empty()) else {
        return Err(Fail::validation(problems));
    };
    let new = NewCustomer {
        kind: CustomerKind::Company,
        name,
        surname: None,
        domain: catalogue::email_domain(&email).unwrap_or_default(),
        email,
        external_id: None,
    };
    let origin = &app.shared.origin;
    new.admit(&app, chrono::TimeDelta::zero(), |customer, _| {
        ok(object! {
            "id": customer.id,
            "kyb_link": format!("{origin}/gateway/kyb/{}", random_uuid()),
            "password": random_alphanumeric(12),
            "uuid": customer.uuid,
        })
    })
}

/// Laravel's message for a rule that `field` breaks: `The company name field is required.`
fn broken(field: &'static str, rule: &str) -> (&'static str, String) {
    (
        field,
        format!("The {} field {rule}.", field.replace('_', " ")),
    )
}

/// A text field for Laravel's validation, or its problem added to `problems`.
fn laravel_text(
    fields: &Fields,
    field: &'static str,
    problems: &mut Vec<(&'static str, String)>,
) -> Option<String> {
    let rule = match fields.text(field) {
        Ok(Some(text)) => return Some(text),
        Ok(None) => "is required",
        Err(_) => "must be a string",
    };
    problems.push(broken(field, rule));
    None
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
        return Err(fail!("user_banned", "customer {user_id} is banned"));
    }
    Ok(customer)
}

fn user_not_found(user_id: u64) -> Fail {
    fail!("user_not_found", "no customer with user_id {user_id}")
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
        fail!(
            NOT_FOUND,
            "user_not_found",
            "the user_id in the path is not a customer id"
        )
    })?;
    // The customer is checked first (404, 403), then the document (422).
    let document = check_document(&body);
    app.shared.world(|world, _| {
        let customer = match world.customers.get_mut(&user_id) {
            None => return Err(user_not_found(user_id).with_status(StatusCode::NOT_FOUND)),
            Some(c) if c.foreign => {
                return Err(fail!(
                    FORBIDDEN,
                    "user_not_in_integration",
                    "customer {user_id} belongs to another integration"
                ));
            }
            Some(c) => c,
        };
        document?;
        customer.documents = customer.documents.saturating_add(1);
        Ok(envelope("ok", None, None::<bool>))
    })
}

/// The upload's body: a JSON object with a `type` of the spec's `DocumentType` and a
/// `file` (Laravel's 422 validation body otherwise), and a file that [`check_file`] takes.
fn check_document(body: &[u8]) -> Result<(), Fail> {
    let fields = Fields::json(body).map_err(|f| f.with_status(StatusCode::UNPROCESSABLE_ENTITY))?;
    let problem = match fields.text("type") {
        Ok(Some(t)) if t.parse::<DocumentType>().is_ok() => None,
        Ok(None) => Some(broken("type", "is required")),
        _ => Some(("type", "The selected type is invalid.".into())),
    };
    let file = fields.text("file").ok().flatten();
    match problem.or_else(|| file.is_none().then(|| broken("file", "is required"))) {
        Some(problem) => Err(Fail::validation(vec![problem])),
        None => check_file(&file.unwrap_or_default()),
    }
}

/// A `data:{mime};base64,…` document (or bare base64) must decode; an http(s) URL is
/// taken as given (the sandbox fetches nothing).
fn check_file(file: &str) -> Result<(), Fail> {
    let invalid = |why: &str| fail!(UNPROCESSABLE_ENTITY, "invalid_file", "{why}");
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
            .ok_or_else(|| fail!(NOT_FOUND, "user_not_found", "no customer matches"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_documents_are_the_spec_codes() {
        let code =
            |value: &str| Fields::json(format!(r#"{{"document_type":"{value}"}}"#).as_bytes());
        for good in ["GOVERNMENT_ID", "PASSPORT", "DNI", "CUIT"] {
            assert!(
                identity_document(&code(good).unwrap(), true).is_ok(),
                "{good}"
            );
        }
        for bad in ["passport", "NIE", "OTHER"] {
            let fail = identity_document(&code(bad).unwrap(), false).unwrap_err();
            assert_eq!(fail.error_code(), Some("fail_mandatory_field"), "{bad}");
        }
        assert!(identity_document(&Fields::default(), false).is_ok());
        assert!(identity_document(&Fields::default(), true).is_err());
        assert_eq!(
            broken("company_name", "is required").1,
            "The company name field is required."
        );
    }

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
