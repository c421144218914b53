//! The faults a well-formed HTTP server answers with, served by `wiremock`: redirects of
//! every kind, absurd `Retry-After` values, echoes of the request in every shape, statuses
//! the API does not use, a body over the cap, and a connection closed without an answer.

use serde_json::json;
use wiremock::{Request, ResponseTemplate};

use super::{CAP, Case, DECODE, Fault, REDIRECT, STATUS, STATUS_OR_DECODE, TOO_LARGE, TRANSPORT};
use crate::support::mock::{self, Received as _};

/// The request as a proxy would echo it: request line, headers, body.
pub(super) fn raw_request(request: &Request) -> String {
    let mut text = format!("{} {} HTTP/1.1\r\n", request.method, request.target());
    for (name, value) in &request.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&request.text());
    text
}

/// The request as a JSON echo service would return it.
fn echo_json(request: &Request) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(String::from_utf8_lossy(v.as_bytes()))))
        .collect();
    json!({"method": request.method.as_str(), "path": request.target(), "headers": headers, "body": request.text()})
}

fn redirect(status: u16, location: String) -> ResponseTemplate {
    mock::raw(
        status,
        "text/html",
        format!("<a href=\"{location}\">moved</a>"),
    )
    .insert_header("Location", location.as_str())
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        // Redirects, anywhere: never followed.
        Case {
            name: "307 to the same URL",
            fault: Fault::Http(|r, _| redirect(307, r.target())),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "307 to another origin",
            fault: Fault::Http(|r, c| redirect(307, format!("{}{}", c.other_origin, r.target()))),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "308 to another origin with userinfo",
            fault: Fault::Http(|r, c| {
                let origin = c.other_origin.replace("http://", "http://user:pw@");
                redirect(308, format!("{origin}{}", r.target()))
            }),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "301 to another origin",
            fault: Fault::Http(|_, c| redirect(301, format!("{}/api/elsewhere", c.other_origin))),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "302 relative",
            fault: Fault::Http(|_, _| redirect(302, "/api/elsewhere".into())),
            create: REDIRECT,
            other: REDIRECT,
        },
        Case {
            name: "303 without Location",
            fault: Fault::Http(|_, _| mock::text(303, "see other")),
            create: REDIRECT,
            other: REDIRECT,
        },
        // Absurd Retry-After values: never overflow, never sleep past the deadline.
        Case {
            name: "503 Retry-After u64::MAX",
            fault: Fault::Http(|_, _| mock::retry_after(503, "busy", "18446744073709551615")),
            create: STATUS,
            other: &["RetryAfterPastDeadline"],
        },
        Case {
            name: "429 Retry-After i64::MAX",
            fault: Fault::Http(|_, _| mock::retry_after(429, "busy", "9223372036854775807")),
            create: STATUS,
            other: &["RetryAfterPastDeadline"],
        },
        Case {
            name: "503 Retry-After in the year 9999",
            fault: Fault::Http(|_, _| {
                mock::retry_after(503, "busy", "Fri, 31 Dec 9999 23:59:59 GMT")
            }),
            create: STATUS,
            other: &["RetryAfterPastDeadline"],
        },
        Case {
            name: "503 Retry-After negative",
            fault: Fault::Http(|_, _| mock::retry_after(503, "busy", "-5")),
            create: STATUS,
            other: STATUS,
        },
        // Echoes of the request, in every shape.
        Case {
            name: "text 502 echoing the request",
            fault: Fault::Http(|r, _| mock::text(502, raw_request(r))),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "text 200 echoing the request",
            fault: Fault::Http(|r, _| mock::text(200, raw_request(r))),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "JSON 502 echoing the request",
            fault: Fault::Http(|r, _| mock::json(502, echo_json(r))),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "JSON 502 echoing with PHP's escaped slashes",
            fault: Fault::Http(|r, _| {
                let body = echo_json(r).to_string().replace('/', "\\/");
                mock::raw(502, "application/json", body)
            }),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "text 502 echoing the request percent-encoded",
            fault: Fault::Http(|r, _| {
                let encoded: String =
                    form_urlencoded::byte_serialize(raw_request(r).as_bytes()).collect();
                mock::text(502, encoded)
            }),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "BOM then a JSON 200 echoing the request",
            fault: Fault::Http(|r, _| {
                let body = json!({"status": "ok", "data": echo_json(r)});
                mock::raw(200, "application/json", format!("\u{feff}{body}"))
            }),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "PHP notice then a JSON 200 echoing the request",
            fault: Fault::Http(|r, _| {
                let body = json!({"status": "ok", "data": echo_json(r)});
                let notice = "<br />\n<b>Notice</b>:  Undefined index: \"x\" in <b>/var/www/app/Http/Api.php</b> on line <b>42</b><br />\n";
                mock::raw(200, "text/html", format!("{notice}{body}"))
            }),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "invalid UTF-8 then the request echoed in a 502",
            fault: Fault::Http(|r, _| {
                let mut body = vec![0xff, 0xfe, 0xc3];
                body.extend_from_slice(raw_request(r).as_bytes());
                ResponseTemplate::new(502).set_body_bytes(body)
            }),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "502 echoing request headers into response headers",
            fault: Fault::Http(|r, _| {
                let echoed = r
                    .headers
                    .iter()
                    .map(|(k, v)| (format!("x-echo-{k}"), v.clone()));
                mock::text(502, "bad gateway").append_headers(echoed)
            }),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "unexpected_error whose message is an exception holding the request",
            fault: Fault::Http(|r, _| {
                mock::json(
                    200,
                    json!({"status": "error", "error": "unexpected_error",
                           "message": format!("PDOException in Api.php: {}", raw_request(r)),
                           "data": {"trace": raw_request(r)}}),
                )
            }),
            create: &["Api"],
            other: &["Api"],
        },
        Case {
            name: "an exception in place of the code",
            fault: Fault::Http(|r, _| {
                mock::json(
                    200,
                    json!({"status": "error", "error": format!("SQLSTATE[23000]: {}", raw_request(r))}),
                )
            }),
            create: &["Api"],
            other: &["Api"],
        },
        // Bodies and envelopes that say nothing usable.
        Case {
            name: "200 of twice the cap, announced",
            fault: Fault::Http(|_, _| {
                ResponseTemplate::new(200).set_body_bytes(vec![b' '; 2 * CAP])
            }),
            create: TOO_LARGE,
            other: TOO_LARGE,
        },
        Case {
            name: "empty 200",
            fault: Fault::Http(|_, _| mock::text(200, "")),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "success without data",
            fault: Fault::Http(|_, _| mock::json(200, json!({"status": "success", "data": null}))),
            create: DECODE,
            other: DECODE,
        },
        Case {
            name: "connection closed without an answer",
            fault: Fault::Dropped,
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "header values with bytes outside ASCII",
            fault: Fault::Http(|_, _| {
                ResponseTemplate::new(200)
                    .insert_header("X-Odd", &b"\xff\xfe\x80"[..])
                    .insert_header("Retry-After", &b"\xff"[..])
                    .set_body_bytes(&b"{\"status\":\"ok\"}"[..])
            }),
            create: DECODE,
            other: DECODE,
        },
        // Statuses the API does not use, with bodies of every kind.
        Case {
            name: "400 HTML",
            fault: Fault::Http(|_, _| {
                mock::raw(400, "text/html", "<html><body>Bad Request</body></html>")
            }),
            create: STATUS_OR_DECODE,
            other: STATUS_OR_DECODE,
        },
        Case {
            name: "404 JSON echo",
            fault: Fault::Http(|r, _| mock::json(404, echo_json(r))),
            create: STATUS_OR_DECODE,
            other: STATUS_OR_DECODE,
        },
        Case {
            name: "418 text echo",
            fault: Fault::Http(|r, _| mock::text(418, raw_request(r))),
            create: STATUS_OR_DECODE,
            other: STATUS_OR_DECODE,
        },
        Case {
            name: "500 JSON echo",
            fault: Fault::Http(|r, _| mock::json(500, echo_json(r))),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "504 empty",
            fault: Fault::Http(|_, _| mock::text(504, "")),
            create: STATUS,
            other: STATUS,
        },
    ]
}
