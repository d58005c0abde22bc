#!/usr/bin/env bash
# Installs what Bounce needs to build, test and run its demo on Debian 12, as root.
# Does nothing (and needs no root) when everything is already there, so `make test` stays fast.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsndfile1-dev libsoxr-dev libfftw3-dev
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev librubberband-dev libtag1-dev
  libgtest-dev libbenchmark-dev libcpp-httplib-dev
  # test-time peers and the demo's synthesiser
  libebur128-dev sox ffmpeg fluidsynth fluid-soundfont-gm x42-plugins curl
  # the HTML report test renders in headless Chromium
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them with apt-get" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
