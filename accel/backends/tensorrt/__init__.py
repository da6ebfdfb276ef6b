"""TensorRT backends: engine build and cache, runner, trtexec and its log parser."""
