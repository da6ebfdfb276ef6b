"""OpenVINO on the CPU: fp32, INT8 from the shared QDQ artifact, bf16/fp16 where the CPU has them."""
