//! The faults only a raw socket writes, served by [`RawServer`](crate::support::raw): a
//! response whose body stalls, trickles, is cut short or never ends, a head that stalls or is
//! absurdly long with its body missing, and bytes that are not HTTP at all. An HTTP server
//! library always finishes the response it started, frames it correctly and writes a valid
//! status line, so none of these can come from `wiremock`.

use super::{Case, Fault, STALL, STATUS, TIMEOUT, TOO_LARGE, TRANSPORT};
use crate::support::raw::{Step, head};

/// A status line and headers, then a body that trickles `byte` every 100 ms for 30 s.
fn trickle(status: &str, byte: &str) -> Vec<Step> {
    let mut steps = vec![Step::text(&head(status, &[("Content-Length", "1000")]))];
    for _ in 0..300 {
        steps.push(Step::text(byte));
        steps.push(Step::ms(100));
    }
    steps
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "503 Retry-After u64::MAX, body stalls after 11 bytes",
            fault: Fault::Raw(|| {
                vec![
                    Step::text(&head(
                        "503 Service Unavailable",
                        &[
                            ("Retry-After", "18446744073709551615"),
                            ("Content-Length", "100"),
                        ],
                    )),
                    Step::text("unavailabl"),
                    Step::Sleep(STALL),
                ]
            }),
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "stall after the status line",
            fault: Fault::Raw(|| vec![Step::text("HTTP/1.1 200 OK\r\n"), Step::Sleep(STALL)]),
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "200 stalls mid-body",
            fault: Fault::Raw(|| {
                vec![
                    Step::text(&head("200 OK", &[("Content-Length", "1000")])),
                    Step::text(r#"{"status":"#),
                    Step::Sleep(STALL),
                ]
            }),
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "200 trickles a byte every 100 ms",
            fault: Fault::Raw(|| trickle("200 OK", " ")),
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "500 trickles its body",
            fault: Fault::Raw(|| trickle("500 Internal Server Error", "e")),
            create: TIMEOUT,
            other: TIMEOUT,
        },
        Case {
            name: "endless chunked 200",
            fault: Fault::Raw(|| {
                let mut chunk = b"1000\r\n".to_vec();
                chunk.extend_from_slice(&[b' '; 0x1000]);
                chunk.extend_from_slice(b"\r\n");
                vec![
                    Step::text(&head("200 OK", &[("Transfer-Encoding", "chunked")])),
                    Step::Endless(chunk),
                ]
            }),
            create: TOO_LARGE,
            other: TOO_LARGE,
        },
        Case {
            name: "endless 200 without a length",
            fault: Fault::Raw(|| {
                vec![
                    Step::text(&head("200 OK", &[("Connection", "close")])),
                    Step::Endless(vec![b'['; 0x4000]),
                ]
            }),
            create: TOO_LARGE,
            other: TOO_LARGE,
        },
        Case {
            name: "endless 502 without a length",
            fault: Fault::Raw(|| {
                vec![
                    Step::text(&head("502 Bad Gateway", &[("Connection", "close")])),
                    Step::Endless(vec![b'x'; 0x4000]),
                ]
            }),
            create: STATUS,
            other: STATUS,
        },
        Case {
            name: "200 truncated mid-body",
            fault: Fault::Raw(|| {
                vec![
                    Step::text(&head("200 OK", &[("Content-Length", "100")])),
                    Step::text(r#"{"status":"ok","data":{"#),
                ]
            }),
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "not HTTP at all",
            fault: Fault::Raw(|| vec![Step::text("SSH-2.0-OpenSSH_9.6\r\n\r\n")]),
            create: TRANSPORT,
            other: TRANSPORT,
        },
        Case {
            name: "a 100 KiB header, then the connection closes before the body",
            fault: Fault::Raw(|| {
                let big = "a".repeat(100 * 1024);
                vec![Step::text(&head(
                    "200 OK",
                    &[("X-Big", &big), ("Content-Length", "2")],
                ))]
            }),
            create: TRANSPORT,
            other: TRANSPORT,
        },
    ]
}
