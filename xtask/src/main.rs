//! `cargo xtask`: the workspace's code generation and spec checks.
//!
//! - `cargo xtask lint` checks `openapi/cryptopocket.yaml` against the project's rules.
//! - `cargo xtask gen` lints, then regenerates `crates/cryptopocket-api/src/generated.rs`.
//! - `cargo xtask gen --check` regenerates in memory and fails with a diff when the checked-in
//!   file is stale (CI runs it).
//! - `cargo xtask check-capture DIR` checks exchanges captured from a server
//!   (`CRYPTOPOCKET_CAPTURE=DIR`) against the spec and prints every disagreement.
//! - `cargo xtask test [ARGS]` starts PostgreSQL (`scripts/postgres.sh`), runs
//!   `cargo test --workspace ARGS` with `CRYPTOPOCKET_TEST_POSTGRES_URL` set, and stops it.

mod check_capture;
mod examples;
mod generate;
mod lint;
mod operations;
mod spec;
mod test_env;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Spec checks and code generation for the CryptoPocket bindings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint the spec, then generate the low-level client from it.
    Gen {
        /// Do not write: fail with a diff when the checked-in file differs from the output.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        paths: Paths,
        /// Where the generated code goes.
        #[arg(long, default_value_os_t = workspace_root().join("crates/cryptopocket-api/src/generated.rs"))]
        out: PathBuf,
    },
    /// Check the spec against the project's rules; every finding names a rule and a JSON pointer.
    Lint {
        #[command(flatten)]
        paths: Paths,
    },
    /// Check captured exchanges (`CRYPTOPOCKET_CAPTURE=DIR`) against the spec: one line per
    /// disagreement, `operationId /json/pointer: expected … got …  [provenance]`.
    CheckCapture {
        /// The directory holding the `*.jsonl` capture files.
        dir: PathBuf,
        #[command(flatten)]
        paths: Paths,
    },
    /// Start what the tests need (PostgreSQL), run `cargo test --workspace ARGS`, stop it.
    Test {
        /// Passed to `cargo test --workspace` as they are (e.g. `-- --nocapture`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(clap::Args)]
struct Paths {
    /// The OpenAPI document.
    #[arg(long, default_value_os_t = workspace_root().join("openapi/cryptopocket.yaml"))]
    spec: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Test { args } => test_env::run(&workspace_root(), &args),
        Command::Lint { paths } => {
            lint_spec(&paths.spec)?;
            Ok(())
        }
        Command::CheckCapture { dir, paths } => {
            let spec = spec::load(&paths.spec)?;
            let report = check_capture::check(&spec.value, &dir)?;
            for finding in &report.findings {
                println!("{finding}");
            }
            for note in &report.notes {
                println!("note: {note}");
            }
            for line in &report.unreadable {
                eprintln!("unreadable: {line}");
            }
            eprintln!("{}", report.summary());
            if !report.is_clean() {
                bail!(
                    "the capture disagrees with {} in {} place(s)",
                    paths.spec.display(),
                    report.findings.len() + report.unreadable.len()
                );
            }
            Ok(())
        }
        Command::Gen { check, paths, out } => {
            let started = Instant::now();
            let spec = lint_spec(&paths.spec)
                .map_err(|e| e.context(format!("{} was left untouched", out.display())))?;
            let code = generate::generate(&spec)
                .map_err(|e| e.context(format!("{} was left untouched", out.display())))?;
            let elapsed = started.elapsed();
            let size = format!("{} lines, {} bytes", code.lines().count(), code.len());
            if check {
                match generate::check(&out, &code)? {
                    generate::Freshness::Fresh => {
                        eprintln!("{} is up to date ({size})", out.display());
                        Ok(())
                    }
                    generate::Freshness::Stale(diff) => {
                        eprint!("{diff}");
                        bail!(
                            "{} is stale: the spec or the generator changed. Run `cargo xtask gen` and commit the result",
                            out.display()
                        )
                    }
                }
            } else {
                let verb = if generate::write_atomically(&out, &code)? {
                    "wrote"
                } else {
                    "unchanged:"
                };
                eprintln!(
                    "{verb} {} ({size}) in {:.2}s",
                    out.display(),
                    elapsed.as_secs_f64()
                );
                Ok(())
            }
        }
    }
}

fn lint_spec(path: &Path) -> Result<spec::Spec> {
    let spec = spec::load(path)?;
    let (findings, counts) = lint::lint(&spec.value);
    if !findings.is_empty() {
        for finding in &findings {
            eprintln!("{finding}");
        }
        bail!(
            "{} violates {} lint rule(s)",
            path.display(),
            findings.len()
        );
    }
    eprintln!(
        "lint ok: {} operations, {} schemas, {} examples valid",
        counts.operations, counts.schemas, counts.examples
    );
    Ok(spec)
}
