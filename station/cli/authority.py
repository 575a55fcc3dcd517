"""``station badge`` (PINs of supervisor and engineer badges) and ``station audit`` (who did
what): the faces of the one authorisation rule in ``station.sequence.authority``.

Exit codes: 0 done, 1 refused (wrong PIN, a badge that may not), 2 usage or configuration.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from station.cli.common import (
    Failed,
    UsageProblem,
    ask_pin,
    config_option,
    db_option,
    echo,
    handle_errors,
    load_station_config,
)
from station.cli.store import When


def register(group: click.Group) -> None:
    group.add_command(badge_group)
    group.add_command(audit_cmd)


def _authority(config_path: Path | None, database: str | None):  # type: ignore[no-untyped-def]
    from station.sequence.authority import Authority
    from station.store import Store

    config = load_station_config(config_path, database=database)
    return Authority(config, Store.open(config.database))


@click.group("badge")
def badge_group() -> None:
    """PINs of supervisor and engineer badges (roles come from the station configuration)."""


@badge_group.command("set")
@click.argument("badge")
@click.option(
    "--by",
    "by",
    default=None,
    metavar="ENGINEER",
    help="An engineer sets the PIN (their own PIN is asked for); without it, the badge's "
    "current PIN is asked for. The first engineer PIN of a database needs neither.",
)
@db_option()
@config_option
@handle_errors
def badge_set(badge: str, by: str | None, database: str | None, config_path: Path | None) -> None:
    """Set or change BADGE's PIN (4-12 digits, asked for twice, never shown)."""
    from station.sequence.authority import NotAuthorised
    from station.sequence.service import Credentials

    rules = _authority(config_path, database)
    try:
        code = rules.identify(badge).code
        current = None
        setter = None
        if by is not None:
            setter = Credentials(rules.identify(by).code, ask_pin(by))
        elif rules.has_pin(code):
            current = ask_pin(code, "Current PIN")
        new = ask_pin(code, "New PIN")
        if ask_pin(code, "New PIN again") != new:
            raise UsageProblem("the two new PINs differ; nothing changed")
        who = rules.set_pin(code, new, current_pin=current, by=setter)
    except NotAuthorised as exc:
        raise Failed(str(exc)) from None
    finally:
        rules.store.close()
    echo(f"PIN of badge {code} set by {who} (recorded in the audit log)")


@badge_group.command("list")
@db_option()
@config_option
@handle_errors
def badge_list(database: str | None, config_path: Path | None) -> None:
    """Badges with rights, and whether each has a PIN."""
    rules = _authority(config_path, database)
    try:
        pins = {p.code: p for p in rules.store.badge_pins()}
        config = rules.config
        rows = [(c, "engineer") for c in config.engineer_badges] + [
            (c, "supervisor") for c in config.supervisor_badges if c not in config.engineer_badges
        ]
    finally:
        rules.store.close()
    if not rows:
        echo("no supervisor or engineer badges in the configuration")
    for code, role in rows:
        kept = pins.get(code)
        if kept is None:
            state = "NO PIN: set one with `station badge set`"
        else:
            state = f"PIN set by {kept.changed_by} on {kept.changed_at:%Y-%m-%d %H:%M} UTC"
            if kept.failures:
                state += f", {kept.failures} wrong PIN(s) since"
        echo(f"{code:<24} {role:<10} {state}")


@click.command("audit")
@click.option("--since", type=When(), default=None, help="Entries at or after this.")
@click.option(
    "--action",
    "actions",
    multiple=True,
    metavar="ACTION",
    help="Only this action (repeatable), e.g. RECIPE_RELEASED, REWORK_AUTHORISED, "
    "LABEL_REPRINTED, KEY_SET_CHANGED, PIN_CHANGED, PIN_REFUSED.",
)
@click.option("--privileged", is_flag=True, help="Only privileged actions.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@db_option()
@config_option
@handle_errors
def audit_cmd(
    since: datetime | None,
    actions: tuple[str, ...],
    privileged: bool,
    limit: int,
    as_json: bool,
    database: str | None,
    config_path: Path | None,
) -> None:
    """The audit log, oldest first: who released, reworked, reprinted, changed keys or PINs,
    and every refusal."""
    from station.store import PRIVILEGED_ACTIONS, AuditAction, Store

    known = {str(a) for a in AuditAction}
    wanted = {a.strip().upper() for a in actions}
    unknown = wanted - known
    if unknown:
        raise UsageProblem(
            f"unknown action(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    if privileged:
        wanted = (wanted or set(known)) & {str(a) for a in PRIVILEGED_ACTIONS}
    config = load_station_config(config_path, database=database)
    with Store.open(config.database, upgrade=False, read_only=True) as store:
        entries = store.audit_entries(actions=wanted or None, since=since, limit=limit)
    for e in reversed(entries):
        if as_json:
            echo(
                json.dumps(
                    {
                        "id": e.id,
                        "at": e.at.isoformat(),
                        "action": e.action,
                        "who": e.who,
                        "station": e.station,
                        "subject": e.subject,
                        "detail": dict(e.detail),
                    },
                    sort_keys=True,
                )
            )
            continue
        detail = json.dumps(dict(e.detail), sort_keys=True, ensure_ascii=False)
        echo(
            f"{e.at:%Y-%m-%d %H:%M:%S} UTC  {e.action:<22} by {e.who:<16} at "
            f"{e.station or '-':<8} {e.subject}  {detail}"
        )
    if not entries:
        echo("no audit entries match", err=True)
