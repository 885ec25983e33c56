# Sourced by ./mvnw and ./lens4j: finds a JDK 25 (or newer) and exports JAVA_HOME.
#
# Order: $LENS4J_JAVA_HOME, then $JAVA_HOME, then `java` on PATH, then the usual install folders
# (/usr/lib/jvm, /opt/java, /opt, ~/.sdkman, ~/.jdks, macOS JavaVirtualMachines). The newest
# JDK whose major version is at least 25 wins; a JDK without javac (a bare JRE) is skipped.

lens4j_jdk_major() {
  # prints the major version of the JDK at $1, or nothing
  local home="$1" v=""
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" | head -n 1)
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

lens4j_find_jdk() {
  local want=25 best="" bestv=0 c v
  local candidates=()
  [ -n "${LENS4J_JAVA_HOME:-}" ] && candidates+=("$LENS4J_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    c=$(readlink -f "$(command -v java)" 2>/dev/null)
    [ -n "$c" ] && candidates+=("${c%/bin/java}")
  fi
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/* \
           "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  # An explicit choice that is too old is an error, not something to skip silently.
  if [ -n "${LENS4J_JAVA_HOME:-}" ]; then
    v=$(lens4j_jdk_major "$LENS4J_JAVA_HOME")
    if [ -z "$v" ] || [ "$v" -lt "$want" ]; then
      echo "lens4j: LENS4J_JAVA_HOME=$LENS4J_JAVA_HOME is not a JDK $want or newer (found: ${v:-no JDK})." >&2
      return 1
    fi
  fi
  for c in "${candidates[@]}"; do
    v=$(lens4j_jdk_major "$c")
    [ -n "$v" ] || continue
    if [ "$v" -ge "$want" ] && [ "$v" -gt "$bestv" ]; then best="$c"; bestv="$v"; fi
    # the first explicit candidate that qualifies wins over scanned ones
    if [ -n "$best" ] && { [ "$c" = "${LENS4J_JAVA_HOME:-}" ] || [ "$c" = "${JAVA_HOME:-}" ]; }; then break; fi
  done
  if [ -z "$best" ]; then
    cat >&2 <<MSG
lens4j: no JDK $want or newer was found (JAVA_HOME=${JAVA_HOME:-unset}; looked in /usr/lib/jvm, /opt, ~/.sdkman, ~/.jdks).
lens4j needs JDK $want for the Vector API (jdk.incubator.vector). Install one, for example
  Debian/Ubuntu:  apt-get install temurin-25-jdk   (from the Adoptium apt repository)
  SDKMAN:         sdk install java 25-tem
then run this command again, or point LENS4J_JAVA_HOME at its folder.
MSG
    return 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}
