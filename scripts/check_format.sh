#!/usr/bin/env bash
# The format check (issue 17): every C++ source and header is as clang-format (with the
# project's .clang-format) leaves it; prints the files that are not and fails.
set -euo pipefail
formatter=${1:-clang-format}
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find . \( -name '*.cpp' -o -name '*.h' \) -not -path './build/*')
bad=0
for f in "${files[@]}"; do
  if ! "$formatter" --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "$f: not formatted (run: clang-format -i $f)"
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "format: ${#files[@]} files as clang-format leaves them"
exit "$bad"
