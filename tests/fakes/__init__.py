"""Stand-ins for what cannot run on a CPU-only machine (`tensorrt`, the `trtexec` CLI), and the
repair of the PyPI TensorRT stubs that the type check reads."""
