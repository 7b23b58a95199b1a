"""A CallLine that answers each call from a queue of prepared results."""
from __future__ import annotations

from application.ports.call_line import CallRequest, CallResult, DialingHook


class ScriptedCallLine:
    def __init__(self, *results: CallResult | Exception, fail_before_dialing: Exception | None = None):
        self.results = list(results)
        self.requests: list[CallRequest] = []
        self.dials = 0
        self.fail_before_dialing = fail_before_dialing

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        self.requests.append(request)
        if self.fail_before_dialing is not None:
            raise self.fail_before_dialing
        await on_dialing()
        self.dials += 1
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result
