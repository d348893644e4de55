#!/usr/bin/env python3
"""Targets built without a test harness (`test = false`) or without doctests (`doctest = false`)
must hold nothing that `cargo test` would then skip in silence: no test attributes in their
sources, no Rust code blocks in their docs. Each such target saves the test build a compile and a
link of a binary that runs no test (18 of them did, most linking the AWS SDK)."""

import json
import pathlib
import re
import subprocess
import sys

TEST_ATTR = re.compile(r"#\[(?:cfg\(test\)|test\]|tokio::test)")
# An opening fence in a doc comment; rustdoc runs it unless its info string names another language.
FENCE = re.compile(r"^\s*//[/!]\s?```\s*(\S*)")
NOT_RUST = {"text", "sh", "bash", "console", "json", "toml", "sql", "http", "csv"}


def sources(target):
    root = pathlib.Path(target["src_path"])
    # A library's modules live beside its root; a binary here is one file (kept thin).
    return sorted(root.parent.rglob("*.rs")) if "lib" in target["kind"] else [root]


def rust_fences(path):
    inside = False
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = FENCE.match(line)
        if not m:
            continue
        if not inside and m.group(1) not in NOT_RUST:
            yield n
        inside = not inside


def main():
    meta = json.loads(
        subprocess.check_output(["cargo", "metadata", "--no-deps", "--format-version", "1"])
    )
    problems = []
    for package in meta["packages"]:
        for target in package["targets"]:
            if not target["test"]:
                for path in sources(target):
                    if TEST_ATTR.search(path.read_text()):
                        problems.append(f"{path}: has tests, but {target['name']} is `test = false`")
            if "lib" in target["kind"] and not target["doctest"]:
                for path in sources(target):
                    for n in rust_fences(path):
                        problems.append(
                            f"{path}:{n}: a Rust doc example, but {target['name']} is "
                            "`doctest = false` (move it to a test, or mark the block `text`)"
                        )
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
