"""Use-case inputs: one small command object per job kind."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from application.errors import MalformedJob

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")  # fullmatch: `$` would let a trailing newline through
CALL_JOB_FIELDS = ("campaign_id", "step", "final_step")
# Only on follow-up calls the worker queues itself (contracts section 1); producers never send it.
OPTIONAL_CALL_JOB_FIELDS = ("attempt",)


@dataclass(frozen=True)
class ConductCallCommand:
    """The outbound-call job of contracts section 1."""

    campaign_id: str
    step: int
    final_step: bool
    attempt: int = 0  # 0: the producer's call; 1, 2, ...: follow-ups the worker queued

    @property
    def job_id(self) -> str:
        return job_id_for(self.campaign_id, self.step, self.attempt)

    def follow_up(self) -> "ConductCallCommand":
        """The next attempt at the same step (a callback the callee asked for)."""
        return ConductCallCommand(self.campaign_id, self.step, self.final_step, self.attempt + 1)

    def to_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"campaign_id": self.campaign_id, "step": self.step, "final_step": self.final_step}
        if self.attempt:
            kwargs["attempt"] = self.attempt
        return kwargs

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> "ConductCallCommand":
        """Validate a job's kwargs; every problem is named in the error."""
        if not isinstance(kwargs, Mapping):
            raise MalformedJob(f"job kwargs must be an object, got {type(kwargs).__name__}")
        problems = []
        missing = [name for name in CALL_JOB_FIELDS if name not in kwargs]
        if missing:
            problems.append(f"missing kwarg(s): {', '.join(missing)}")
        unknown = sorted(set(kwargs) - set(CALL_JOB_FIELDS) - set(OPTIONAL_CALL_JOB_FIELDS))
        if unknown:
            problems.append(f"unexpected kwarg(s): {', '.join(map(str, unknown))}")
        campaign_id = kwargs.get("campaign_id")
        if "campaign_id" in kwargs and not (isinstance(campaign_id, str) and _OBJECT_ID.fullmatch(campaign_id)):
            problems.append(f"campaign_id must be a 24-hex ObjectId string, got {_preview(campaign_id)}")
        step = kwargs.get("step")
        if "step" in kwargs and (not isinstance(step, int) or isinstance(step, bool) or step < 0):
            problems.append(f"step must be an integer >= 0, got {_preview(step)}")
        final_step = kwargs.get("final_step")
        if "final_step" in kwargs and not isinstance(final_step, bool):
            problems.append(f"final_step must be a boolean, got {_preview(final_step)}")
        attempt = kwargs.get("attempt", 0)
        if "attempt" in kwargs and (not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1):
            problems.append(f"attempt must be an integer >= 1 when given, got {_preview(attempt)}")
        if problems:
            raise MalformedJob("; ".join(problems))
        return cls(campaign_id=kwargs["campaign_id"], step=kwargs["step"], final_step=kwargs["final_step"],
                   attempt=attempt)


def job_id_for(campaign_id: str, step: int, attempt: int = 0) -> str:
    return f"call:{campaign_id}:{step}:{attempt}" if attempt else f"call:{campaign_id}:{step}"


# The one reading of a call job id: the producer's `call:{campaign}:{step}` and the worker's follow-ups
# `call:{campaign}:{step}:{attempt}` (attempt >= 1). `fullmatch`: `$` would let a trailing newline through.
_JOB_ID = re.compile(r"call:([0-9a-f]{24}):(\d{1,9})(?::([1-9]\d{0,8}))?")
# Contracts section 1: a producer's job, and a callback the worker queued itself (attempt >= 1).
JOB_ID_FORM = "call:{campaign_id}:{step} or call:{campaign_id}:{step}:{attempt} (campaign_id: 24-hex, attempt >= 1)"


def parse_job_id(job_id: object) -> tuple[str, int, int] | None:
    """(campaign_id, step, attempt) of a well-formed call job id, else None (a producer's
    malformed id may hold anything, a phone number included)."""
    match = _JOB_ID.fullmatch(job_id) if isinstance(job_id, str) else None
    if match is None:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3) or 0)


def command_for_job_id(job_id: str, *, final_step: bool = False) -> ConductCallCommand:
    """The command a well-formed call job id names; MalformedJob saying the expected form otherwise."""
    parsed = parse_job_id(job_id)
    if parsed is None:
        raise MalformedJob(f"job id must look like {JOB_ID_FORM}, got {_preview(job_id)}")
    campaign_id, step, attempt = parsed
    return ConductCallCommand(campaign_id, step, final_step, attempt)


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
