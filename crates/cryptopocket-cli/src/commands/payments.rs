//! `cryptopocket payments`: the OnRamp operations, and `watch`, which follows a payment until
//! the crypto is sent.

use std::{io::IsTerminal as _, time::Duration};

use clap::Subcommand;
use cryptopocket::{
    model::{PaymentId, PaymentStatus},
    onramp::{NewGuidedPayment, NewPayment, OnRamp, Payment, PaymentMethodFilter, QuoteRequest},
    watch::Outcome,
};
use futures::{TryStreamExt as _, future};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Context, ListArgs, create, naming_flag, record};
use crate::{
    args::duration,
    exit::{Failure, Lookup, shortened},
    output::{Printer, redact},
};

/// Buying crypto: methods, quotes, payments, and following a payment to the end.
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// The payment methods available, e.g. LATAM methods by country (List payment methods).
    #[command(after_help = "Example:\n  cryptopocket payments methods --country AR")]
    Methods(PaymentMethodFilter),

    /// What an amount in euros buys (Get Quote).
    #[command(
        after_help = "Example:\n  cryptopocket payments quote --amount 100 --symbol USDC --chain polygon"
    )]
    Quote(QuoteRequest),

    /// Create a payment to a wallet you give (Create Payment Intend). Prints the payment page,
    /// or the bank details for a transfer.
    #[command(
        after_help = "Example:\n  cryptopocket payments create --user-id 100067 --fiat-amount 150.50 --coin-symbol USDC \\\n    --coin-chain polygon --wallet 0x52908400098527886E0F7030069857D2E4169EE7 --external-id order-17"
    )]
    Create(NewPayment),

    /// Create a payment where the customer picks method and wallet on CryptoPocket's page
    /// (Create guided payment intent; EUR only).
    #[command(
        after_help = "Example:\n  cryptopocket payments create-guided --user-id 100067 --fiat-amount 100 --coin-symbol USDC --coin-chain polygon"
    )]
    CreateGuided(NewGuidedPayment),

    /// One payment, amounts in major units (Retrieve payment).
    #[command(after_help = "Example:\n  cryptopocket payments get aBcDeFgHiJkLmNoPqRsTuVwXy")]
    Get {
        /// The payment id.
        payment_id: PaymentId,
    },

    /// Every payment (List on-ramp transactions), or only those with your reference
    /// (--external-id): how to find a payment whose creation failed half-way.
    #[command(
        after_help = "Example:\n  cryptopocket payments list --limit 50\n  cryptopocket payments list --external-id order-17"
    )]
    List {
        /// Only payments with this external id (your reference, as given to `create`). The
        /// API has no such filter: every page is read and filtered here, and --limit counts
        /// the payments kept.
        #[arg(long, value_name = "ID")]
        external_id: Option<String>,
        /// How many to show, and how many a page.
        #[command(flatten)]
        list: ListArgs,
    },

    /// The payment with your reference (the --external-id given to `create`): how to find a
    /// payment whose creation failed half-way before creating it again. The API has no such
    /// filter: the list is read page by page until it is found. Exit 1 when none has it.
    #[command(after_help = "Example:\n  cryptopocket payments find --external-id order-17")]
    Find {
        /// Your reference.
        #[arg(long, value_name = "ID")]
        external_id: String,
    },

    /// Poll a payment until it reaches a final status, for at most --max-wait: a spinner
    /// on a terminal, one line per status change otherwise (one JSON object per change with
    /// --json).
    ///
    /// coins_sent ends it with exit 0; payment_rejected with exit 1 (the payment failed); no
    /// final status within --max-wait with exit 3, naming the last status seen. A status this
    /// version does not know is never taken as final: the watch goes on until --max-wait.
    #[command(
        after_help = "Example:\n  cryptopocket payments watch aBcDeFgHiJkLmNoPqRsTuVwXy --interval 10s --max-wait 30m"
    )]
    Watch {
        /// The payment id.
        payment_id: PaymentId,
        /// The time between polls: 5s, 500ms, 1m, or a bare number of seconds.
        #[arg(
            long,
            value_name = "DURATION",
            value_parser = duration,
            allow_negative_numbers = true,
            default_value = "5"
        )]
        interval: Duration,
        /// The longest the watch runs, polls included: 10m, 90s, or a bare number of seconds
        /// (at most a day). When it is up without a final status the watch ends with exit 3.
        #[arg(
            long,
            value_name = "DURATION",
            value_parser = duration,
            allow_negative_numbers = true,
            default_value = "600"
        )]
        max_wait: Duration,
    },
}

/// Runs a `payments` subcommand.
pub async fn run(context: &Context, command: PaymentsCommand) -> Result<(), Failure> {
    let onramp = context.client()?.onramp();
    let printer = &context.printer;
    match command {
        PaymentsCommand::Methods(filter) => {
            let methods = onramp.payment_methods(&filter).await;
            printer.list(&methods.map_err(naming_flag::<PaymentMethodFilter>)?)?;
        }
        PaymentsCommand::Quote(request) => {
            record(printer, &request, onramp.quote(&request)).await?
        }
        PaymentsCommand::Create(payment) => {
            let lookup = Lookup::payment(payment.given_external_id());
            create(printer, &payment, lookup, onramp.create(&payment)).await?;
        }
        PaymentsCommand::CreateGuided(payment) => {
            let lookup = Lookup::payment(payment.given_external_id());
            create(printer, &payment, lookup, onramp.create_guided(&payment)).await?;
        }
        PaymentsCommand::Get { payment_id } => {
            printer.record(&onramp.get(&payment_id).await?)?;
        }
        PaymentsCommand::List { external_id, list } => {
            // Without --external-id every payment is kept.
            let payments = list
                .sized(onramp.list())
                .stream()
                .try_filter(move |payment| {
                    future::ready(external_id.is_none() || payment.external_id == external_id)
                });
            printer.list(&list.collect(payments).await?)?;
        }
        PaymentsCommand::Find { external_id } => {
            let found = onramp.find_by_external_id(&external_id).await?;
            let payment = found.ok_or_else(|| {
                Failure::refused(format!("no payment has the external id {external_id}"))
                    .with_code("not_found")
                    .hint(
                        "no payment in the list has this reference, so none seems to have been \
                         created with it",
                    )
            })?;
            printer.record(&payment)?;
        }
        PaymentsCommand::Watch {
            payment_id,
            interval,
            max_wait,
        } => watch(printer, &onramp, &payment_id, interval, max_wait).await?,
    }
    Ok(())
}

/// Follows the payment with the crate's [`Watch`](cryptopocket::watch::Watch): on a
/// terminal (and without `--json`) a spinner shows the current status; otherwise each new
/// status is printed once.
///
/// Ends with `Ok` on success (`coins_sent`), with [`rejected`] (exit 1) on a failure status
/// (`payment_rejected`), and with [`gave_up`] (exit 3) when `max_wait` is up first: an unknown
/// status is never taken as final.
async fn watch(
    printer: &Printer,
    onramp: &OnRamp,
    id: &PaymentId,
    interval: Duration,
    max_wait: Duration,
) -> Result<(), Failure> {
    let spinner = (!printer.json && std::io::stdout().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(redact(&id.to_string()));
        bar.set_message("checking…");
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let statuses = onramp
        .watch(id)
        .interval(interval)
        .max_wait(max_wait)
        .stream();
    let last = statuses
        .try_fold(None, |_, payment| {
            let text = describe(&payment);
            match &spinner {
                // indicatif draws on its own: what it draws is redacted here.
                Some(bar) => bar.set_message(redact(&text)),
                None => printer.line(&text, &payment),
            }
            future::ready(Ok(Some(payment)))
        })
        .await;
    let outcome = last
        .map_err(Failure::from)
        .and_then(|last| match Outcome::from_last(last) {
            Outcome::Succeeded(_) => Ok(()),
            Outcome::Failed(payment) => Err(rejected(id, &payment.status)),
            Outcome::GaveUp { last } => Err(gave_up(id, last.map(|p| p.status).as_ref(), max_wait)),
            // An end this version does not know is no success.
            _ => Err(gave_up(id, None, max_wait)),
        });
    if let Some(bar) = &spinner {
        if outcome.is_ok() {
            bar.finish();
        } else {
            bar.abandon();
        }
    }
    outcome
}

/// The watch saw a failure status: exit 1, since the payment ended without the crypto sent.
fn rejected(id: &PaymentId, status: &PaymentStatus) -> Failure {
    let what = match status {
        PaymentStatus::PaymentRejected => "was rejected",
        _ => "failed",
    };
    let status = shown(status);
    Failure::refused(format!("payment {id} {what} (status `{status}`)"))
        .with_code("payment_rejected")
        .detail("the payment ended without the crypto being sent; to buy, create a new payment")
}

/// The max wait is up without a final status: exit 3, naming the last status seen and, when
/// this version does not know it, saying that it may be final.
fn gave_up(id: &PaymentId, last: Option<&PaymentStatus>, max_wait: Duration) -> Failure {
    let waited = format_seconds(max_wait);
    let failure = match last {
        None => Failure::unreachable(format!(
            "payment {id}: no status could be read within --max-wait ({waited} s)"
        ))
        .detail("the server is slow or unreachable; try again, or raise --max-wait"),
        Some(status @ PaymentStatus::Unknown(_)) => {
            let status = shown(status);
            Failure::unreachable(format!(
                "payment {id} has no final status after {waited} s: the last status seen is \
             `{status}`, which this version does not know"
            ))
            .detail(format!(
                "`{status}` is not a status this version knows; it may be final (a failure, a \
             refund, an expiry): look at the payment in the CryptoPocket dashboard"
            ))
        }
        Some(status) => Failure::unreachable(format!(
            "payment {id} has no final status after {waited} s: the last status seen is \
             `{status}`"
        ))
        .detail(format!(
            "run `cryptopocket payments watch {id}` again to keep watching, or raise --max-wait"
        )),
    };
    failure.with_code("watch_timed_out")
}

/// A status as the server sent it, for a message: control characters escaped (an unknown
/// word comes from the server and could hold a newline or a terminal escape) and at most
/// [`SHOWN_STATUS`] characters.
fn shown(status: &PaymentStatus) -> String {
    shortened(&status.as_str().escape_debug().to_string(), SHOWN_STATUS)
}

/// The longest status a message shows, in characters.
const SHOWN_STATUS: usize = 100;

/// Seconds as typed, exactly: `600`, `0.5`, `1.25` (for messages; `sandbox advance` too).
pub fn format_seconds(duration: Duration) -> String {
    // Trailing zeros of a fraction say nothing.
    let text = format!("{}.{:09}", duration.as_secs(), duration.subsec_nanos());
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `coins_sent (txid 0x…)`, or just the status.
fn describe(payment: &Payment) -> String {
    match &payment.txid {
        Some(txid) if payment.status.is_final() => format!("{} (txid {txid})", payment.status),
        _ => payment.status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_shown_as_typed() {
        assert_eq!(format_seconds(Duration::from_secs(600)), "600");
        assert_eq!(format_seconds(Duration::from_millis(500)), "0.5");
        assert_eq!(format_seconds(Duration::from_millis(1250)), "1.25");
        assert_eq!(format_seconds(Duration::from_secs(10)), "10");
        assert_eq!(format_seconds(Duration::from_micros(100)), "0.0001");
    }

    #[test]
    fn a_status_from_the_server_is_shown_escaped_and_short() {
        let id = PaymentId::new("p-1").expect("an id");
        let hostile = PaymentStatus::from(format!("foo\n\u{1b}[31m{}", "x".repeat(500)));
        let failure = gave_up(&id, Some(&hostile), Duration::from_secs(1));
        assert!(
            failure.message.contains(r"`foo\n\u{1b}[31mxxx"),
            "{}",
            failure.message
        );
        assert!(!failure.message.contains('\n'), "{}", failure.message);
        assert!(!failure.message.contains('\u{1b}'), "{}", failure.message);
        assert!(failure.message.len() < 300, "{}", failure.message);
        assert!(failure.details[0].contains("not a status this version knows"));
        // A known word is named as it is, and not called unknown.
        let failure = gave_up(&id, Some(&PaymentStatus::Started), Duration::from_secs(1));
        assert!(
            failure
                .message
                .ends_with("the last status seen is `started`")
        );
        let failure = rejected(&id, &PaymentStatus::PaymentRejected);
        assert_eq!(
            failure.message,
            "payment p-1 was rejected (status `payment_rejected`)"
        );
        assert_eq!(failure.code, crate::exit::Code::Refused);
    }
}
