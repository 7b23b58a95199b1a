"""Retry, breaker and rate-limit behaviour of the resilience guards."""
from __future__ import annotations

import asyncio

import pytest

from application.errors import DependencyUnavailable, TransientFault
from infrastructure.resilience import (BreakerSpec, CircuitBreaker, DependencyGuard, DependencyPolicy, FaultKind,
                                       FixedWindowQuota, Guards, RateSpec, RecordRateLimit, ResilienceConfig,
                                       RetrySpec, classify)
from tests.fresh_process import run_snippet


class HttpError(Exception):
    def __init__(self, status: int):
        super().__init__(f"HTTP {status}")
        self.status = status


class Flaky:
    """An adapter that fails with the given exceptions, in order, then answers."""

    def __init__(self, *failures: BaseException):
        self.failures = list(failures)
        self.calls = 0
        self.label = "flaky"

    async def fetch(self, value: int) -> int:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return value * 2

    def describe(self) -> str:
        return "sync method"


def guard_for(policy: DependencyPolicy) -> tuple[DependencyGuard, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return DependencyGuard(policy, sleep=sleep), slept


API = DependencyPolicy("api", on_timeout=RetrySpec(3, 1.0, exponential=True), on_network=RetrySpec(2, 0.0),
                       on_server_error=RetrySpec(3, 1.0, exponential=True))


class TestClassification:
    @pytest.mark.parametrize("exc, kind", [
        (HttpError(404), FaultKind.CLIENT), (HttpError(400), FaultKind.CLIENT), (HttpError(503), FaultKind.SERVER),
        (HttpError(429), FaultKind.SERVER), (asyncio.TimeoutError(), FaultKind.TIMEOUT),
        (ConnectionResetError(), FaultKind.NETWORK), (KeyError("x"), FaultKind.OTHER),
        (DependencyUnavailable("s3", "open"), FaultKind.UNAVAILABLE),
    ])
    def test_kinds(self, exc, kind):
        assert classify(exc) is kind

    def test_a_transient_fault_is_judged_by_its_cause(self):
        from pymongo.errors import ServerSelectionTimeoutError

        try:
            raise TransientFault("mongodb", "down") from ServerSelectionTimeoutError("no server")
        except TransientFault as fault:
            assert classify(fault) is FaultKind.TIMEOUT

    def test_a_botocore_error_carries_its_status(self):
        from botocore.exceptions import ClientError

        error = ClientError({"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject")
        assert classify(error) is FaultKind.SERVER


class TestRetries:
    async def test_a_4xx_fails_at_once_untouched(self):
        guard, slept = guard_for(API)
        flaky = Flaky(HttpError(404))
        with pytest.raises(HttpError):
            await guard.call(flaky.fetch, 1)
        assert flaky.calls == 1 and slept == []

    async def test_timeouts_retry_three_times_with_doubling_delays(self):
        guard, slept = guard_for(API)
        flaky = Flaky(*(asyncio.TimeoutError() for _ in range(3)))
        assert await guard.call(flaky.fetch, 4) == 8
        assert flaky.calls == 4 and slept == [1.0, 2.0, 4.0]

    async def test_network_errors_retry_twice_immediately_then_become_a_transient_fault(self):
        guard, slept = guard_for(API)
        flaky = Flaky(*(ConnectionResetError() for _ in range(5)))
        with pytest.raises(TransientFault) as caught:
            await guard.call(flaky.fetch, 1)
        assert flaky.calls == 3 and slept == [0.0, 0.0]
        assert caught.value.dependency == "api" and isinstance(caught.value.__cause__, ConnectionResetError)

    async def test_a_5xx_then_success_returns_the_value(self):
        guard, slept = guard_for(API)
        flaky = Flaky(HttpError(502))
        assert await guard.call(flaky.fetch, 5) == 10 and slept == [1.0]

    async def test_no_retry_still_translates(self):
        guard, _ = guard_for(API)
        flaky = Flaky(HttpError(500), HttpError(500))
        with pytest.raises(TransientFault):
            await guard.call(flaky.fetch, 1, retry=False)
        assert flaky.calls == 1

    async def test_a_bug_in_the_adapter_is_not_retried(self):
        guard, _ = guard_for(API)
        flaky = Flaky(ValueError("bad mapping"))
        with pytest.raises(ValueError):
            await guard.call(flaky.fetch, 1)
        assert flaky.calls == 1


class TestBreaker:
    SPEC = BreakerSpec(errors=3, open_s=0.2, reset_s=0.6, window_s=60)

    async def test_opens_after_the_error_budget_and_defers_without_calling(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=self.SPEC))
        flaky = Flaky(*(HttpError(503) for _ in range(3)))
        for _ in range(3):
            with pytest.raises(TransientFault):
                await guard.call(flaky.fetch, 1)
        with pytest.raises(DependencyUnavailable) as caught:
            await guard.call(flaky.fetch, 1)
        assert flaky.calls == 3
        assert 0 < caught.value.retry_after <= 0.2
        assert await guard.breaker.state() == "opened"

    async def test_4xx_never_count(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=self.SPEC))
        flaky = Flaky(*(HttpError(400) for _ in range(5)))
        for _ in range(5):
            with pytest.raises(HttpError):
                await guard.call(flaky.fetch, 1)
        assert await guard.breaker.state() == "closed"

    async def test_half_open_trial_success_closes_it(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=self.SPEC))
        flaky = Flaky(*(HttpError(503) for _ in range(3)))
        for _ in range(3):
            with pytest.raises(TransientFault):
                await guard.call(flaky.fetch, 1)
        await asyncio.sleep(0.25)
        assert await guard.call(flaky.fetch, 3) == 6
        assert await guard.breaker.state() == "closed"
        assert guard.breaker.transitions == ["opened", "half-opened", "closed"]

    async def test_one_fault_during_the_reset_period_reopens(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=self.SPEC))
        flaky = Flaky(*(HttpError(503) for _ in range(3)))
        for _ in range(3):
            with pytest.raises(TransientFault):
                await guard.call(flaky.fetch, 1)
        await asyncio.sleep(0.25)
        await guard.call(flaky.fetch, 1)  # closes
        flaky.failures.append(HttpError(500))
        with pytest.raises(TransientFault):
            await guard.call(flaky.fetch, 1)
        assert await guard.breaker.state() == "opened"

    async def test_a_failed_half_open_trial_reopens(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=BreakerSpec(errors=2, open_s=0.1, reset_s=0.1)))
        flaky = Flaky(*(HttpError(503) for _ in range(3)))
        for _ in range(2):
            with pytest.raises(TransientFault):
                await guard.call(flaky.fetch, 1)
        await asyncio.sleep(0.15)
        with pytest.raises(TransientFault):
            await guard.call(flaky.fetch, 1)
        assert guard.breaker.transitions[-2:] == ["half-opened", "opened"]

    def test_faults_older_than_the_window_are_forgotten(self):
        now = [1000.0]
        breaker = CircuitBreaker("svc", BreakerSpec(errors=3, open_s=30, reset_s=60, window_s=60),
                                 clock=lambda: now[0])
        fault = HttpError(500)
        assert not breaker._trips(fault, "closed")
        now[0] += 30
        assert not breaker._trips(fault, "closed")
        now[0] += 31  # the first fault left the minute
        assert not breaker._trips(fault, "closed")
        assert breaker._trips(fault, "closed")

    async def test_the_first_fault_of_a_one_error_budget_opens_it(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=BreakerSpec(errors=1, open_s=5, reset_s=5)))
        flaky = Flaky(HttpError(503))
        assert await guard.call(Flaky().fetch, 1) == 2  # a success first: nothing built, nothing changed
        with pytest.raises(TransientFault):
            await guard.call(flaky.fetch, 1)
        with pytest.raises(DependencyUnavailable):
            await guard.call(flaky.fetch, 1)
        assert flaky.calls == 1 and guard.breaker.transitions == ["opened"]

    async def test_a_fault_of_a_call_begun_before_another_opened_it_keeps_it_open(self):
        guard, _ = guard_for(DependencyPolicy("svc", breaker=BreakerSpec(errors=1, open_s=5, reset_s=5)))
        started, release = asyncio.Event(), asyncio.Event()

        async def slow_failure() -> None:
            started.set()
            await release.wait()
            raise HttpError(503)

        slow = asyncio.create_task(guard.call(slow_failure))
        await started.wait()
        with pytest.raises(TransientFault):
            await guard.call(Flaky(HttpError(503)).fetch, 1)  # opens it while the slow call is in flight
        release.set()
        with pytest.raises(TransientFault):
            await slow
        assert await guard.breaker.state() == "opened" and guard.breaker.transitions == ["opened"]

    def test_a_command_whose_calls_all_succeed_never_imports_purgatory(self):
        """purgatory imports the Redis client (about 0.15 s at start-up): built at the first fault only."""
        script = ("import asyncio, sys\n"
                  "from infrastructure.resilience import BreakerSpec, DependencyGuard, DependencyPolicy\n"
                  "guard = DependencyGuard(DependencyPolicy('svc', breaker=BreakerSpec(errors=1, open_s=5, reset_s=5)))\n"
                  "async def ok():\n    return 1\n"
                  "assert asyncio.run(guard.call(ok)) == 1\n"
                  "print(sorted(m for m in sys.modules if m.split('.')[0] in ('purgatory', 'redis')))\n")
        done = run_snippet(script)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"

    async def test_retries_stop_when_the_breaker_opens_mid_way(self):
        policy = DependencyPolicy("svc", on_server_error=RetrySpec(10, 0.0), breaker=BreakerSpec(2, 5, 5))
        guard, _ = guard_for(policy)
        flaky = Flaky(*(HttpError(500) for _ in range(10)))
        with pytest.raises(DependencyUnavailable):
            await guard.call(flaky.fetch, 1)
        assert flaky.calls == 2


class TestRateLimits:
    async def test_a_fixed_window_quota_refuses_until_the_next_window(self):
        now = [86400.0 * 10 + 3600]
        quota = FixedWindowQuota("calendar", RateSpec(2, 86400, fixed_window=True), clock=lambda: now[0])
        await quota.acquire()
        await quota.acquire()
        with pytest.raises(DependencyUnavailable) as caught:
            await quota.acquire()
        assert caught.value.retry_after == pytest.approx(86400 - 3600)
        now[0] += 86400 - 3600
        await quota.acquire()

    def test_the_log_record_bucket_drops_beyond_its_rate(self):
        now = [0.0]
        bucket = RecordRateLimit(RateSpec(100, 1), clock=lambda: now[0])
        allowed = sum(bucket.allow() for _ in range(150))
        assert allowed == 100 and bucket.dropped == 50
        now[0] += 0.5
        assert sum(bucket.allow() for _ in range(100)) == 50


class TestConfig:
    def test_the_specification_figures_are_the_defaults(self):
        config = ResilienceConfig()
        livekit = config.policy("livekit")
        assert (livekit.breaker.errors, livekit.breaker.window_s, livekit.breaker.open_s, livekit.breaker.reset_s) \
            == (5, 60, 30, 60)
        assert (config.policy("openai").breaker.errors, config.policy("openai").breaker.open_s) == (3, 45)
        assert config.policy("calendar").breaker.reset_s == 120 and config.policy("calendar").rate.fixed_window
        assert config.policy("s3").breaker.errors == 20
        assert livekit.on_timeout == RetrySpec(3, 1.0, exponential=True)
        assert config.policy("mongodb").on_network == RetrySpec(3, 2.0)
        assert livekit.rate == RateSpec(100, 60) and config.policy("openai").rate == RateSpec(3000, 60)
        assert config.logtail_rate == RateSpec(100, 1)

    def test_json_overrides_one_field_and_removes_a_guard(self):
        config = ResilienceConfig.from_json('{"s3": {"breaker": {"errors": 4}}, "livekit": {"rate": null}}')
        assert config.policy("s3").breaker == BreakerSpec(errors=4, open_s=15, reset_s=30)
        assert config.policy("livekit").rate is None

    @pytest.mark.parametrize("text, named", [
        ("[1]", "JSON object"), ('{"s3": {"brakes": {}}}', "s3.brakes"),
        ('{"s3": {"breaker": {"erors": 1}}}', "erors"), ("{nope", "not valid JSON"),
        ('{"s3": {"breaker": {"errors": 0}}}', "errors >= 1"),
    ])
    def test_bad_overrides_name_the_problem(self, text, named):
        with pytest.raises(ValueError, match=named):
            ResilienceConfig.from_json(text)

    def test_an_unknown_policy_name_is_named(self):
        with pytest.raises(KeyError, match="nope"):
            ResilienceConfig().policy("nope")


class TestProxy:
    async def test_public_coroutines_are_guarded_and_the_rest_passes_through(self):
        config = ResilienceConfig().with_policy(
            DependencyPolicy("api", on_server_error=RetrySpec(2, 0.0)))
        guards = Guards(config)
        flaky = Flaky(HttpError(500))
        proxy = guards.wrap(flaky, "api")
        assert await proxy.fetch(2) == 4 and flaky.calls == 2
        assert proxy.describe() == "sync method" and proxy.label == "flaky"
        assert guards["api"] is proxy.guard

    async def test_no_retry_methods_are_called_once(self):
        guards = Guards(ResilienceConfig().with_policy(DependencyPolicy("api", on_server_error=RetrySpec(2, 0.0))))
        flaky = Flaky(HttpError(500))
        proxy = guards.wrap(flaky, "api", no_retry={"fetch"})
        with pytest.raises(TransientFault):
            await proxy.fetch(1)
        assert flaky.calls == 1
