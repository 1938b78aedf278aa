#!/usr/bin/env bash
# System packages the test suite and benchmarks use: headless Chromium (page tests),
# Noto CJK fonts (PDF reports with Chinese text) and wrk (HTTP load benchmark).
# Installs what is missing when run as root (CI, a fresh machine); otherwise says what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages (tests that need them will skip): ${need[*]}" >&2
  echo "Install with: sudo apt-get install ${need[*]}" >&2
fi
