"""Create and inspect campaigns from the terminal (handy on a fresh machine)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import phonenumbers
import typer
from bson import ObjectId
from rich.console import Console
from rich.table import Table

from domain.campaign import Campaign
from domain.callee_location import NotAUsNumber, WrongNumber, checked_zone, parse_us_number
from domain.contact import Contact, checked_email, clean_name
from domain.personal_data import mask_phone
from entrypoints.cli.session import EnvFile, run, settings_for

campaign_app = typer.Typer(help="Create and inspect campaigns.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")


@campaign_app.command("add")
def add(
    first_name: str = typer.Option(..., "--first-name"),
    last_name: str = typer.Option(..., "--last-name"),
    phone: str = typer.Option(..., "--phone", help="E.164, e.g. +15125550143"),
    practice: str = typer.Option(..., "--practice"),
    title: str = typer.Option("", "--title"),
    email: str = typer.Option("", "--email"),
    timezone_name: Optional[str] = typer.Option(None, "--timezone", help="IANA zone; from the number if omitted."),
    batch: str = typer.Option("default", "--batch"),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Add a contact and a campaign for it; prints the campaign id."""
    try:
        parsed = parse_us_number(phone)
    except (NotAUsNumber, WrongNumber) as exc:
        # Only US calling rules exist: a foreign number is refused at the door, as is one that is no number.
        foreign = isinstance(exc, NotAUsNumber) or "country code" in str(exc)
        problem = f"is not a US number ({exc}); only US numbers can be called" if foreign else \
            "is not a valid phone number"
        raise typer.BadParameter(f"{mask_phone(phone)} {problem}", param_hint="--phone") from None
    fields = {}
    for hint, what, value, required in (("--first-name", "first name", first_name, True),
                                        ("--last-name", "last name", last_name, True),
                                        ("--practice", "practice", practice, True),
                                        ("--title", "title", title, False)):
        try:
            fields[what] = clean_name(value, what=what) if (value or required) else ""
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=hint) from None
    try:
        email = checked_email(email)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--email") from None
    if timezone_name is not None:
        try:
            timezone_name = checked_zone(timezone_name)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--timezone") from None
    settings = settings_for(env_file)
    contact = Contact(id=str(ObjectId()), first_name=fields["first name"], last_name=fields["last name"],
                      phone=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                      practice=fields["practice"], title=fields["title"], email=email, timezone=timezone_name)
    campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, batch=batch)

    async def work(container) -> None:
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)

    run(settings, work)
    typer.echo(campaign.id)


@campaign_app.command("show")
def show(
    campaign_id: str = typer.Argument(..., help="24-hex campaign id."),
    as_json: bool = typer.Option(False, "--json"),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """A campaign's status, its calls and its compliance decisions."""
    settings = settings_for(env_file)

    async def work(container):
        campaign = await (await container.campaigns()).get(campaign_id)
        if campaign is None:
            # A well-formed id that matches nothing is a runtime failure (1), not a usage error (2).
            raise LookupError(f"no campaign {campaign_id}")
        records = await (await container.call_records()).for_campaign(campaign_id)
        audit = await (await container.audit()).for_campaign(campaign_id)
        return campaign, records, audit

    campaign, records, audit = run(settings, work)
    if as_json:
        typer.echo(json.dumps({
            "campaign_id": campaign.id, "status": campaign.status.value,
            "last_completed_step": campaign.last_completed_step,
            "calls": [{"call_id": r.call_id, "step": r.step, "outcome": r.outcome.value,
                       "started_at": r.started_at.isoformat(), "reason": r.reason,
                       "meeting": r.meeting.start.isoformat() if r.meeting else None} for r in records],
            "decisions": [{"step": s, "verdict": d.verdict.value, "rule": d.rule, "reason": d.reason,
                           "decided_at": d.decided_at.isoformat(),
                           "until": d.until.isoformat() if d.until else None} for s, d in audit],
        }, indent=2))
        return
    console = Console()
    console.print(f"[bold]campaign[/] {campaign.id}: {campaign.status.value}, "
                  f"last completed step {campaign.last_completed_step}")
    calls = Table("step", "outcome", "started", "reason", title="calls")
    for r in records:
        calls.add_row(str(r.step), r.outcome.value, r.started_at.isoformat(timespec="minutes"), r.reason or "")
    console.print(calls)
    decisions = Table("step", "verdict", "rule", "reason", "until", title="compliance decisions")
    for step, d in audit:
        decisions.add_row(str(step), d.verdict.value, d.rule, d.reason,
                          d.until.isoformat(timespec="minutes") if d.until else "")
    console.print(decisions)
