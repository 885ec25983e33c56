#!/usr/bin/env bash
# Makes sure a headless Chromium is available for the report module's browser test
# (report/src/test/.../HtmlReportBrowserTest). Idempotent and quiet: does nothing when a
# chromium binary is already on PATH; otherwise installs Debian's chromium package with apt-get,
# waiting for another apt/dpkg run to finish first. The script itself never fails, it only warns:
# the browser tests decide. They skip with a message when there is no browser, except when
# LENS4J_REQUIRE_BROWSER=1 (which .ci/run sets), where a missing browser fails them. fonts-dejavu-core
# gives the screenshots (and the Java2D PNGs) real glyphs on a minimal image.
set -u

have_browser() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || command -v google-chrome >/dev/null 2>&1
}

if have_browser; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no chromium and no apt-get; the headless-browser tests will skip (or fail under LENS4J_REQUIRE_BROWSER=1)" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "install-browser: not root and no sudo; cannot install chromium (the browser tests will skip, or fail under LENS4J_REQUIRE_BROWSER=1)" >&2
    exit 0
  fi
fi

# Wait (up to ~10 minutes) while another apt or dpkg run holds the locks.
apt_busy() {
  pgrep -x apt-get >/dev/null 2>&1 || pgrep -x apt >/dev/null 2>&1 || pgrep -x dpkg >/dev/null 2>&1 \
    || pgrep -x unattended-upgr >/dev/null 2>&1
}

install() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null 2>&1 && return 0
  # The package lists may be missing or stale on a fresh machine.
  $SUDO apt-get update -q >/dev/null 2>&1
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null 2>&1
}

for attempt in 1 2 3 4 5; do
  waited=0
  while apt_busy && [ "$waited" -lt 600 ]; do
    sleep 5
    waited=$((waited + 5))
  done
  if install && have_browser; then
    exit 0
  fi
  sleep 10
done

echo "install-browser: could not install chromium; the headless-browser tests will skip (or fail under LENS4J_REQUIRE_BROWSER=1)" >&2
exit 0
