"""`docshield storage lifecycle --apply|--show` and `docshield erase --phone N | --contact-id ID`."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from domain.personal_data import mask_phone
from entrypoints.cli.session import EnvFile, run, settings_for
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from domain.retention_policy import RetentionPolicy

storage_app = typer.Typer(help="The call recordings bucket.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(storage_app, name="storage")
    app.command("erase")(erase)


@storage_app.command("lifecycle")
def lifecycle(
    apply: bool = typer.Option(False, "--apply", help="Put the retention rule and the default encryption on "
                                                       "the bucket, then show them."),
    show: bool = typer.Option(False, "--show", help="Show the bucket's rules and default encryption; exit 1 if "
                                                     "they differ from the RETENTION_* and S3_KMS_KEY_ID settings."),
    as_json: bool = typer.Option(False, "--json", help="Print the rules and encryption read back as JSON."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """The bucket's retention rules (infrequent access, deep archive, then expiry, for the calls prefix)
    and its default encryption (SSE-KMS with S3_KMS_KEY_ID, else AES256)."""
    # aiobotocore (and aiohttp under it) takes a second to import: only this command pays for it.
    from infrastructure.s3_lifecycle import (S3BucketLifecycle, describe_encryption, differences,
                                             encryption_differences, retention_rule)

    if apply == show:
        raise typer.BadParameter("give exactly one of --apply or --show")
    settings = settings_for(env_file)
    expected = retention_rule(_policy(settings), settings.s3_prefix, archive_class=settings.s3_archive_storage_class)

    kms_key_id = settings.s3_kms_key_id or None

    async def work() -> tuple[list[dict], dict | None]:
        async with S3BucketLifecycle(bucket=settings.s3_bucket or "", region=settings.aws_region,
                                     endpoint_url=settings.s3_endpoint_url) as bucket:
            if apply:
                return await bucket.apply(expected), await bucket.apply_encryption(kms_key_id)
            return await bucket.rules(), await bucket.encryption()

    rules, encryption = asyncio.run(work())
    if as_json:
        typer.echo(json.dumps({"rules": rules, "encryption": encryption}, indent=2, default=str))
    else:
        typer.echo(f"bucket {settings.s3_bucket}: {len(rules)} lifecycle rule(s)")
        for rule in rules:
            typer.echo(_describe(rule))
        typer.echo(f"default encryption: {describe_encryption(encryption)}")
    problems = differences(expected, rules) + encryption_differences(kms_key_id, encryption)
    if problems:
        for problem in problems:
            typer.echo(f"differs: {problem}", err=True)
        raise typer.Exit(code=1)
    typer.echo("in line with the RETENTION_* and S3_KMS_KEY_ID settings", err=as_json)


def erase(
    phone: Optional[str] = typer.Option(None, "--phone", help="The contact's number (E.164 or US format)."),
    contact_id: Optional[str] = typer.Option(None, "--contact-id", help="The contact's id."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Remove a contact's recordings, transcripts and personal fields everywhere, and their name and address from
    meetings on the rep's calendar (events a person must clean are listed); the number stays un-callable."""
    if bool(phone) == bool(contact_id):
        raise typer.BadParameter("give exactly one of --phone or --contact-id")
    from application.manage_dnc import InvalidPhoneNumber, normalise_phone  # here: `report` need not pay for it

    subject = f"contact {contact_id}"
    if phone:
        try:
            subject = mask_phone(normalise_phone(phone))
        except InvalidPhoneNumber as exc:
            raise typer.BadParameter(str(exc), param_hint="--phone") from None
    settings = settings_for(env_file)
    from application.erase_contact import EraseContactCommand  # here: every other command would pay for it

    command = EraseContactCommand(phone=phone, contact_id=contact_id)

    async def work(container):
        if phone and not await (await container.personal_data()).contacts_with_phone(normalise_phone(phone)):
            # Nothing to erase: say what will happen instead (the number goes on the do-not-call list).
            typer.echo(f"no contact has {subject}: there is nothing to erase; the number will be added to the "
                       "do-not-call list so it is never called", err=True)
            if not yes:
                typer.confirm(f"Add {subject} to the do-not-call list?", abort=True)
        elif not yes:
            typer.confirm(f"Erase every recording, transcript, personal field and calendar mention of {subject}? "
                          "This cannot be undone", abort=True)
        return await (await container.erase_contact())(command)

    report = run(settings, work)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else "\n".join(report.lines()))


def _policy(settings: Settings) -> RetentionPolicy:
    from domain.retention_policy import RetentionPolicy

    return RetentionPolicy(active_days=settings.retention_active_days,
                           archive_days=settings.retention_archive_days,
                           delete_days=settings.retention_delete_days)


def _describe(rule: dict) -> str:
    flt = rule.get("Filter") or {}
    prefix = flt.get("Prefix", (flt.get("And") or {}).get("Prefix", rule.get("Prefix", "")))
    steps = [f"{t.get('StorageClass')} at {t.get('Days')} d" for t in rule.get("Transitions") or []]
    if rule.get("Expiration", {}).get("Days") is not None:
        steps.append(f"deleted at {rule['Expiration']['Days']} d")
    return f"  {rule.get('ID', '?')} [{rule.get('Status', '?')}] prefix {prefix!r}: " + ", ".join(steps or ["-"])
