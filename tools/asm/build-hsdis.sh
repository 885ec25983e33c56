#!/bin/sh
# Builds tools/asm/hsdis-objdump.c and installs it as the JDK's hsdis-amd64.so, so that
# -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,Class::method prints C2's code as
# instructions. Needs gcc and objdump (apt-get install gcc binutils). Development only.
#   tools/asm/build-hsdis.sh [JAVA_HOME]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
java_home=${1:-${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}}
[ -x "$java_home/bin/java" ] || { echo "build-hsdis.sh: no JDK at $java_home (give JAVA_HOME)" >&2; exit 1; }
command -v objdump > /dev/null || { echo "build-hsdis.sh: objdump not found (apt-get install binutils)" >&2; exit 1; }
out="$java_home/lib/server/hsdis-amd64.so"
gcc -shared -fPIC -O2 -Wall -o "$out" "$here/hsdis-objdump.c"
echo "installed $out"
