#!/usr/bin/env bash
# Make sure a Chromium is there for the browser tests (tests/browser/), in this order:
# Debian's /usr/bin/chromium if present; else the one Playwright downloads; else, where that
# download is blocked and apt is available, Debian's chromium package. Fails loudly otherwise.
set -u
if [ -x /usr/bin/chromium ]; then
  echo "browser: /usr/bin/chromium"; exit 0
fi
if python -m playwright install chromium >/dev/null 2>&1; then
  echo "browser: Playwright's chromium"; exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "browser: Playwright's download failed; installing Debian's chromium with apt-get"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
    && [ -x /usr/bin/chromium ] && { echo "browser: /usr/bin/chromium"; exit 0; }
fi
echo "browser: no Chromium could be installed. Install one with 'python -m playwright install chromium'" \
     "or 'apt-get install chromium', then run the tests again." >&2
exit 1
