#!/usr/bin/env bash
# Builds the JMH benchmarks and runs them on a JDK 25 (found by .mvn/find-jdk.sh).
# Arguments are passed to JMH: a benchmark name regex, then options such as -f 1 -wi 2 -i 5 -rf json.
#   tools/bench/run-jmh.sh MatmulBenchmark -p threads=2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../.mvn/find-jdk.sh
. "$root/.mvn/find-jdk.sh"
lens4j_find_jdk || exit 1
(cd "$root" && ./mvnw -q -B -DskipTests -pl benchmarks -am package)
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$root/benchmarks/target/benchmarks.jar" "$@"
