#!/usr/bin/env bash
# The H100 run behind docs/results/h100 (see README.md there). Usage: run.sh PART OUTDIR
# Run from the repository root with PYTHONPATH=/tmp/gpu-site:$PWD (onnxruntime-gpu) and
# ACCEL_CACHE_DIR set; each part stays under the 10-minute limit of one device command.
set -uo pipefail
part=$1; out=$2
common=(-p no:cacheprovider --device cuda --precisions fp32,fp16,bf16,int8 --max-time 0.3 --warmup 5
        --end-to-end-max-batch 8 -q -rs)
case $part in
  imagenet)  # every non-compile backend, batch sweep
    python3 -m pytest benchmarks "${common[@]}" --models resnet18,mobilenet_v3_small,efficientnet_b0 \
      --backends torch,torch-cudagraph,onnxruntime,onnxruntime-cudagraph,tensorrt,tensorrt-cudagraph,trtexec \
      --batch 1,8,32,128,256 --benchmark-json "$out/imagenet.json" ;;
  digits-compile)  # digits models; torch.compile (fp16, batch 1 and 256); channels_last off for comparison
    python3 -m pytest benchmarks "${common[@]}" --models digits_cnn,digits_mlp \
      --backends torch,torch-cudagraph,onnxruntime,onnxruntime-cudagraph,tensorrt,tensorrt-cudagraph,trtexec \
      --batch 1,8,32,128,256 --benchmark-json "$out/digits.json"
    python3 -m pytest benchmarks "${common[@]}" --models resnet18,mobilenet_v3_small,efficientnet_b0 \
      --backends torch-compile,torch-compile-cudagraph --precisions fp16 --batch 1,256 -k inference \
      --benchmark-json "$out/compile.json"
    python3 -m pytest benchmarks "${common[@]}" --models resnet18 --backends torch-cudagraph --precisions fp16 \
      --batch 1,256 --channels-last off -k inference --benchmark-json "$out/nchw.json"
    python3 -m accel profile-torch --model resnet18 --precision fp16 --batch 1 --cuda-graph > "$out/profile-resnet18-fp16-b1.txt" ;;
  final)  # what fits one 10-minute device command: fp32/fp16, batches 1-256, end-to-end at batch 1
    python3 -m pytest benchmarks -p no:cacheprovider --device cuda --precisions fp32,fp16 --max-time 0.2 --warmup 3 \
      --end-to-end-max-batch 1 -q -rs --models resnet18,mobilenet_v3_small,efficientnet_b0,digits_cnn,digits_mlp \
      --backends torch,torch-cudagraph,onnxruntime,onnxruntime-cudagraph,tensorrt,tensorrt-cudagraph,trtexec \
      --batch 1,8,32,256 --benchmark-json "$out/gpu.json" ;;
  *) echo "unknown part $part" >&2; exit 2 ;;
esac
