#!/usr/bin/env python3
"""Hand-written lines per API operation, the measure of issue #11.

Counts the code lines (not blank, not comments or doc comments, not `#[cfg(test)]`
modules) of the three places that wire operations by hand: the wrapper's area modules,
the CLI's commands and table views, and the sandbox's handlers; divides by the number of
operations in the generated table. Usage: scripts/lines-per-operation.py [GIT-REV]
(default: the work tree).
"""
import re
import subprocess
import sys

AREAS = {
    "wrapper": r"crates/cryptopocket/src/(assets|auth|bank_accounts|customers|offramp|onramp|subscriptions|inputs)\.rs$",
    "cli": r"crates/cryptopocket-cli/src/(commands/[a-z_]+\.rs|views\.rs)$",
    "sandbox": r"crates/cryptopocket-sandbox/src/api/[a-z_]+\.rs$",
}


def files(rev):
    if rev:
        out = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev], capture_output=True, text=True, check=True).stdout
    else:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], capture_output=True, text=True, check=True).stdout
    return out.split()


def read(rev, path):
    if rev:
        return subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=True).stdout
    with open(path) as f:
        return f.read()


def code_lines(text):
    count = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#[cfg(test)]"):
            break  # test modules sit at the end of a file by convention
        if not stripped or stripped.startswith("//"):
            continue
        count += 1
    return count


def main():
    rev = sys.argv[1] if len(sys.argv) > 1 else None
    paths = files(rev)
    spec = "".join(read(rev, p) for p in paths if re.match(r"openapi/.*\.ya?ml$", p))
    operations = len(set(re.findall(r"operationId:\s*(\w+)", spec)))
    total = 0
    for area, pattern in AREAS.items():
        n = sum(code_lines(read(rev, p)) for p in paths if re.search(pattern, p))
        total += n
        print(f"{area:8} {n:6} lines  {n / operations:6.1f} per operation")
    print(f"{'all':8} {total:6} lines  {total / operations:6.1f} per operation ({operations} operations)")


if __name__ == "__main__":
    main()
