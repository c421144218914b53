//! One module per command group; each holds its subcommands' arguments and their code.

pub mod api;
pub mod assets;
pub mod auth;
pub mod bank_accounts;
pub mod customers;
pub mod kyc;
pub mod offramp;
pub mod payments;
pub mod sandbox;
pub mod webhooks;

use clap::{Args, CommandFactory as _};
use cryptopocket::{Client, Error, pagination::List};
use futures::{Stream, StreamExt as _, TryStreamExt as _};

use crate::{
    args::{Cli, Command, Global},
    client,
    exit::{Failure, Lookup},
    output::{self, Printer, View},
};

/// What every command gets: the global options and the printer.
#[derive(Debug)]
pub struct Context {
    /// The global options.
    pub global: Global,
    /// Table or JSON.
    pub printer: Printer,
}

impl Context {
    /// A client for the configured server and credentials.
    pub fn client(&self) -> Result<Client, Failure> {
        let client = client::client(&self.global)?;
        output::protect_client(&client);
        Ok(client)
    }
}

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    if let Some(columns) = &cli.global.columns {
        output::set_columns(columns.clone());
    }
    let context = Context {
        printer: Printer {
            json: cli.global.json,
        },
        global: cli.global,
    };
    match cli.command {
        Command::Auth(command) => auth::run(&context, command).await,
        Command::Assets(command) => assets::run(&context, command).await,
        Command::Customers(command) => customers::run(&context, command).await,
        Command::Kyc(command) => kyc::run(&context, command).await,
        Command::Payments(command) => payments::run(&context, command).await,
        Command::Offramp(command) => offramp::run(&context, command).await,
        Command::BankAccounts(command) => bank_accounts::run(&context, command).await,
        Command::Webhooks(command) => webhooks::run(&context, command).await,
        Command::Sandbox(command) => sandbox::run(&context, command).await,
        Command::Api(args) => api::run(&context, args).await,
        Command::Completions { shell } => {
            let mut command = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "cryptopocket", &mut script);
            output::write_stdout(&String::from_utf8_lossy(&script));
            Ok(())
        }
    }
}

/// The failure of a call whose input `T` the command line flattened from its flags: when the
/// crate refused a field (its message starts with the field's name, the flag's id), the hint
/// names the flag to correct.
pub fn naming_flag<T: Args>(error: Error) -> Failure {
    let flag = match &error {
        Error::InvalidRequest(message) => T::augment_args(clap::Command::new("input"))
            .get_arguments()
            .find(|arg| {
                let rest = message.strip_prefix(arg.get_id().as_str());
                rest.is_some_and(|rest| rest.starts_with([' ', ':']))
            })
            .and_then(|arg| arg.get_long().map(|long| format!("--{long}"))),
        _ => None,
    };
    let failure = Failure::from(error);
    match flag {
        Some(flag) => failure.hint(format!(
            "nothing was sent; correct {flag} and run the command again"
        )),
        None => failure,
    }
}

/// Prints the record `call` answers. `input`, flattened from the flags, is what it sent: a
/// field the crate refuses is named by its flag ([`naming_flag`]).
pub async fn record<T: Args, V: View>(
    printer: &Printer,
    _input: &T,
    call: impl Future<Output = Result<V, Error>>,
) -> Result<(), Failure> {
    printer.record(&call.await.map_err(naming_flag::<T>)?)
}

/// [`record`] for a call that creates: a failure that may have reached the server says how
/// to find what it may have made (`lookup`, with the user's own values).
pub async fn create<T: Args, V: View>(
    printer: &Printer,
    _input: &T,
    lookup: Lookup,
    call: impl Future<Output = Result<V, Error>>,
) -> Result<(), Failure> {
    let created = call.await;
    printer.record(&created.map_err(|e| naming_flag::<T>(e).look_up_with(lookup))?)
}

/// `--limit` and `--per-page` for the commands that list.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Stop after N items (by default every page is read).
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..),
        allow_negative_numbers = true
    )]
    pub limit: Option<u64>,
    /// Ask for N items a page, from 1 to 100 (by default the server's, 15).
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=100),
        allow_negative_numbers = true
    )]
    pub per_page: Option<u64>,
}

impl ListArgs {
    /// `list` at the page size given, when one was. With `--limit`, pages are fetched one
    /// at a time: fetching ahead would request a page the limit may never need, and
    /// `--limit` promises that later pages are not fetched.
    pub fn sized<T, F>(&self, list: List<T, F>) -> List<T, F>
    where
        T: Send + 'static,
        F: Clone + Send + Sync + 'static,
    {
        let list = if self.limit.is_some() {
            list.fetch_ahead(0)
        } else {
            list
        };
        match self.per_page {
            Some(per_page) => list.per_page(per_page),
            None => list,
        }
    }

    /// Every item of `stream`, page after page, up to the limit; later pages are not fetched.
    /// (A stream filtered here counts only the items kept.)
    pub async fn collect<T>(
        &self,
        stream: impl Stream<Item = Result<T, Error>>,
    ) -> Result<Vec<T>, Failure> {
        let limit = self
            .limit
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(stream.take(limit).try_collect().await?)
    }
}
