"""A runner double for tests of the code that drives runners (pool, tuning, scenarios)."""

from accel.backends.base import Runner


class EchoRunner(Runner):
    """Outputs are its inputs; remembers whether it was closed."""

    def __init__(self, combo) -> None:
        super().__init__(combo)
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def upload(self, batch):
        return batch

    def enqueue(self, inputs):
        return inputs

    def download(self, outputs):
        return outputs

    def describe(self):
        return {}
