# Shared by the processor benchmarks (bench_processors.sh, bench_lv2.sh): best of 5
# wall-clock runs, and a row of Bounce's `process` with a chain beside a peer's command.
# Needs $build, $work and $in.

best_of_5() {
  local best=""
  for _ in 1 2 3 4 5; do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; echo "nan"; return; }
    end=$(date +%s.%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
  done
  printf '%.3f' "$best"
}

row() {  # name, bounce chain (TOML), peer name, peer command...
  local name=$1 chain=$2 peer=$3
  shift 3
  printf '%s\n' "$chain" > "$work/chain.toml"
  local ours theirs
  ours=$(best_of_5 "$build/bounce" process "$in" -o "$work/ours.wav" --chain "$work/chain.toml")
  theirs=$(best_of_5 "$@")
  awk -v n="$name" -v p="$peer" -v o="$ours" -v t="$theirs" \
    'BEGIN { printf "  %-22s bounce %6.3f s   %-34s %6.3f s   %5.2fx\n", n, o, p, t, t / o }'
}
