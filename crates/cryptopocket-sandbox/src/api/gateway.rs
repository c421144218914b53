//! What the end user and a developer at a terminal see: the payment gateway, the KYC and
//! onboarding pages, and `/sandbox/*` routes that do what [`Control`] does, over HTTP.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::control::{Control, ControlError};
use crate::input::{Fields, RawBody};
use crate::reply::{Fail, ok};
use crate::server::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/gateway/payment/{payment_id}",
            get(payment_page).post(pay_guided),
        )
        .route("/gateway/{method}", get(direct_page).post(pay_direct))
        .route("/gateway/{form}/{id}", get(form_page))
        .route("/sandbox/advance", post(advance))
        .route("/sandbox/payments/{payment_id}/pay", post(pay))
        .route("/sandbox/payments/{payment_id}/transfer", post(transfer))
        .route("/sandbox/fail-next", post(fail_next))
        .route("/sandbox/customers/{user_id}/ban", post(ban))
        .route("/sandbox/deliveries", get(deliveries))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}<p><small>CryptoPocket sandbox: nothing here moves \
         real money.</small></p></body></html>"
    ))
}

/// HTML-escapes text that came from a client.
fn escape(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

fn summary(app: &AppState, payment_id: &str) -> Option<String> {
    app.shared.world(|world, _| {
        world.payments.get(payment_id).map(|p| {
            format!(
                "<p>{} {} for {} {} — status <b>{}</b></p>",
                p.fiat_amount,
                escape(&p.fiat_symbol),
                p.coin_amount,
                escape(&p.coin_symbol),
                p.status.as_str()
            )
        })
    })
}

async fn payment_page(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    match summary(&app, &id) {
        None => (StatusCode::NOT_FOUND, page("Unknown payment", "")).into_response(),
        Some(summary) => page(
            "Pay with CryptoPocket",
            &format!(
                "{summary}<form method=\"post\"><select name=\"payment_type\">\
                 <option>card</option><option>psd2</option><option>transfer</option>\
                 </select><button>Pay</button></form>"
            ),
        )
        .into_response(),
    }
}

/// The payer's form post: `payment_type=card|psd2|transfer`.
async fn pay_guided(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawBody(body): RawBody,
) -> Response {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let method = Fields::form(&body)
        .text("payment_type")
        .ok()
        .flatten()
        .unwrap_or_else(|| "card".into());
    paid_page(
        &app,
        &id,
        Control::new(app.shared.clone()).pay(&id, &method),
    )
}

fn payment_by_token(app: &AppState, query: Option<&str>) -> Option<String> {
    let token = Fields::query(query).text("token").ok().flatten()?;
    app.shared.world(|world, _| {
        world
            .payments
            .values()
            .find(|p| p.gateway_token.to_string() == token)
            .map(|p| p.id.clone())
    })
}

async fn direct_page(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    match payment_by_token(&app, query.as_deref()).and_then(|id| summary(&app, &id)) {
        None => (StatusCode::NOT_FOUND, page("Unknown payment", "")).into_response(),
        Some(summary) => page(
            "Pay with CryptoPocket",
            &format!("{summary}<form method=\"post\"><button>Pay</button></form>"),
        )
        .into_response(),
    }
}

async fn pay_direct(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(id) = payment_by_token(&app, query.as_deref()) else {
        return (StatusCode::NOT_FOUND, page("Unknown payment", "")).into_response();
    };
    paid_page(&app, &id, Control::new(app.shared.clone()).pay(&id, "card"))
}

fn paid_page(app: &AppState, id: &str, result: Result<(), ControlError>) -> Response {
    match result {
        Ok(()) => page("Thank you", &summary(app, id).unwrap_or_default()).into_response(),
        Err(e) => (
            status_of(&e),
            page(
                "This payment cannot be paid",
                &format!("<p>{}</p>", escape(&e.to_string())),
            ),
        )
            .into_response(),
    }
}

async fn form_page(path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let form = path.map(|Path((form, _id))| form).unwrap_or_default();
    let text = match form.as_str() {
        "kyc" => {
            "The customer's KYC form. In the sandbox it fills itself in: the status \
                  moves from unused to processing to valid as time passes."
        }
        "kyb" => "The company's KYB form. In the sandbox it fills itself in.",
        "onboarding" => {
            "The enhanced verification. In the sandbox it completes itself after \
                         the KYC delay, which lifts kyc_reinforced_required."
        }
        _ => return (StatusCode::NOT_FOUND, page("Unknown page", "")).into_response(),
    };
    page("CryptoPocket verification", &format!("<p>{text}</p>")).into_response()
}

fn status_of(e: &ControlError) -> StatusCode {
    match e {
        ControlError::NotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    }
}

fn control_fail(e: ControlError) -> Fail {
    Fail::code("sandbox_control")
        .message(e.to_string())
        .with_status(status_of(&e))
}

/// `POST /sandbox/advance?seconds=N`. An advance past the clock's cap (ten thousand years
/// ahead) is refused with HTTP 422 `invalid_parameter`, naming `seconds` and the largest
/// value accepted, and the clock does not move.
async fn advance(State(app): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, Fail> {
    let seconds = Fields::query(query.as_deref()).required_id("seconds")?;
    let control = Control::new(app.shared.clone());
    control
        .try_advance(std::time::Duration::from_secs(seconds))
        .map_err(|e| match e {
            ControlError::TooFar { largest } => Fail::code("invalid_parameter")
                .message(format!(
                    "`seconds` must be at most {}: the virtual clock goes at most ten \
                     thousand years ahead of its start, and it did not move",
                    largest.as_secs()
                ))
                .with_status(StatusCode::UNPROCESSABLE_ENTITY),
            other => control_fail(other),
        })?;
    Ok(ok(json!({"now": crate::clock::api_time(control.now())})))
}

/// `POST /sandbox/payments/{id}/pay?method=card`.
async fn pay(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let method = Fields::query(query.as_deref())
        .text("method")?
        .unwrap_or_else(|| "card".into());
    Control::new(app.shared.clone())
        .pay(&id, &method)
        .map_err(control_fail)?;
    Ok(ok(json!({"payment_id": id})))
}

/// `POST /sandbox/payments/{id}/transfer`.
async fn transfer(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let tx = Control::new(app.shared.clone())
        .send_transfer(&id)
        .map_err(control_fail)?;
    Ok(ok(json!({"payment_id": id, "transaction_id": tx})))
}

/// `POST /sandbox/fail-next?operation=createPayment&code=unexpected_error`: the next call of
/// that operation answers the error `code` (`unexpected_error` when no code is given).
async fn fail_next(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Fail> {
    let fields = Fields::query(query.as_deref());
    let operation = fields.required_text("operation")?;
    if !crate::operation_ids().any(|id| id == operation) {
        return Err(Fail::code("invalid_parameter")
            .message(format!(
                "`operation` is not an operationId of the spec: {}",
                escape(&operation)
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY));
    }
    let code = fields
        .text("code")?
        .unwrap_or_else(|| "unexpected_error".into());
    Control::new(app.shared.clone()).fail_next(&operation, &code);
    Ok(ok(json!({"operation": operation, "code": code})))
}

/// `POST /sandbox/customers/{user_id}/ban`: the customer's payments are refused with
/// `user_banned`.
async fn ban(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Fail> {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let user_id: u64 = id.parse().map_err(|_| {
        Fail::code("invalid_parameter")
            .message("the user id must be a number")
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
    })?;
    Control::new(app.shared.clone())
        .ban(user_id)
        .map_err(control_fail)?;
    Ok(ok(json!({"user_id": user_id, "banned": true})))
}

/// `GET /sandbox/deliveries`: the webhook deliveries made so far, oldest first.
async fn deliveries(State(app): State<AppState>) -> Response {
    let deliveries: Vec<serde_json::Value> = Control::new(app.shared.clone())
        .deliveries()
        .into_iter()
        .map(|d| {
            let (outcome, status, reason) = match d.outcome {
                crate::webhooks::DeliveryOutcome::Delivered { status } => {
                    ("delivered", Some(status), None)
                }
                crate::webhooks::DeliveryOutcome::Failed { reason } => {
                    ("failed", None, Some(reason))
                }
            };
            json!({
                "id": d.id,
                "duplicate_of": d.duplicate_of,
                "event_type": d.event_type,
                "url": d.url,
                "attempts": d.attempts,
                "outcome": outcome,
                "status": status,
                "reason": reason,
                "body": d.body,
            })
        })
        .collect();
    ok(json!(deliveries))
}
