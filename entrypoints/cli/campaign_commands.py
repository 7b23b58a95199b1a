"""Create and inspect campaigns from the terminal (handy on a fresh machine)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer
from bson import ObjectId
from rich.console import Console
from rich.table import Table

from domain.campaign import Campaign, CampaignStatus
from domain.personal_data import mask_phone
from entrypoints.cli.call_timing import when_placed
from entrypoints.cli.folded_lines import FoldedLines
from entrypoints.cli.session import EnvFile, run, settings_for
from entrypoints.cli.time_display import duration


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
    practice_scenario: Optional[str] = typer.Option(
        None, "--practice-scenario", metavar="FILE#ID",
        help="What the practice does on the embedded simulated line: a scenario of a `docshield simulate` file "
             "(default: a friendly administrator who books a meeting). No effect on real calls."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Add a contact and a campaign for it, assigned to a rep; prints the campaign id, and on stderr when the call
    can be placed."""
    # Imported here, not by every command (`docshield report` needs none of them).
    import phonenumbers

    from application.book_meeting import Rep
    from domain.callee_location import NotAUsNumber, WrongNumber, checked_zone, parse_us_number
    from domain.contact import Contact, checked_email, clean_name
    from simulator.embedded_line import PRACTICE_SCENARIO

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
    emails = {}
    for hint, value in (("--email", email), ("--rep-email", rep_email)):
        try:
            emails[hint] = checked_email(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint=hint) from None
    email, rep_email = emails["--email"], emails["--rep-email"]
    if timezone_name is not None:
        try:
            timezone_name = checked_zone(timezone_name)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--timezone") from None
    if not rep_name.strip():
        raise typer.BadParameter("must not be empty", param_hint="--rep-name")
    if not rep_calendar_id.strip():
        raise typer.BadParameter("must not be empty", param_hint="--rep-calendar-id")
    scenario = _practice(practice_scenario)
    settings = settings_for(env_file)
    contact = Contact(id=str(ObjectId()), first_name=fields["first name"], last_name=fields["last name"],
                      phone=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                      practice=fields["practice"], title=fields["title"], email=email, timezone=timezone_name)
    campaign_settings = {"rep_user_id": rep_clerk_user} if rep_clerk_user else {}
    if not settings.real_calls:
        campaign_settings[PRACTICE_SCENARIO] = scenario
    campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, batch=batch, rep_name=rep_name.strip(),
                        rep_email=rep_email, rep_calendar_id=rep_calendar_id.strip(), settings=campaign_settings)

    async def work(container) -> str:
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)
        ensure = getattr(container.calendar(), "ensure", None)
        if ensure is not None:  # the local ICS calendar: the rep's file must exist for a meeting to be booked
            rep = Rep.from_campaign(campaign)
            ensure(rep.calendar_id, timezone_name=rep.timezone, working_hours=rep.working_hours)
        return await when_placed(container, campaign, contact)

    when = run(settings, work)
    typer.echo(campaign.id)
    typer.echo(when, err=True)


def _practice(reference: Optional[str]) -> str:
    # Checked now, not at call time: a typo should fail here (2), not as a failed call at 08:00.
    from simulator.embedded_line import DEFAULT_PRACTICE, absolute_reference, practice_scenario
    from simulator.scenario import ScenarioError

    if reference is None:
        return DEFAULT_PRACTICE
    try:
        practice_scenario(reference)
    except ScenarioError as exc:
        raise typer.BadParameter(str(exc), param_hint="--practice-scenario") from None
    return absolute_reference(reference)


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
    """A campaign's status, its calls (with their transcripts) and its compliance decisions, in the practice's
    time zone and the rep's."""
    from application.commands import job_id_for  # here, as in `add`: `docshield report` needs none of it

    settings = settings_for(env_file)

    async def work(container):
        campaign = await (await container.campaigns()).get(campaign_id)
        if campaign is None:
            # A well-formed id that matches nothing is a runtime failure (1), not a usage error (2).
            raise LookupError(f"no campaign {campaign_id}")
        contact = await (await container.contacts()).get(campaign.contact_id)
        records = await (await container.call_records()).for_campaign(campaign_id)
        audit = await (await container.audit()).for_campaign(campaign_id)
        artifacts = await container.artifacts()
        transcripts = {}
        for r in records:
            if r.transcript_key:
                try:
                    transcripts[r.call_id] = (await artifacts.get_transcript(r.transcript_key)).get("transcript", [])
                except KeyError:  # erased, or archived away
                    transcripts[r.call_id] = []
        queued = {command.job_id for command, _ in await (await container.follow_ups()).scheduled(campaign_id)}
        return campaign, contact, records, audit, transcripts, queued

    campaign, contact, records, audit, transcripts, queued = run(settings, work)
    from application.book_meeting import Rep

    zones = _Zones(_practice_zone(contact, audit), ZoneInfo(Rep.from_campaign(campaign).timezone))
    follow_ups = [{"step": f.step, "attempt": f.attempt, "at": f.at.isoformat(), "asked_at": f.asked_at.isoformat(),
                   "moved": f.moved, "job_id": job_id_for(campaign.id, f.step, f.attempt),
                   "queued": job_id_for(campaign.id, f.step, f.attempt) in queued} for f in campaign.follow_ups]
    if as_json:
        typer.echo(json.dumps({
            "campaign_id": campaign.id, "status": campaign.status.value,
            "last_completed_step": campaign.last_completed_step,
            "practice_timezone": zones.practice.key, "rep_timezone": zones.rep.key,
            "calls": [{"call_id": r.call_id, "step": r.step, "outcome": r.outcome.value,
                       "started_at": r.started_at.isoformat(), "reason": r.reason,
                       "duration_s": r.duration_s,
                       "meeting": r.meeting.start.isoformat() if r.meeting else None,
                       "transcript": [{"speaker": line.get("speaker"), "text": line.get("text")}
                                      for line in transcripts.get(r.call_id, [])]} for r in records],
            "decisions": [{"step": s, "verdict": d.verdict.value, "rule": d.rule, "reason": d.reason,
                           "decided_at": d.decided_at.isoformat(),
                           "until": d.until.isoformat() if d.until else None} for s, d in audit],
            "follow_ups": follow_ups,
        }, indent=2))
        return
    _print_campaign(campaign, contact, records, audit, transcripts, zones, follow_ups)


@dataclass(frozen=True)
class _Zones:
    practice: ZoneInfo
    rep: ZoneInfo

    def both(self, when: datetime) -> str:
        """`Mon 30 Nov 10:15 America/Chicago (11:15 rep)`: the practice's clock first, the rep's after."""
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        here = when.astimezone(self.practice)
        text = f"{here:%a %d %b %H:%M} {self.practice.key}"
        if self.rep.key != self.practice.key:
            text += f" ({when.astimezone(self.rep):%H:%M} rep)"
        return text


def _practice_zone(contact, audit) -> ZoneInfo:
    # The zone the calling policy used (it knows the number's area code), else the contact's own.
    for _, decision in reversed(audit):
        zones = decision.inputs.get("timezones")
        if zones:
            return ZoneInfo(zones[0])
    if contact is not None:
        from domain.callee_location import locate

        return ZoneInfo(locate(contact.phone, state=contact.state, timezone=contact.timezone).zones[0])
    return ZoneInfo("UTC")


def _print_campaign(campaign, contact, records, audit, transcripts, zones: _Zones, follow_ups: list[dict]) -> None:
    out = FoldedLines()
    steps = "none yet" if campaign.last_completed_step is None else str(campaign.last_completed_step)
    out.say(f"campaign {campaign.id}: {campaign.status.value}, last completed step {steps}")
    if contact is not None:
        out.say(f"practice {contact.practice}, {mask_phone(contact.phone)}, {zones.practice.key}")
    out.say(f"rep {campaign.rep_name}, {zones.rep.key}")
    for r in records:
        out.say("")
        length = f", {duration(r.duration_s)}" if r.ended_at else ""
        out.say(f"call {r.call_id} (step {r.step}): {r.outcome.value}{length}")
        out.say(f"placed {zones.both(r.started_at)}", indent=2)
        if r.meeting:
            out.say(f"meeting {zones.both(r.meeting.start)}", indent=2)
        if r.reason:
            out.say(f"reason: {r.reason}", indent=2)
        lines = transcripts.get(r.call_id, [])
        if lines:
            out.say("transcript:", indent=2)
            for line in lines:
                out.say(f"{line.get('speaker', '?')}: {line.get('text', '')}", indent=4, hang=6)
    if audit:
        out.say("")
        out.say("compliance decisions:")
    for step, d in audit:
        out.say(f"step {step}: {d.verdict.value} ({d.rule}) at {zones.both(d.decided_at)}", indent=2)
        out.say(d.reason, indent=4)
        if d.until:
            out.say(f"until {zones.both(d.until)}", indent=4)

    if follow_ups:
        out.say("")
        out.say("callbacks (follow-ups the callee asked for):")
    for f in follow_ups:
        moved = " (not lawful then: moved)" if f["moved"] else ""
        out.say(f"{f['job_id']}: {'queued' if f['queued'] else 'ran or cancelled'}", indent=2)
        out.say(f"runs {zones.both(datetime.fromisoformat(f['at']))}{moved}", indent=4)
