# Sourced by the benches that run against a simulator in its own process (soak.sh --served, live_vs_oha.sh).
#
#   serve_simulator BIN PROFILE WORK NAME
#
# Starts `BIN mock serve PROFILE` in the background (its pid in $server), waits for its URLs ($emr, $pm) and writes
# WORK/NAME.yaml, a target naming the two as real FHIR systems, so the harness reaches them as it would a vendor's.
serve_simulator() {
  "$1" mock serve "$2" >"$3/serve.txt" 2>&1 &
  server=$!
  until grep -q "PM " "$3/serve.txt" 2>/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$3/serve.txt" >&2; return 1; }
    sleep 0.2
  done
  emr=$(awk '$1 == "EMR" {print $2}' "$3/serve.txt")
  pm=$(awk '$1 == "PM" {print $2}' "$3/serve.txt")
  printf 'name: %s\nsystems:\n  emr: { fhir: { base_url: "%s", timeout: 10s } }\n  pm: { fhir: { base_url: "%s", timeout: 10s } }\n' \
    "$4" "$emr" "$pm" >"$3/$4.yaml"
}
