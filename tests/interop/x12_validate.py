#!/usr/bin/env python3
"""Validate X12 005010 files (837P, 835, ...) with pyx12, as an independent check of handoff's writers and fixtures.

Usage: python3 tests/interop/x12_validate.py tests/interop/x12/837p.x12 tests/inputs/x12/835.x12
       python3 tests/interop/x12_validate.py target/ci-report/artifacts   (every *.x12 under a folder)
Needs: pip install pyx12
Prints one line per file and exits non-zero if any file fails. pyx12's own CLI exits 1 even on success, so it is
called as a library here: x12n_document() returns False on any error and logs what failed.
"""
import logging
import sys

from pyx12 import params, x12n_document

from interop_files import expand


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def validate(path):
    """Returns (ok, reasons): pyx12's verdict and the errors it logged.

    No 999 is requested: pyx12 cannot build one for an 835, whose guide forbids the ST03 its 999 writer needs.
    """
    collect = Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(collect)
    logger.propagate = False
    try:
        with open(path, encoding="ascii") as src:
            ok = x12n_document.x12n_document(params.params(), src, None, None, None)
    finally:
        logger.removeHandler(collect)
    return bool(ok) and not collect.messages, collect.messages


def main(args):
    paths = expand(args, ".x12")
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failures = 0
    for path in paths:
        try:
            ok, reasons = validate(path)
        except Exception as error:  # an unreadable file is a failure like any other
            ok, reasons = False, [f"{type(error).__name__}: {error}"]
        if ok:
            print(f"ok    {path}")
        else:
            failures += 1
            print(f"FAIL  {path}  {' | '.join(' '.join(str(r).split()) for r in reasons[:8])}")
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
