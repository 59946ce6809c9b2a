#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Adds up the results of every test run in the given meson build folders.

Check suites count each of their test cases (from the "Checks: N, Failures: F,
Errors: E" line they print); any other meson test counts as one. Prints one
line per build and the closing line "N passed, N failed" for the whole suite.
Exits non-zero when anything failed or when no test ran at all.
"""
import json
import re
import sys
from pathlib import Path

CHECK_LINE = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def summarize(build: Path):
    log = build / "meson-logs" / "testlog.json"
    passed = failed = skipped = 0
    if not log.exists():
        print(f"{build.name}: no test log at {log}", file=sys.stderr)
        return 0, 1, 0
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        result = entry.get("result")
        out = entry.get("stdout") or ""
        m = CHECK_LINE.search(out)
        if m:
            n, f, e = map(int, m.groups())
            passed += n - f - e
            failed += f + e
            # a suite that crashed or timed out after printing still failed
            if result != "OK" and f + e == 0:
                failed += 1
        elif result == "SKIP":
            skipped += 1
        elif result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
    print(f"{build.name}: {passed} passed, {failed} failed, {skipped} skipped")
    return passed, failed, skipped


def main():
    total = [0, 0, 0]
    for arg in sys.argv[1:]:
        for i, n in enumerate(summarize(Path(arg))):
            total[i] += n
    passed, failed, skipped = total
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
