#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser tests (tests/web/test_browser.py).
#
#   .ci/chromium.sh      install it if it is missing and this is root with apt-get
#
# It prints what it does on stderr and never fails CI: without a Chromium the browser tests skip
# and say why. Settings: STATION_CHROMIUM_NO_INSTALL=1 (never apt-get install).
set -uo pipefail

log() { printf 'chromium.sh: %s\n' "$*" >&2; }

for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null; then
        log "$name is installed: $(command -v "$name")"
        exit 0
    fi
done

if [[ ${STATION_CHROMIUM_NO_INSTALL:-0} == 1 ]] || [[ $(id -u) -ne 0 ]] ||
    ! command -v apt-get >/dev/null; then
    log "Chromium is not installed and cannot be installed here (needs root and apt-get):" \
        "the browser tests will be skipped"
    exit 0
fi

log "installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
packages=(chromium fonts-dejavu-core)
# The package lists may be missing or stale on a fresh machine: update once and retry.
if ! apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null 2>&1; then
    apt-get update >/dev/null 2>&1 || true
    if ! apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null; then
        log "apt-get install chromium failed: the browser tests will be skipped"
        exit 0
    fi
fi
log "installed $(command -v chromium)"
