#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright's own
# browser download is not available offline); install it when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
echo "Устанавливается chromium для браузерных тестов…"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
