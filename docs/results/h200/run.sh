#!/usr/bin/env bash
# The full GPU run behind docs/results/h200 (README.md there), as a queue of pytest steps that
# resumes across device commands: each command runs the steps not yet done until BUDGET seconds
# are spent (a step still running then gets SIGINT, so the suite writes STEP.interrupted.json, and
# runs again whole next time; the artifact cache makes the rerun cheap). Steps that need
# onnxruntime-gpu wait until all of its wheel parts have arrived in /tmp/gpu-parts.
#
# Usage, from the repository root on the GPU machine:  BUDGET=240 OUT=/some/dir bash docs/results/h200/run.sh
# Env: WHEEL_PARTS (default 6), STATE (default /tmp/h200-run: done markers, logs, JSON),
# ACCEL_CACHE_DIR (default /tmp/accel-cache).
set -uo pipefail
start=$SECONDS
budget=${BUDGET:?BUDGET=seconds this command may spend}
out=${OUT:?OUT=folder for the results of this command}
state=${STATE:-/tmp/h200-run}
parts=${WHEEL_PARTS:-6}
export ACCEL_CACHE_DIR=${ACCEL_CACHE_DIR:-/tmp/accel-cache} PYTHONUNBUFFERED=1
mkdir -p "$state/done" "$out"

have_ort=0
if [ -d /tmp/gpu-site ]; then
  have_ort=1
elif [ "$(ls /tmp/gpu-parts/chunk.* 2>/dev/null | wc -l)" -ge "$parts" ]; then
  echo "== installing onnxruntime-gpu from $parts parts"
  (cat /tmp/gpu-parts/chunk.* | tar -x -C /tmp/gpu-parts &&
   python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/gpu-site /tmp/gpu-parts/*.whl) && have_ort=1
fi
[ $have_ort = 1 ] && export PYTHONPATH=/tmp/gpu-site:$PWD || export PYTHONPATH=$PWD

# The tuned configs of docs/results/tuning/h200.json were measured on an H200 host whose fingerprint
# (CPU flags, runtime versions: onnxruntime-gpu is absent until its wheels arrive) may differ from
# this one's; the section with this machine's GPUs is filed under this machine's key, and the
# differences are printed (and kept in tuning-retarget.txt).
tuning=$state/tuning.json
python3 - docs/results/tuning/h200.json "$tuning" <<'EOF' | tee "$out/tuning-retarget.txt"
import json, sys
from accel.tuning.machine import fingerprint, machine_key
source, target = sys.argv[1:]
data = json.load(open(source))
here = fingerprint()
key = machine_key(here)
matches = [(k, m) for k, m in data["machines"].items() if m["machine"].get("gpus") == here["gpus"]]
if not matches:
    sys.exit(f"{source} has no section for GPUs {here['gpus']}")
old_key, section = matches[0]
different = {name: (section["machine"].get(name), here[name]) for name in here if section["machine"].get(name) != here[name]}
print(f"tuning: section {old_key} of {source} filed under this machine's key {key}; fingerprint differences:",
      json.dumps({name: v for name, v in different.items() if name != "cpu_flags"}),
      "(cpu_flags differ)" if "cpu_flags" in different else "(same cpu_flags)")
data["machines"][key] = {"machine": here, "rows": section["rows"]}
json.dump(data, open(target, "w"), indent=1)
EOF
[ -s "$tuning" ] || { echo "run.sh: could not write $tuning" >&2; exit 1; }

imagenet=resnet18,mobilenet_v3_small,efficientnet_b0
digits=digits_cnn,digits_mlp
batches=1,8,32,128,256
common=(-p no:cacheprovider --device cuda --max-time 0.2 --warmup 3 -q -rs --no-html-report --tuning "$tuning")
# name | needs onnxruntime-gpu | pytest arguments
steps=(
  "skips|0|benchmarks --backends tensorrt,tensorrt-cudagraph,trtexec --models $imagenet,$digits --precisions fp32,fp16,int8 --batch $batches"
  "torch-imagenet|0|benchmarks --backends torch,torch-cudagraph --models $imagenet --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "torch-digits|0|benchmarks --backends torch,torch-cudagraph --models $digits --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "torch-e2e|0|benchmarks --backends torch,torch-cudagraph --models $imagenet --precisions fp16 --batch 1,32 --preprocess pil,torchvision-cuda,dali -k test_end_to_end"
  "compile-resnet18|0|benchmarks --backends torch-compile-cudagraph --models resnet18 --precisions fp16 --batch 1,256 -k test_inference"
  "compile-mobilenet|0|benchmarks --backends torch-compile-cudagraph --models mobilenet_v3_small --precisions fp16 --batch 1,256 -k test_inference"
  "compile-efficientnet|0|benchmarks --backends torch-compile-cudagraph --models efficientnet_b0 --precisions fp16 --batch 1,256 -k test_inference"
  "ort-imagenet|1|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $imagenet --precisions fp32,fp16,int8 --batch $batches -k test_inference"
  "ort-digits|1|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $digits --precisions fp32,fp16,int8 --batch $batches -k test_inference"
  "ort-e2e|1|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $imagenet --precisions fp16 --batch 1,32 --preprocess pil,torchvision-cuda -k test_end_to_end"
  "server|1|benchmarks/test_server.py::test_server --backends torch-cudagraph,onnxruntime-cudagraph --models $imagenet,$digits --precisions fp16 --batch 1 --scenarios server --server-time 4 --server-load 0.3,0.6,0.85"
  "compile-digits|0|benchmarks --backends torch-compile-cudagraph --models $digits --precisions fp16 --batch $batches -k test_inference"
  "e2e-fp32|1|benchmarks --backends torch-cudagraph,onnxruntime-cudagraph --models $imagenet --precisions fp32 --batch 1,32 --preprocess pil,torchvision-cuda -k test_end_to_end"
)

for step in "${steps[@]}"; do
  IFS='|' read -r name needs_ort args <<<"$step"
  [ -e "$state/done/$name" ] && continue
  [ "$needs_ort" = 1 ] && [ $have_ort = 0 ] && { echo "== $name waits for onnxruntime-gpu"; continue; }
  left=$((budget - (SECONDS - start)))
  [ $left -lt 45 ] && { echo "== $name: ${left}s left in this command, next time"; continue; }
  echo "== $name ($(date -u +%H:%M:%S), ${left}s left): pytest $args"
  # shellcheck disable=SC2086  # args is a word list by design
  rm -f "$state/$name".*  # an earlier command's cut-short attempt
  timeout -s INT -k 30 $((left - 10)) python3 -m pytest $args "${common[@]}" \
      --benchmark-json "$state/$name.json" >"$state/$name.log" 2>&1
  rc=$?
  tail -3 "$state/$name.log"
  if [ -e "$state/$name.json" ] && [ ! -e "$state/$name.interrupted.json" ]; then touch "$state/done/$name"; echo "== $name done (exit $rc)"; else echo "== $name cut short (exit $rc)"; fi
done
echo "== done: $(ls "$state/done" | tr '\n' ' ')"
tar -czf "$out/results.tgz" -C "$state" --exclude done .  # everything so far: few files travel back per command

