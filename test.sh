#!/usr/bin/env bash
# Runs every test: unit, vector and in-memory tests, then interop tests against real peers on 127.0.0.1.
# Ends with one summary line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
dotnet build Tessera.slnx -c Release --nologo -v quiet || exit 1
log=$(mktemp)
dotnet test Tessera.slnx -c Release --no-build --nologo --logger "console;verbosity=minimal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
