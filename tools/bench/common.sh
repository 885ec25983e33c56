# Sourced by the scripts in tools/bench/: sets ROOT, JAVA_HOME (a JDK 25, found by .mvn/find-jdk.sh)
# and PYTHON, the reference venv's python (PyTorch 2.13 with MKL and oneDNN, TransformerLens 2.18),
# which tools/bench/setup-python.sh makes when it is missing. Every comparison runs under that
# python; Debian's torch 1.13 (/usr/bin/python3) is only an optional extra column where a script says so.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../.mvn/find-jdk.sh
. "$ROOT/.mvn/find-jdk.sh"
lens4j_find_jdk || exit 1
PYTHON="${LENS4J_VENV:-$HOME/.cache/lens4j/venv}/bin/python"
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "the reference venv is missing; making it with tools/bench/setup-python.sh" >&2
  PYTHON="$("$ROOT/tools/bench/setup-python.sh" | tail -n 1)"
fi
# PyTorch's GNU OpenMP threads spin after each parallel region unless told not to (docs/perf/matmul.md)
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export PYTHON JAVA_HOME ROOT

# Writes the session's machine, JDK, torch and load as JSON to $1 (load at the start; call
# session_end with the same file at the end).
session_start() {
  "$PYTHON" - "$1" "$JAVA_HOME/bin/java" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tools", "bench"))
import benchenv, torch
s = {"cpu": benchenv.cpu_info(), "jdk": benchenv.jdk_version(sys.argv[2]), "load_start": benchenv.load(),
     "torch": {"torch": benchenv.torch_info(torch)}}
json.dump(s, open(sys.argv[1], "w"), indent=1)
PY
}

session_end() {
  "$PYTHON" - "$1" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tools", "bench"))
import benchenv
s = json.load(open(sys.argv[1]))
s["load_end"] = benchenv.load()
json.dump(s, open(sys.argv[1], "w"), indent=1)
PY
}

# Runs the JMH jar with the given arguments, waiting while another JMH run holds JMH's lock.
run_jmh() {
  local log="$1"; shift
  while true; do
    if "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$ROOT/benchmarks/target/benchmarks.jar" "$@" >"$log" 2>&1; then
      return 0
    fi
    if grep -q "Unable to acquire the JMH lock" "$log"; then
      echo "another JMH run holds the lock; waiting" >&2
      sleep 30
    else
      cat "$log" >&2
      return 1
    fi
  done
}

# bench_begin DIR: builds the benchmarks jar, empties DIR and records the session's machine, JDK, torch and
# load at the start in DIR/session.json.
bench_begin() {
  (cd "$ROOT" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
  rm -rf "$1"
  mkdir -p "$1"
  session_start "$1/session.json"
}

# bench_alternate ROUNDS LENS4J_FN TORCH_FN: calls the two functions with each round's number, lens4j first in
# odd rounds and PyTorch first in even ones, so that a drift in the machine's load falls on both sides.
bench_alternate() {
  local rounds="$1" lens="$2" torch="$3" r
  for r in $(seq 1 "$rounds"); do
    if (( r % 2 )); then
      echo "round $r/$rounds: lens4j, then PyTorch" >&2
      "$lens" "$r"; "$torch" "$r"
    else
      echo "round $r/$rounds: PyTorch, then lens4j" >&2
      "$torch" "$r"; "$lens" "$r"
    fi
  done
}

# bench_archive DIR NAME: copies DIR's raw results (*.json, *.jsonl, *.txt) to tools/bench/results/NAME,
# replacing an archive of that name.
bench_archive() {
  local archive="$ROOT/tools/bench/results/$2"
  rm -rf "$archive"
  mkdir -p "$archive"
  cp "$1"/*.json "$1"/*.jsonl "$1"/*.txt "$archive"/
  echo "raw results archived in ${archive#"$ROOT"/}" >&2
}
