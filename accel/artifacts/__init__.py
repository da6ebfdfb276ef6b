"""Artifacts: the content-addressed cache, weights, ONNX export, fp16 and int8 (with calibration)."""
