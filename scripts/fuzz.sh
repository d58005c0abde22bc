#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/) for SECONDS each, from the seed corpus in
# fuzz/seeds/<target> (read only) and a working corpus in BUILD/fuzz-corpus/<target>.
# A crash, a sanitizer report, a timeout (10 s) or an input using over 2 GB stops the
# target, leaves the input in BUILD/fuzz-artifacts/ and fails the run.
set -euo pipefail
build=${1:?build dir}
seconds=${2:-600}
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$build/fuzz-artifacts"
failed=0
for target in session chain album audio job_fields; do
  corpus="$build/fuzz-corpus/$target"
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds} s"
  if ! "$build/fuzz/fuzz_$target" "$corpus" "$root/fuzz/seeds/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" -print_final_stats=1 >"$build/fuzz-$target.log" 2>&1; then
    echo "fuzz: $target FAILED (input and report: $build/fuzz-artifacts/, $build/fuzz-$target.log)"
    grep -E "ERROR|SUMMARY|runtime error" "$build/fuzz-$target.log" | head -5 || true
    failed=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz-$target.log" | tr '\n' ' ' | sed 's/^/  /'
    echo
  fi
done
exit "$failed"
