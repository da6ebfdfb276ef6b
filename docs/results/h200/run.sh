#!/usr/bin/env bash
# The full GPU run behind docs/results/h200 (README.md there), as a queue of pytest steps that
# resumes across device commands: each command runs the steps not yet done until BUDGET seconds
# are spent (a step still running then gets SIGINT, so the suite writes STEP.interrupted.json, kept
# as STEP.partN.json; next time the step runs again without the rows its parts hold). Steps that need
# onnxruntime-gpu or DALI wait until that bundle's bytes have all arrived in /tmp/gpu-parts
# (bundle-wheels.sh makes the parts).
#
# Usage, from the repository root on the GPU machine:  BUDGET=240 OUT=/some/dir bash docs/results/h200/run.sh
# Env: STEPS (the step names to run, in this order; default every step below), STATE (default
# /tmp/h200-run: done markers, logs, JSON), ACCEL_CACHE_DIR (default /tmp/accel-cache), DEVICE
# (default cuda; cpu runs the queue on a machine without a GPU, untuned, to check its mechanics).
set -uo pipefail
start=$SECONDS
budget=${BUDGET:?BUDGET=seconds this command may spend}
out=${OUT:?OUT=folder for the results of this command}
state=${STATE:-/tmp/h200-run}
export ACCEL_CACHE_DIR=${ACCEL_CACHE_DIR:-/tmp/accel-cache} PYTHONUNBUFFERED=1
mkdir -p "$state/done" "$out"

parts=/tmp/gpu-parts
unpack() {  # NAME DIR: unpack bundle NAME into DIR once all of its bytes are in $parts; fails while some are missing
  local name=$1 dir=$2 offset=0 size='' entry bytes
  [ -e "$dir/.unpacked-$name" ] && return 0
  [ -e "$parts/manifest" ] || return 1
  while read -r entry bytes; do
    [ "$entry" = "$name" ] && { size=$bytes; break; }
    offset=$((offset + bytes))
  done <"$parts/manifest"
  [ -n "$size" ] && [ "$(cat "$parts"/stream.* | wc -c)" -ge $((offset + size)) ] || return 1
  echo "== unpacking $name into $dir"
  # pipefail off here: head stops reading after the bundle's bytes, which breaks the pipe behind it;
  # tar's own status says whether the bundle unpacked whole
  mkdir -p "$dir" && (set +o pipefail; cat "$parts"/stream.* | tail -c +$((offset + 1)) | head -c "$size" | xz -d | tar -x -C "$dir") &&
    touch "$dir/.unpacked-$name"
}
have=""
# onnxruntime-gpu beside the image's CPU onnxruntime (same package name), first on PYTHONPATH
unpack ort /tmp/gpu-site && have="$have ort"
# DALI into the interpreter's own site-packages: its `nvidia` folder must merge with the image's
unpack dali "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" && have="$have dali"
# docs/results/h200 holds the A/B probe's pytest plugin (no_dynamo_reset.py)
case "$have" in *ort*) export PYTHONPATH=/tmp/gpu-site:$PWD:$PWD/docs/results/h200 ;; *) export PYTHONPATH=$PWD:$PWD/docs/results/h200 ;; esac
echo "== bundles here:${have:- none}"

# The tuned configs of docs/results/tuning/h200.json were measured on an H200 host whose fingerprint
# (CPU flags, runtime versions: onnxruntime-gpu is absent until its wheels arrive) may differ from
# this one's; the section with this machine's GPUs is filed under this machine's key, and the
# differences are printed (and kept in tuning-retarget.txt).
device=${DEVICE:-cuda}
tuning=$state/tuning.json
[ "$device" = cuda ] && python3 - docs/results/tuning/h200.json "$tuning" <<'EOF' | tee "$out/tuning-retarget.txt"
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
tuned=()
if [ "$device" = cuda ]; then
  [ -s "$tuning" ] || { echo "run.sh: could not write $tuning" >&2; exit 1; }
  tuned=(--tuning "$tuning")
fi

imagenet=resnet18,mobilenet_v3_small,efficientnet_b0
digits=digits_cnn,digits_mlp
batches=1,8,32,128,256
common=(-p no:cacheprovider --device "$device" --max-time 0.2 --warmup 3 -q -rs --no-html-report "${tuned[@]}")
compile=torch-compile-cudagraph
# name | bundles it needs (- for none) | pytest arguments (shell words: quotes group)
all_steps=(
  # first run (README: the steps and their outcomes)
  "skips|-|benchmarks --backends tensorrt,tensorrt-cudagraph,trtexec --models $imagenet,$digits --precisions fp32,fp16,int8 --batch $batches"
  "torch-imagenet|-|benchmarks --backends torch,torch-cudagraph --models $imagenet --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "torch-digits|-|benchmarks --backends torch,torch-cudagraph --models $digits --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "torch-e2e|-|benchmarks --backends torch,torch-cudagraph --models $imagenet --precisions fp16 --batch 1,32 --preprocess pil,torchvision-cuda,dali -k test_end_to_end"
  "compile-resnet18|-|benchmarks --backends $compile --models resnet18 --precisions fp16 --batch 1,256 -k test_inference"
  "compile-mobilenet|-|benchmarks --backends $compile --models mobilenet_v3_small --precisions fp16 --batch 1,256 -k test_inference"
  "compile-efficientnet|-|benchmarks --backends $compile --models efficientnet_b0 --precisions fp16 --batch 1,256 -k test_inference"
  "ort-imagenet|ort|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $imagenet --precisions fp32,fp16,int8 --batch $batches -k test_inference"
  "ort-digits|ort|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $digits --precisions fp32,fp16,int8 --batch $batches -k test_inference"
  "ort-e2e|ort|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $imagenet --precisions fp16 --batch 1,32 --preprocess pil,torchvision-cuda -k test_end_to_end"
  "server|ort|benchmarks/test_server.py::test_server --backends torch-cudagraph,onnxruntime-cudagraph --models $imagenet,$digits --precisions fp16 --batch 1 --scenarios server --server-time 4 --server-load 0.3,0.6,0.85"
  "compile-digits|-|benchmarks --backends $compile --models $digits --precisions fp16 --batch $batches -k test_inference"
  "e2e-fp32|ort|benchmarks --backends torch-cudagraph,onnxruntime-cudagraph --models $imagenet --precisions fp32 --batch 1,32 --preprocess pil,torchvision-cuda -k test_end_to_end"
  # second run: what the first did not reach, and torch.compile at every batch and precision
  "torch-efficientnet-cudagraph|-|benchmarks --backends torch-cudagraph --models efficientnet_b0 --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "torch-efficientnet-bf16|-|benchmarks --backends torch --models efficientnet_b0 --precisions bf16 --batch 32,128,256 -k test_inference"
  "ort-efficientnet-cudagraph|ort|benchmarks --backends onnxruntime-cudagraph --models efficientnet_b0 --precisions fp32,fp16 --batch $batches -k 'test_inference and (fp16 or b128 or b256)'"
  "compile-fp16-resnet18|-|benchmarks --backends $compile --models resnet18 --precisions fp16 --batch $batches -k test_inference"
  "compile-fp16-mobilenet|-|benchmarks --backends $compile --models mobilenet_v3_small --precisions fp16 --batch $batches -k test_inference"
  "compile-fp16-efficientnet|-|benchmarks --backends $compile --models efficientnet_b0 --precisions fp16 --batch $batches -k test_inference"
  "compile-fp32-bf16-resnet18|-|benchmarks --backends $compile --models resnet18 --precisions fp32,bf16 --batch $batches -k test_inference"
  "compile-fp32-bf16-mobilenet|-|benchmarks --backends $compile --models mobilenet_v3_small --precisions fp32,bf16 --batch $batches -k test_inference"
  "compile-fp32-bf16-efficientnet|-|benchmarks --backends $compile --models efficientnet_b0 --precisions fp32,bf16 --batch $batches -k test_inference"
  "compile-plain|-|benchmarks --backends torch-compile --models $imagenet --precisions fp16 --batch 1,256 -k test_inference"
  "e2e-dali-torch|dali|benchmarks --backends torch,torch-cudagraph --models $imagenet --precisions fp16 --batch 1,32 --preprocess dali -k test_end_to_end"
  "e2e-dali-ort|ort,dali|benchmarks --backends onnxruntime,onnxruntime-cudagraph --models $imagenet --precisions fp16 --batch 1,32 --preprocess dali -k test_end_to_end"
  # third run: is the dynamo reset between compiled runners why run 2's small-batch compile rows
  # read slower than run 1's? The same row with the reset, without it (no_dynamo_reset.py), and with it again
  "ab-reset-1|-|benchmarks --backends $compile --models resnet18 --precisions fp16 --batch 1 -k test_inference"
  "ab-no-reset|-|-p no_dynamo_reset benchmarks --backends $compile --models resnet18 --precisions fp16 --batch 1 -k test_inference"
  "ab-reset-2|-|benchmarks --backends $compile --models resnet18 --precisions fp16 --batch 1 -k test_inference"
  # what the three runs left (docs/results/h200/README.md, "Not measured"): plain torch-compile at every
  # precision and batch (its six fp16 b1/b256 rows are measured again), the digits models compiled in
  # fp32/bf16, DALI with ORT runners (needs both bundles)
  "compile-digits-fp32-bf16|-|benchmarks --backends $compile --models $digits --precisions fp32,bf16 --batch $batches -k test_inference"
  "compile-plain-digits|-|benchmarks --backends torch-compile --models $digits --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "compile-plain-resnet18|-|benchmarks --backends torch-compile --models resnet18 --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "compile-plain-mobilenet|-|benchmarks --backends torch-compile --models mobilenet_v3_small --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  "compile-plain-efficientnet|-|benchmarks --backends torch-compile --models efficientnet_b0 --precisions fp32,fp16,bf16 --batch $batches -k test_inference"
  # fourth run: the torch half of the Server rows again, with the fixed Server loop (the ORT half needs its bundle)
  "server-torch|-|benchmarks/test_server.py::test_server --backends torch-cudagraph --models $imagenet,$digits --precisions fp16 --batch 1 --scenarios server --server-time 4 --server-load 0.3,0.6,0.85"
)
steps=("${all_steps[@]}")
if [ -n "${STEPS:-}" ]; then  # the named steps, in STEPS' order
  steps=()
  for name in $STEPS; do
    count=${#steps[@]}
    for step in "${all_steps[@]}"; do [ "${step%%|*}" = "$name" ] && steps+=("$step"); done
    [ ${#steps[@]} -gt "$count" ] || { echo "run.sh: STEPS names no step '$name'" >&2; exit 2; }
  done
fi

for step in "${steps[@]}"; do
  IFS='|' read -r name needs args <<<"$step"
  [ -e "$state/done/$name" ] && continue
  missing=""
  for bundle in ${needs//,/ }; do [ "$bundle" = - ] || [[ " $have " == *" $bundle "* ]] || missing="$missing $bundle"; done
  [ -n "$missing" ] && { echo "== $name waits for:$missing"; continue; }
  left=$((budget - (SECONDS - start)))
  [ $left -lt 45 ] && { echo "== $name: ${left}s left in this command, next time"; continue; }
  echo "== $name ($(date -u +%H:%M:%S), ${left}s left): pytest $args"
  rm -f "$state/$name".json "$state/$name".md "$state/$name".interrupted.*  # a cut-short attempt's leftovers
  eval "words=($args)"
  kept=("$state/$name".part*.json)
  [ -e "${kept[0]}" ] || kept=()
  for part in "${kept[@]}"; do  # rows an earlier attempt finished (pytest-benchmark's fullname is the node id)
    while read -r node; do words+=(--deselect "$node"); done < <(python3 -c 'import json, sys
for row in json.load(open(sys.argv[1]))["benchmarks"]: print(row["fullname"])' "$part")
  done
  echo "== $name attempt $(( ${#kept[@]} + 1 ))" >>"$state/$name.log"
  timeout -s INT -k 30 $((left - 10)) python3 -m pytest "${words[@]}" "${common[@]}" \
      --benchmark-json "$state/$name.json" >>"$state/$name.log" 2>&1
  rc=$?
  tail -3 "$state/$name.log"
  # done: no STEP.interrupted.json, and pytest either wrote its rows (timeout's SIGINT may land after
  # that: exit 124) or ended by itself (0, or 1 for failed rows; no rows when every one skipped or
  # errored), or (5) the kept parts hold every row. A step cut short before its first row ended
  # leaves no rows (an empty placeholder at most) and exit 124.
  if [ ! -e "$state/$name.interrupted.json" ] &&
     { [ -s "$state/$name.json" ] || [ $rc -le 1 ] || { [ $rc = 5 ] && [ ${#kept[@]} -gt 0 ]; }; }; then
    touch "$state/done/$name"
    echo "== $name done (exit $rc)"
  else
    [ -e "$state/$name.interrupted.json" ] && mv "$state/$name.interrupted.json" "$state/$name.part$(( ${#kept[@]} + 1 )).json"
    echo "== $name cut short (exit $rc)"
  fi
done
echo "== done: $(ls "$state/done" | tr '\n' ' ')"
tar -czf "$out/results.tgz" -C "$state" --exclude done .  # everything so far: few files travel back per command

