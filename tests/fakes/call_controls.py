"""CallControls that remember what the call did to the line: keys pressed and hang-ups, in order."""
from __future__ import annotations


class FakeCallControls:
    def __init__(self, log: list | None = None):
        self.log: list[tuple] = log if log is not None else []  # ("dtmf", digits) / ("hang_up",), in order

    @property
    def pressed(self) -> list[str]:
        """Each send_dtmf's digits, in order."""
        return [entry[1] for entry in self.log if entry[0] == "dtmf"]

    @property
    def hung_up(self) -> bool:
        return ("hang_up",) in self.log

    async def send_dtmf(self, digits: str) -> None:
        self.log.append(("dtmf", digits))

    async def hang_up(self) -> None:
        self.log.append(("hang_up",))
