#!/usr/bin/env bash
# Fuzzes every decoder of the `cryptopocket` crate with cargo-fuzz (libFuzzer), each target
# for a bounded time, on the stable toolchain. Not part of the default CI run (.ci/run).
#
#   scripts/fuzz.sh                      # every target, FUZZ_SECONDS (60) each
#   FUZZ_SECONDS=600 scripts/fuzz.sh webhook amounts
#
# Environment:
#   FUZZ_SECONDS    time per target in seconds (default 60)
#   FUZZ_SANITIZER  none (default) or address; both build on stable with RUSTC_BOOTSTRAP=1
#   FUZZ_JOBS       parallel fuzzing processes per target (default 1)
#   FUZZ_MAX_LEN    longest input libFuzzer tries, in bytes (default 8192)
#
# Seeds: the documented payloads in tests/fixtures/ and the small fuzz/seeds/<target>/. New
# inputs go to fuzz/corpus/<target>/ (not committed), crashes to fuzz/artifacts/<target>/, the
# output of each run to fuzz/artifacts/<target>.log. Exits non-zero when any target crashed
# (or failed to build); reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none <target> fuzz/artifacts/<target>/crash-…
# and minimise it with `cargo fuzz tmin -s none <target> <that file>`.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
ALL_TARGETS=(envelope excerpt_redact retry_after amounts webhook)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-8192}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=("${ALL_TARGETS[@]}")
fi

# The stable toolchain, whatever the default; cargo-fuzz passes -Z flags, which
# RUSTC_BOOTSTRAP=1 lets stable accept.
if command -v rustup >/dev/null 2>&1; then
    export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-stable}
fi
export RUSTC_BOOTSTRAP=1

installed=$(cargo fuzz --version 2>/dev/null || true)
if [ "$installed" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION (found: ${installed:-none})" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

# Debug assertions on, as in the tests: an arithmetic overflow is a bug even where a
# release build would wrap silently.
build_flags=(--fuzz-dir fuzz -s "$sanitizer" --debug-assertions)
# Each sanitizer builds the whole tree differently: keep its build apart so that switching
# does not rebuild the other (none uses the default, fuzz/target).
if [ "$sanitizer" != none ]; then
    build_flags+=(--target-dir "fuzz/target/$sanitizer")
fi

echo "fuzz: building ${targets[*]} (sanitizer: $sanitizer)" >&2
for target in "${targets[@]}"; do
    cargo fuzz build "${build_flags[@]}" "$target"
done

mkdir -p fuzz/artifacts
failed=()
for target in "${targets[@]}"; do
    corpus=(fuzz/corpus/"$target")
    mkdir -p "${corpus[0]}"
    if [ -d fuzz/seeds/"$target" ]; then
        corpus+=(fuzz/seeds/"$target")
    fi
    corpus+=(tests/fixtures)
    log=fuzz/artifacts/$target.log
    echo "fuzz: $target for ${seconds}s (log: $log)" >&2
    status=0
    cargo fuzz run "${build_flags[@]}" --jobs "$jobs" "$target" "${corpus[@]}" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    # The last status line (coverage, features, corpus, execs/s) and the final stats.
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || grep -E '^#[0-9]+' "$log" | tail -n 1 || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target FAILED (exit $status); the input and stack are in $log" >&2
        grep -E 'panicked at|SUMMARY|Test unit written to|^Failing input' "$log" >&2 || true
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no crash in ${targets[*]} (${seconds}s each)" >&2
