"""Writes the ICD-10-CM code set as data/icd10cm-<FY>.tsv.gz from the PyPI package simple-icd-10-cm.

Usage: python3 data/regenerate-icd10cm.py data/icd10cm-2027.tsv.gz  (see data/README.md)
"""

import gzip
import sys

import simple_icd_10_cm as cm


def main(path: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="\n") as out:
        out.write("code\tbillable\tdescription\n")
        for code in cm.get_all_codes(True):
            # Chapters ("1") and blocks ("A00-A09") are not codes; a one-category block (B20) is listed again
            # as its category, which is why a few rows repeat.
            if not cm.is_category_or_subcategory(code):
                continue
            # Some descriptions carry tabs and doubled spaces; one space keeps the file three columns wide.
            description = " ".join(cm.get_description(code).split())
            out.write(f"{code}\t{int(cm.is_leaf(code))}\t{description}\n")


if __name__ == "__main__":
    main(sys.argv[1])
