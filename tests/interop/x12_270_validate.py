#!/usr/bin/env python3
"""Validate X12 270 eligibility inquiries with linuxforhealth-x12, a second independent reading of handoff's 270.

Usage: python3 tests/interop/x12_270_validate.py tests/interop/x12/270.x12
Needs (in its own venv, it pins pydantic 1): pip install linuxforhealth-x12 'pydantic<2'
Prints one line per file and exits non-zero if any file fails: X12ModelReader validates every segment and loop
against its pydantic model of 005010X279A1 and raises on the first thing it rejects.
"""
import sys

from linuxforhealth.x12.io import X12ModelReader


def validate(path):
    with X12ModelReader(path) as reader:
        models = list(reader.models())
    if not models:
        raise ValueError("no transaction set was read")
    kinds = {type(m).__module__.split(".")[-2] for m in models}
    return f"{len(models)} transaction set(s), {', '.join(sorted(kinds))}"


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failures = 0
    for path in paths:
        try:
            summary = validate(path)
            print(f"ok    {path}  ({summary})")
        except Exception as error:  # pydantic and reader errors are reported the same way: file, then reason
            failures += 1
            print(f"FAIL  {path}  {type(error).__name__}: {' '.join(str(error).split())[:600]}")
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
