"""One side of the reconcile benchmark, run in its own process so its wall time and peak memory are its own.

  python reconcile_vs_datacompy.py datacompy-polars EMR.csv PM.csv
  python reconcile_vs_datacompy.py datacompy-pandas EMR.csv PM.csv
  python reconcile_vs_datacompy.py polars-read      EMR.csv PM.csv

datacompy joins on one key: the EMR export's `xref` column is the PM's `patient_id`, so the EMR side is keyed by
it and the PM side by its own id; the other twelve demographic and coverage columns are compared (all as text,
as the exports hold them). Prints one line of JSON: what was compared and how long each part took.
"""

import json
import sys
import time

COLUMNS = ["family", "given", "middle", "birth_date", "sex", "address_line", "city", "state", "postal_code",
           "phone", "payer", "member_id"]


def main():
    mode, emr_path, pm_path = sys.argv[1:4]
    started = time.perf_counter()
    if mode == "polars-read":
        import polars as pl
        emr = pl.read_csv(emr_path, infer_schema=False)
        pm = pl.read_csv(pm_path, infer_schema=False)
        print(json.dumps({"mode": mode, "rows": [emr.height, pm.height], "seconds": time.perf_counter() - started}))
        return
    if mode == "datacompy-polars":
        import polars as pl
        from datacompy import PolarsCompare
        emr = pl.read_csv(emr_path, infer_schema=False).drop("patient_id").rename({"xref": "key"})
        pm = pl.read_csv(pm_path, infer_schema=False).drop("xref").rename({"patient_id": "key"})
        emr = emr.filter(pl.col("key").is_not_null())
        read = time.perf_counter()
        compare = PolarsCompare(emr, pm, join_columns="key", df1_name="emr", df2_name="pm")
    elif mode == "datacompy-pandas":
        import pandas as pd
        try:
            from datacompy import PandasCompare
        except ImportError:
            from datacompy import Compare as PandasCompare
        emr = pd.read_csv(emr_path, dtype=str, keep_default_na=False).drop(columns="patient_id")
        emr = emr.rename(columns={"xref": "key"})
        emr = emr[emr["key"] != ""]
        pm = pd.read_csv(pm_path, dtype=str, keep_default_na=False).drop(columns="xref")
        pm = pm.rename(columns={"patient_id": "key"})
        read = time.perf_counter()
        compare = PandasCompare(emr, pm, join_columns="key", df1_name="emr", df2_name="pm")
    else:
        sys.exit(f"unknown mode {mode}")
    compared = time.perf_counter()
    report = compare.report()
    done = time.perf_counter()
    print(json.dumps({
        "mode": mode,
        "matches": bool(compare.matches()),
        "report_chars": len(report),
        "read_s": round(read - started, 3),
        "compare_s": round(compared - read, 3),
        "report_s": round(done - compared, 3),
        "seconds": round(done - started, 3),
    }))


if __name__ == "__main__":
    main()
