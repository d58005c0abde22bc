#!/usr/bin/env bash
# Installs what Bounce needs to build, test and run its demo on Debian 12, as root.
# Does nothing (and needs no root) when everything is already there, so `make test` stays fast.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3 clang-format
  # the fuzz targets: clang and its libFuzzer runtime
  clang libclang-rt-14-dev
  libsndfile1-dev libsoxr-dev libfftw3-dev libavformat-dev libavcodec-dev libavutil-dev liblilv-dev
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev librubberband-dev libtag1-dev
  libgtest-dev libbenchmark-dev libcpp-httplib-dev
  # scale-out (issue 24): the broker's client library, and the broker the tests start
  libhiredis-dev redis-server
  # a worker on a machine whose clock is off, for the test of the worker count
  faketime
  # test-time peers and the demo's synthesiser
  libebur128-dev sox ffmpeg fluidsynth fluid-soundfont-gm x42-plugins lsp-plugins-lv2 lilv-utils curl
  # the automix corpus (issue 25): General MIDI songs, MMA to write more, mido to split them
  planetblupi-music-midi mma python3-mido
  # make install's man pages, and the completion script's test
  help2man bash-completion
  # the Python module (import bounce) and its tests
  pybind11-dev python3-dev python3-numpy python3-pytest
  # the page and report tests render in headless Chromium; pdftotext reads their PDF prints
  chromium
  poppler-utils
)

# The web page's browser test drives Chromium with playwright-core from the npm registry,
# pinned in tests/serve/page/package-lock.json (needs node and npm).
install_page_test() {
  local dir
  dir="$(dirname "$0")/../tests/serve/page"
  if command -v npm >/dev/null && [ ! -d "$dir/node_modules/playwright-core" ]; then
    echo "install-deps: npm ci for the page test"
    npm ci --prefix "$dir" --no-audit --no-fund >/dev/null 2>&1 || echo "install-deps: npm ci failed; the page test will be skipped" >&2
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v npm >/dev/null || { dpkg-query -W -f='${Status}' npm 2>/dev/null | grep -q 'install ok installed' || missing+=(nodejs npm); }
if [ ${#missing[@]} -eq 0 ]; then
  install_page_test
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them with apt-get" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_page_test
