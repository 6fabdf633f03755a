#!/usr/bin/env bash
# Installs the optional landmark extractor that `signstgcn extract` runs (extract/): Debian's
# chromium (headless, software WebGL) and ffmpeg, Node.js and npm when no `node` is on PATH,
# then the npm packages pinned by extract/package-lock.json (`npm ci`: puppeteer-core, which
# never downloads a browser, and @mediapipe/holistic, which carries MediaPipe's WASM build and
# every model). As root it runs apt-get; otherwise it prints the command to run and stops.
# Already-installed packages and an up-to-date node_modules cost nothing on a second run.
# --with-test-data adds Debian's opencv-doc, whose messi5.jpg the end-to-end tests use
# (tests/extract/, ctest label `extract`).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(chromium ffmpeg)
case "${1:-}" in
  --with-test-data) PKGS+=(opencv-doc) ;;
  "") ;;
  *) echo "usage: bash scripts/install-extract.sh [--with-test-data]" >&2; exit 2 ;;
esac
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the landmark extractor needs these Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "then run this script again" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm ci only when the lockfile changed since the last install
stamp=extract/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ extract/package-lock.json -nt "$stamp" ]; then
  echo "installing the extractor's npm packages (npm ci in extract/)" >&2
  (cd extract && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
node -e 'require("./extract/node_modules/puppeteer-core"); process.exit(0)' ||
  { echo "install-extract: extract/node_modules/puppeteer-core does not load" >&2; exit 1; }
echo "landmark extractor ready: $(command -v chromium) ($(chromium --version 2>/dev/null | head -1)), $(ffmpeg -version | head -1 | cut -d' ' -f1-3), node $(node --version)" >&2
