#!/usr/bin/env bash
# Packs what the GPU machine lacks for run.sh (onnxruntime-gpu; NVIDIA DALI and the packages it needs
# that the machine does not have) as pip-installed trees for Python 3.12, xz-compressed (about a
# fifth smaller than the wheels), as one stream cut into .gpu-wheels/1..N of PART_MB MiB each, so
# each device command carries one part. Every part folder holds the manifest (bundle name and byte
# count, in stream order): run.sh unpacks a bundle as soon as all of its bytes have arrived.
#
# Run from the repository root (pip downloads from the package index):
#   PART_MB=60 bash docs/results/h200/bundle-wheels.sh [BUNDLE...]
# BUNDLE: ort, dali, in the order they should arrive (default: ort dali). A session that needs only
# DALI's rows (torch runners) carries `dali` alone and saves the four parts of onnxruntime-gpu.
set -euo pipefail
part_mb=${PART_MB:-60}
dest=.gpu-wheels
target=(--no-deps --no-compile --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
        --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bundle() {  # NAME PIN...: pip-install the pins into a tree, compress it, add it to the manifest
  local name=$1
  shift
  echo "== $name: $*"
  python3 -m pip install -q "${target[@]}" --target "$work/$name" "$@"
  tar -C "$work/$name" -cf - . | xz -T0 -6 >"$work/$name.tar.xz"
  echo "$name $(stat -c %s "$work/$name.tar.xz")" >>"$work/manifest"
}
declare -A pins=(
  [ort]="onnxruntime-gpu==1.31.1"
  [dali]="nvidia-dali-cuda130==2.4.0 astunparse==1.6.3 gast==0.6.0 optree==0.20.0 nvtx==0.2.17 makefun==1.16.0 libcst==1.9.0
          nvidia-nvimgcodec-cu13==0.9.0.20 nvidia-libnvcomp-cu13==5.3.0.16 nvidia-nvjpeg==13.3.2.43"
)
for name in "${@:-ort dali}"; do
  for word in $name; do
    [ -n "${pins[$word]:-}" ] || { echo "bundle-wheels.sh: unknown bundle '$word' (bundles: ${!pins[*]})" >&2; exit 2; }
    # shellcheck disable=SC2086  # the pins are a word list
    bundle "$word" ${pins[$word]}
  done
done

rm -rf "$dest" && mkdir -p "$dest"
while read -r name _; do cat "$work/$name.tar.xz"; done <"$work/manifest" | split -b "${part_mb}M" -d -a 2 - "$work/stream."
n=0
for part in "$work"/stream.*; do
  n=$((n + 1))
  mkdir "$dest/$n" && mv "$part" "$dest/$n/" && cp "$work/manifest" "$dest/$n/"
done
cat "$work/manifest"
echo "made $n parts: carry .gpu-wheels/N in the Nth device command, which starts with  mkdir -p /tmp/gpu-parts && cp .gpu-wheels/N/* /tmp/gpu-parts/"
