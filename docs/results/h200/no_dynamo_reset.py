"""pytest plugin for the H200 A/B probe (run.sh steps ab-*): makes `torch._dynamo.reset` do nothing, so
compiled runners run as in the first H200 run, before TorchCompileRunner reset dynamo's cache when
its last runner closed. Run 2's small-batch torch.compile rows read slower than run 1's; the probe
times the same rows with and without the reset in one session to see whether the reset is why.

Loaded with `-p no_dynamo_reset` (run.sh puts this folder on PYTHONPATH)."""

import torch._dynamo

torch._dynamo.reset = lambda: None
