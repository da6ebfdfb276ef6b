"""Virtual clocks for the Server loop's tests."""

from accel.measure.server import VirtualClock


class TickingClock(VirtualClock):
    """Every reading costs `tick` of time: the loop's own work, which no service time contains."""

    def __init__(self, tick):
        super().__init__()
        self.tick = tick

    def now(self):
        self.t += self.tick
        return self.t
