#!/usr/bin/env python3
"""Read handoff's junit.xml with junitparser, an independent JUnit reader, and check it against report.json.

Usage: python3 tests/interop/junit_check.py DIR   (DIR holds junit.xml and report.json from `handoff run --out DIR`)
Needs: pip install junitparser
Exits non-zero, saying why, if a CI system would read something other than what the run found.
"""
import json
import sys
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped


def main(folder: str) -> int:
    root = Path(folder)
    xml = JUnitXml.fromfile(str(root / "junit.xml"))
    report = json.loads((root / "report.json").read_text())
    problems = []
    suites = {suite.name: suite for suite in xml}
    for target in report["targets"]:
        suite = suites.get(target["name"])
        if suite is None:
            problems.append(f"no test suite for target {target['name']}")
            continue
        expected_cases = 0
        expected_failed = 0
        for flow in target["flows"]:
            for step in flow["steps"]:
                if step["action"].startswith("expect_") or step["status"] == "error":
                    expected_cases += 1
                    expected_failed += step["status"] in ("failed", "error")
        cases = list(suite)
        failed = sum(1 for case in cases if any(isinstance(r, (Failure, Error)) for r in case.result))
        skipped = sum(1 for case in cases if any(isinstance(r, Skipped) for r in case.result))
        line = f"{target['name']}: {len(cases)} cases, {failed} failed, {skipped} skipped"
        if len(cases) != expected_cases or failed != expected_failed:
            problems.append(f"{line}; report.json says {expected_cases} cases, {expected_failed} failed")
        else:
            print(f"ok    {line}")
    for problem in problems:
        print(f"FAIL  {problem}")
    print(f"{len(report['targets']) - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
