"""Create and inspect campaigns from the terminal (handy on a fresh machine)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

import phonenumbers
import typer
from bson import ObjectId
from rich.console import Console
from rich.table import Table

from application.commands import job_id_for
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from domain.personal_data import mask_phone
from entrypoints.cli.session import EnvFile, run, settings_for

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

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
    rep_name: str = typer.Option(Campaign.rep_name, "--rep-name", help="The sales rep the meeting is booked for."),
    rep_email: str = typer.Option("", "--rep-email", help="The rep's email address."),
    rep_calendar_id: str = typer.Option(Campaign.rep_calendar_id, "--rep-calendar-id",
                                        help="The rep's calendar (Google calendar id)."),
    rep_clerk_user: Optional[str] = typer.Option(None, "--rep-clerk-user",
                                                 help="The rep's Clerk user id, whose Google token books meetings."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Add a contact and a campaign for it, assigned to a rep; prints the campaign id."""
    try:
        parsed = phonenumbers.parse(phone, "US")
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        raise typer.BadParameter(f"{mask_phone(phone)} is not a valid phone number", param_hint="--phone")
    if not rep_name.strip():
        raise typer.BadParameter("must not be empty", param_hint="--rep-name")
    if not rep_calendar_id.strip():
        raise typer.BadParameter("must not be empty", param_hint="--rep-calendar-id")
    if rep_email and not _EMAIL.match(rep_email):
        raise typer.BadParameter("is not an email address", param_hint="--rep-email")
    settings = settings_for(env_file)
    contact = Contact(id=str(ObjectId()), first_name=first_name, last_name=last_name,
                      phone=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                      practice=practice, title=title, email=email, timezone=timezone_name)
    campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, batch=batch, rep_name=rep_name.strip(),
                        rep_email=rep_email, rep_calendar_id=rep_calendar_id.strip(),
                        settings={"rep_user_id": rep_clerk_user} if rep_clerk_user else {})

    async def work(container) -> None:
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)

    run(settings, work)
    typer.echo(campaign.id)


@campaign_app.command("list")
def list_campaigns(
    status: Optional[CampaignStatus] = typer.Option(None, "--status", case_sensitive=False),
    batch: Optional[str] = typer.Option(None, "--batch"),
    as_json: bool = typer.Option(False, "--json"),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Campaigns (ids, status, batch, rep, progress), optionally one status or batch."""
    settings = settings_for(env_file)

    async def work(container):
        return await (await container.campaigns()).find(status=status, batch=batch)

    rows = [{"campaign_id": c.id, "status": c.status.value, "batch": c.batch, "rep_name": c.rep_name,
             "rep_calendar_id": c.rep_calendar_id, "last_completed_step": c.last_completed_step,
             "last_call_date": c.last_call_date.isoformat() if c.last_call_date else None,
             "next_callback": min((f.at for f in c.follow_ups), default=None)} for c in run(settings, work)]
    for row in rows:
        row["next_callback"] = row["next_callback"].isoformat() if row["next_callback"] else None
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} campaign(s)")
    table.add_column("campaign", no_wrap=True)  # an id cut in two cannot be pasted into `campaign show`
    for header in ("status", "batch", "rep", "last step", "last call", "callback"):
        table.add_column(header)
    for row in rows:
        table.add_row(row["campaign_id"], row["status"], row["batch"], row["rep_name"],
                      "" if row["last_completed_step"] is None else str(row["last_completed_step"]),
                      row["last_call_date"] or "", row["next_callback"] or "")
    Console().print(table)


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
