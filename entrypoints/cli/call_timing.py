"""When the first call of a campaign will be placed, and why: the product's calling policy, in words."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.campaign import Campaign
from domain.compliance import ComplianceDecision
from domain.contact import Contact
from entrypoints.cli.time_display import duration


async def when_placed(container, campaign: Campaign, contact: Contact) -> str:
    """What the compliance gate (the one the worker asks) says about calling now, by the product's clock."""
    now = container.clock().now()
    decision = await (await container.compliance()).check(contact, campaign, now)
    return explain(decision, now)


def explain(decision: ComplianceDecision, now: datetime) -> str:
    zones = decision.inputs.get("timezones") or ["UTC"]
    zone = ZoneInfo(zones[0])
    local = now.astimezone(zone)
    if decision.allowed:
        return f"the call can be placed now: the practice's local time is {local:%a %H:%M} ({zone.key})"
    also = "".join(f"; {why}" for why in (decision.inputs.get("also_failing") or {}).values())
    if decision.until is None:
        return f"the call will not be placed: {decision.reason}{also} ({decision.rule})"
    at = decision.until.astimezone(zone)
    day = "" if at.date() == local.date() else f" on {at:%a %d %b}"
    return (f"deferred to {at:%H:%M}{day} in {zone.key}, in {duration((decision.until - now).total_seconds())}: "
            f"the practice's local time is {local:%H:%M} ({decision.reason}{also})")
