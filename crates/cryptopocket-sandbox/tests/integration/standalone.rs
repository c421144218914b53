//! The `cryptopocket-sandbox` binary: its flags are `SandboxArgs`, the ones
//! `cryptopocket sandbox serve` takes too (the CLI's own test checks its side).

use std::process::Command;

use clap::Args as _;
use cryptopocket_sandbox::SandboxArgs;

/// The long options `--help` lists (`--help` and `--version` aside), sorted.
fn long_options_in_help(help: &str) -> Vec<String> {
    let mut options: Vec<String> = help
        .lines()
        .filter_map(|line| {
            // `      --port <PORT>  …` or `  -h, --help  …`: the option is the first word, or
            // the second after a short one.
            let mut words = line.split_whitespace();
            let first = words.next()?;
            let word = if first.starts_with("--") {
                first
            } else if first.len() == 3 && first.starts_with('-') && first.ends_with(',') {
                words.next()?
            } else {
                return None;
            };
            let name: String = word
                .strip_prefix("--")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .filter(|long| !matches!(long.as_str(), "help" | "version"))
        .collect();
    options.sort();
    options.dedup();
    options
}

#[test]
fn the_binary_takes_exactly_the_shared_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_cryptopocket-sandbox"))
        .arg("--help")
        .output()
        .expect("run cryptopocket-sandbox --help");
    assert!(output.status.success(), "{output:?}");
    let help = String::from_utf8_lossy(&output.stdout);

    let mut shared: Vec<String> = SandboxArgs::augment_args(clap::Command::new("sandbox"))
        .get_arguments()
        .filter_map(clap::Arg::get_long)
        .map(str::to_owned)
        .collect();
    shared.sort();
    assert_eq!(long_options_in_help(&help), shared, "{help}");
    for flag in [
        "header-timeout",
        "max-connections",
        "request-timeout",
        "step-seconds",
    ] {
        assert!(shared.iter().any(|long| long == flag), "--{flag}");
    }
}

#[test]
fn a_bad_flag_value_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_cryptopocket-sandbox"))
        .args(["--max-connections", "0"])
        .output()
        .expect("run cryptopocket-sandbox");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--max-connections"));
}
