"""FPGA track: fixed point, the golden INT8 MLP, the link protocol, RTL simulation, latency budget."""
