#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then what a user of the install does: run the
# command and read its man page, build a program against the library with find_package
# and with pkg-config, and complete a command line with the bash completion.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d /tmp/bounce-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "check_install: $*" >&2; exit 1; }
near_minus_20() { awk -v x="$1" 'BEGIN { exit !(x >= -20.1 && x <= -19.9) }'; }

cmake --install "$build" --prefix "$prefix" >/dev/null
"$prefix/bin/bounce" --version | grep -q "bounce 0.1.0" || fail "the installed bounce does not run"
for page in bounce bounce-master bounce-album bounce-check; do
  [ -f "$prefix/share/man/man1/$page.1" ] || fail "no man page $page.1"
done
grep -qF '\-\-target' "$prefix/share/man/man1/bounce-master.1" || fail "bounce-master.1 does not document --target"
# M4A through the installed MPEG-4 module (lib/bounce/bounce-mpeg4.so, found from bin/).
: > "$prefix/no-inserts.toml"
sox -n -r 44100 -c 2 "$prefix/m4a-source.wav" synth 2 sine 997 vol 0.1 2>/dev/null || fail "sox could not make a tone"
"$prefix/bin/bounce" process "$prefix/m4a-source.wav" -o "$prefix/tone.m4a" -q --chain "$prefix/no-inserts.toml" || fail "the installed bounce does not write M4A"
loaded=$(LD_DEBUG=files "$prefix/bin/bounce" analyze "$prefix/tone.m4a" 2>&1 >/dev/null)
grep -q "file=$prefix/lib[^ ]*/bounce/bounce-mpeg4.so" <<< "$loaded" || fail "the installed bounce does not load its own MPEG-4 module"

# find_package(Bounce)
cmake -S "$source/tests/install" -B "$prefix/consumer-cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$prefix/consumer-cmake" >/dev/null
lufs=$("$prefix/consumer-cmake/consumer" "$prefix/tone.wav")
near_minus_20 "$lufs" || fail "find_package consumer measured $lufs LUFS, not -20.0"

# pkg-config
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
g++ -O1 -o "$prefix/consumer-pc" "$source/tests/install/consumer.cpp" $(pkg-config --cflags --libs bounce)
lufs=$("$prefix/consumer-pc" "$prefix/tone2.wav")
near_minus_20 "$lufs" || fail "pkg-config consumer measured $lufs LUFS, not -20.0"

# The Python module, from the install's site-packages (when it was built).
site=$(find "$prefix" -type d -name bounce -path '*-packages/*' | head -1)
if [ -n "$site" ]; then
  PYTHONPATH=$(dirname "$site") /usr/bin/python3 -c "import bounce, numpy; assert abs(bounce.analyze(numpy.zeros((2, 48000), 'float32') + 0.1, 48000)['sample_peak_dbfs'] + 20) < 0.01" \
    || fail "the installed Python module does not import and measure"
  [ -f "$site/__init__.pyi" ] || fail "no type stubs in the installed module"
fi

# bash completion: commands, options from --help, and the names --format takes.
completion=/usr/share/bash-completion/bash_completion
if [ -f "$completion" ]; then
  complete_line() {
    PATH="$prefix/bin:$PATH" bash -c '
      source "$1"; source "$2"
      read -ra COMP_WORDS <<< "$3"; [[ $3 == *" " ]] && COMP_WORDS+=("")
      COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$3; COMP_POINT=${#3}
      _bounce; echo "${COMPREPLY[*]}"' _ "$completion" "$prefix/share/bash-completion/completions/bounce" "$1"
  }
  [ "$(complete_line "bounce mas")" = "master" ] || fail "bounce mas<TAB> gives '$(complete_line "bounce mas")'"
  complete_line "bounce master --bitr" | grep -qw -- "--bitrate" || fail "bounce master --bitr<TAB> does not give --bitrate"
  complete_line "bounce master x.wav --format a" | grep -qw "alac" || fail "--format a<TAB> does not give alac"
fi
echo "check_install: installed command, man pages, CMake package, pkg-config file and completion work"
