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

from application.commands import job_id_for
from domain.campaign import Campaign
from domain.contact import Contact
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
        parsed = phonenumbers.parse(phone, "US")
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise typer.BadParameter(f"{mask_phone(phone)} is not a valid phone number", param_hint="--phone")
    settings = settings_for(env_file)
    contact = Contact(id=str(ObjectId()), first_name=first_name, last_name=last_name,
                      phone=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                      practice=practice, title=title, email=email, timezone=timezone_name)
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
        queued = {command.job_id for command, _ in await (await container.follow_ups()).scheduled(campaign_id)}
        return campaign, records, audit, queued

    campaign, records, audit, queued = run(settings, work)
    follow_ups = [{"step": f.step, "attempt": f.attempt, "at": f.at.isoformat(), "asked_at": f.asked_at.isoformat(),
                   "moved": f.moved, "job_id": job_id_for(campaign.id, f.step, f.attempt),
                   "queued": job_id_for(campaign.id, f.step, f.attempt) in queued} for f in campaign.follow_ups]
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
            "follow_ups": follow_ups,
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
    if follow_ups:
        table = Table("job", "runs at", "asked for", "state", title="callbacks (follow-ups the callee asked for)")
        for f in follow_ups:
            table.add_row(f["job_id"], f["at"], f["asked_at"] + (" (not lawful: moved)" if f["moved"] else ""),
                          "queued" if f["queued"] else "ran or cancelled")
        console.print(table)
