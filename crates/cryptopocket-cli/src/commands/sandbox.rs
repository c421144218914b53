//! `cryptopocket sandbox serve`: the local sandbox (`cryptopocket-sandbox`), standalone:
//! fixed credentials and a clock that runs by itself. Its flags are the standalone binary's
//! ([`SandboxArgs`], flattened).

use clap::Subcommand;
use cryptopocket_sandbox::{Sandbox, SandboxArgs};
use serde_json::json;

use super::Context;
use crate::exit::Failure;

/// Run the local sandbox server.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox API (on 127.0.0.1:8080 unless --host and --port say otherwise) with
    /// fixed credentials and a real-time clock; prints the environment variables to export.
    /// Stops on ctrl-c. Takes the same flags as the `cryptopocket-sandbox` binary.
    #[command(after_help = "Example:\n  cryptopocket sandbox serve --port 8080")]
    Serve {
        /// Where to listen, what to accept, how fast time moves.
        #[command(flatten)]
        args: SandboxArgs,
    },
}

/// Runs a `sandbox` subcommand.
pub async fn run(context: &Context, command: SandboxCommand) -> Result<(), Failure> {
    match command {
        SandboxCommand::Serve { args } => {
            let address = args.address();
            let sandbox = Sandbox::start_with(args.config()).await.map_err(|e| {
                Failure::usage(format!("cannot start the sandbox on {address}: {e}"))
                    .detail("choose another --port (0 picks a free one)")
            })?;
            context.printer.line(
                sandbox.banner().trim_end(),
                &json!({
                    "base_url": sandbox.base_url(),
                    "api_key": sandbox.api_key(),
                    "api_secret": sandbox.api_secret(),
                }),
            );
            let stopped = tokio::signal::ctrl_c().await;
            sandbox.shutdown().await;
            stopped.map_err(|e| Failure::unreachable(format!("cannot wait for ctrl-c: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, CommandFactory as _, Parser as _};

    use super::*;
    use crate::args::{Cli, Command};

    /// The long options a command takes, `--help` and `--version` aside.
    fn long_options(command: &clap::Command) -> Vec<String> {
        let mut options: Vec<String> = command
            .get_arguments()
            .filter_map(clap::Arg::get_long)
            .filter(|long| !matches!(*long, "help" | "version"))
            .map(str::to_owned)
            .collect();
        options.sort();
        options
    }

    /// `cryptopocket sandbox serve` takes exactly the flags of `SandboxArgs`, which the
    /// `cryptopocket-sandbox` binary takes too (its own test checks its `--help`), besides
    /// the CLI's global options.
    #[test]
    fn serve_takes_the_standalone_flags() {
        let mut cli = Cli::command();
        cli.build();
        let serve = cli
            .find_subcommand("sandbox")
            .and_then(|sandbox| sandbox.find_subcommand("serve"))
            .expect("cryptopocket sandbox serve");
        let global: Vec<String> = cli
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .filter_map(clap::Arg::get_long)
            .map(str::to_owned)
            .collect();
        let own: Vec<String> = long_options(serve)
            .into_iter()
            .filter(|long| !global.contains(long))
            .collect();
        let expected = long_options(&SandboxArgs::augment_args(clap::Command::new("sandbox")));
        assert_eq!(own, expected);
        for flag in [
            "port",
            "host",
            "api-key",
            "api-secret",
            "token-ttl",
            "step-seconds",
            "max-connections",
            "header-timeout",
            "request-timeout",
        ] {
            assert!(expected.iter().any(|long| long == flag), "--{flag}");
        }
    }

    /// The same argument vector parses to the same `SandboxArgs` through both front ends.
    #[test]
    fn the_same_flags_parse_the_same_through_both_front_ends() -> Result<(), clap::Error> {
        #[derive(clap::Parser)]
        struct Standalone {
            #[command(flatten)]
            sandbox: SandboxArgs,
        }

        let flags = [
            "--port",
            "0",
            "--host",
            "0.0.0.0",
            "--api-key",
            "k",
            "--api-secret",
            "s",
            "--token-ttl",
            "60",
            "--step-seconds",
            "1",
            "--max-connections",
            "8",
            "--header-timeout",
            "5",
            "--request-timeout",
            "9",
        ];
        let cli = Cli::try_parse_from(["cryptopocket", "sandbox", "serve"].iter().chain(&flags))?;
        let Command::Sandbox(SandboxCommand::Serve { args: through_cli }) = cli.command else {
            panic!("parsed as another command: {:?}", cli.command);
        };
        let standalone = Standalone::try_parse_from(["cryptopocket-sandbox"].iter().chain(&flags))?;
        assert_eq!(through_cli, standalone.sandbox);
        assert_eq!(through_cli.config().limits.max_connections, 8);
        Ok(())
    }
}
