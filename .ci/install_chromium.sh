#!/usr/bin/env bash
# Installs Debian's Chromium (/usr/bin/chromium) for the status page test
# (tests/status_page_test.ts) when it is missing. Idempotent and quiet: does nothing when
# Chromium is already installed. Runs apt-get directly as root (CI), through sudo otherwise
# (when sudo is available); without either it says so and exits 0, and the browser test
# skips itself.
set -euo pipefail

chromium=/usr/bin/chromium

if [[ -x "$chromium" ]]; then
  exit 0
fi

say() { printf 'install_chromium: %s\n' "$*" >&2; }

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "not root and no password-less sudo: cannot install Chromium; the browser test will skip"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "no apt-get on this machine: install Chromium yourself; the browser test will skip"
  exit 0
fi

say "installing Debian's chromium (one time)"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (fresh containers) or stale (a security update removed
# the listed version); refresh them when the first attempt fails.
if ! "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
  "${as_root[@]}" apt-get update -qq >/dev/null
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

[[ -x "$chromium" ]] || {
  say "apt-get finished but $chromium is missing"
  exit 1
}
say "installed $("$chromium" --version 2>/dev/null || echo chromium)"
