#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with libFuzzer and SharpFuzz.
#   fuzz/run.sh TARGET [SECONDS] [libFuzzer options...]      e.g. fuzz/run.sh engine-server 600
#   fuzz/run.sh list
# Builds once into fuzz/.build: Tessera.Fuzz published, Tessera.dll instrumented (sharpfuzz), the driver compiled
# (clang -fsanitize=fuzzer). Starts from fuzz/corpus/TARGET; new inputs go to fuzz/.build/corpus/TARGET, crashes to
# fuzz/.build/findings/TARGET/. Needs clang-14 and libclang-rt-14-dev (apt-get install -y clang-14 libclang-rt-14-dev).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/.build"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer options...] | fuzz/run.sh list}
seconds=${2:-600}
shift $(( $# < 2 ? $# : 2 ))

app="$build/app"
if [ ! -f "$build/instrumented" ] || [ -n "$(find "$here/../src/Tessera" "$here/Tessera.Fuzz" -name '*.cs' -newer "$build/instrumented" -print -quit)" ]; then
  echo "building the fuzz targets and instrumenting Tessera.dll ..." >&2
  rm -rf "$app" "$build/instrumented"
  dotnet publish "$here/Tessera.Fuzz/Tessera.Fuzz.csproj" -c Release -o "$app" --nologo -v quiet >&2
  if [ ! -x "$build/tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$build/tools" >&2
  fi
  "$build/tools/sharpfuzz" "$app/Tessera.dll" >&2
  touch "$build/instrumented"
fi

if [ "$target" = list ]; then
  exec dotnet "$app/Tessera.Fuzz.dll" list
fi

driver="$build/dotnet-libfuzzer"
if [ ! -x "$driver" ] || [ "$here/driver/dotnet-libfuzzer.c" -nt "$driver" ]; then
  clang=$(command -v clang-14 || command -v clang || true)
  [ -n "$clang" ] || { echo "fuzz/run.sh: clang not found (apt-get install -y clang-14 libclang-rt-14-dev)" >&2; exit 2; }
  "$clang" -O2 -fsanitize=fuzzer "$here/driver/dotnet-libfuzzer.c" -o "$driver"
fi

mkdir -p "$build/corpus/$target" "$build/findings/$target"
export TESSERA_FUZZ_DLL="$app/Tessera.Fuzz.dll" TESSERA_FUZZ_TARGET="$target"
exec "$driver" -max_total_time="$seconds" -timeout=20 -max_len=65536 -len_control=200 -print_final_stats=1 \
  -artifact_prefix="$build/findings/$target/" "$@" "$build/corpus/$target" "$here/corpus/$target"
