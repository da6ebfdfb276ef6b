"""ONNX Runtime backends: CPU provider, CUDA provider with IOBinding (+ CUDA graph)."""
