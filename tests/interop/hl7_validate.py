#!/usr/bin/env python3
"""Validate HL7 v2.5.1 ER7 files with hl7apy's strict validation, as an independent check of handoff's builders.

Usage: python3 tests/interop/hl7_validate.py tests/interop/samples/*.hl7
       python3 tests/interop/hl7_validate.py target/ci-report/artifacts   (every *.hl7 under a folder)
A file may be a message log (messages one after another, segments ended by CR, LF or CR LF, as
`handoff generate --format hl7` writes them): each message in it is validated.
Needs: pip install hl7apy
Prints one line per file and exits non-zero if any file fails. CI (.ci/run) runs it on the samples and on the
wire artifacts of its `handoff run --out`.
"""
import sys

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from interop_files import expand


def messages(text):
    """The messages of a file, each as CR-separated segments: a new message starts at each MSH segment."""
    segments = [s for s in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if s.strip()]
    current = []
    for segment in segments:
        if segment.startswith("MSH") and current:
            yield "\r".join(current)
            current = []
        current.append(segment)
    if current:
        yield "\r".join(current)


def validate(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    types = []
    for number, er7 in enumerate(messages(text), start=1):
        # hl7apy expects segments separated by CR and no trailing separator after the last one.
        try:
            message = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
            message.validate()
        except Exception as error:
            raise ValueError(f"message {number}: {type(error).__name__}: {error}") from error
        types.append(message.msh.msh_9.to_er7())
    if len(types) == 1:
        return types[0]
    kinds = sorted(set(types))
    return f"{len(types)} messages: {', '.join(kinds)}"


def main(args):
    paths = expand(args, ".hl7")
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failures = 0
    for path in paths:
        try:
            message_type = validate(path)
            print(f"ok    {path}  ({message_type})")
        except Exception as error:  # every hl7apy failure is reported the same way: file, then reason
            failures += 1
            reason = " ".join(str(error).split())
            print(f"FAIL  {path}  {type(error).__name__}: {reason}")
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
