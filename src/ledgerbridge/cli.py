"""The `ledgerbridge` console command: one entry point for running and operating the product."""

from __future__ import annotations

import argparse
import getpass
import importlib.util
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {}


def command(
    name: str, help_text: str
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    def register(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = (help_text, func)
        return func

    return register


def _setup() -> None:
    """Set Django up once (a second call, e.g. from a test, leaves logging as it is)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ledgerbridge.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        from django.core.exceptions import ImproperlyConfigured

        from ledgerbridge.datadir import DataDirError

        try:
            django.setup()
        except (DataDirError, ImproperlyConfigured) as exc:  # a clear sentence, no traceback
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(1) from None


@command("migrate", "Create or upgrade the database schema (safe to run at any time).")
def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


@command("serve", "Serve the web app and REST API (waitress, multi-threaded).")
def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    from waitress import serve

    from ledgerbridge.wsgi import application

    print(f"Ledgerbridge is serving on http://{args.host}:{args.port}/", flush=True)
    serve(application, host=args.host, port=args.port, threads=args.threads, ident="ledgerbridge")
    return 0


@command("worker", "Run background work: queued tasks and periodic jobs (recurring invoices).")
def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from ledgerbridge.worker import run_worker

    run_worker(batch=args.once, interval=args.interval)
    return 0


@command("createadmin", "Create an admin user and print its login.")
def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup()
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from ledgerbridge.accounts.models import Role, User

    if User.objects.filter(username=args.username).exists():
        print(
            f"error: a user named {args.username!r} already exists; choose another --username.",
            file=sys.stderr,
        )
        return 1
    password = getpass.getpass("Password: ") if args.ask_password else secrets.token_urlsafe(12)
    user = User(
        username=args.username, email=args.email, role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    try:
        user.full_clean(exclude=["password"])
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            print(f"error: {field}: {' '.join(messages)}", file=sys.stderr)
        return 1
    with transaction.atomic():
        user.set_password(password)
        user.save()
    print(f"Admin created. Username: {args.username}  Password: {password}")
    return 0


@command("create-token", "Create a REST API token for a user and print it (shown once).")
def cmd_create_token(args: argparse.Namespace) -> int:
    _setup()
    from ledgerbridge.accounts.models import ApiToken, User

    user = User.objects.filter(username=args.user, is_active=True).first()
    if user is None:
        print(f"error: --user: no active user named {args.user!r}.", file=sys.stderr)
        return 1
    _, raw = ApiToken.issue(user, args.name)
    print(raw)
    return 0


@command(
    "unlock",
    "Lift a sign-in lock-out (too many failed sign-ins) of a username and/or an address; with "
    "neither, list who is locked out.",
)
def cmd_unlock(args: argparse.Namespace) -> int:
    _setup()
    from ledgerbridge.accounts import lockouts

    if not args.user and not args.address:
        users = lockouts.locked_usernames()
        addresses = lockouts.locked_addresses()
        if not users and not addresses:
            print("No one is locked out.")
        for lock in [*users.values(), *addresses]:
            who = f"user {lock.username}" if lock.username else f"address {lock.address}"
            until = f"{lock.until:%H:%M} UTC"
            print(f"{who}: {lock.failures} failed sign-ins, locked out until {until}")
        return 0
    removed = lockouts.unlock(username=args.user, address=args.address)
    who = " and ".join(
        part
        for part in (
            f"user {args.user}" if args.user else "",
            f"address {args.address}" if args.address else "",
        )
        if part
    )
    state = "unlocked" if removed else "was not locked out (nothing to do)"
    print(f"{who[0].upper()}{who[1:]} {state}.")
    return 0


@command("rotate-keys", "Re-encrypt stored secrets with the newest LEDGERBRIDGE_FERNET_KEYS key.")
def cmd_rotate_keys(args: argparse.Namespace) -> int:
    _setup()
    from ledgerbridge.xero.connections import rotate_secrets

    print(f"Re-encrypted {rotate_secrets()} stored secret(s) with the newest key.")
    return 0


@command(
    "demo-data", "Load the demo data set (customers, tickets, invoices…) into an empty database."
)
def cmd_demo_data(args: argparse.Namespace) -> int:
    _setup()
    from ledgerbridge.demo import load_demo_data

    summary = load_demo_data(seed=args.seed)
    if summary is None:
        print("Demo data already present; nothing loaded.")
    else:
        print("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))
    return 0


@command(
    "raise-recurring", "Raise the recurring invoices due today (what the worker does every minute)."
)
def cmd_raise_recurring(args: argparse.Namespace) -> int:
    _setup()
    from django.utils import timezone

    from ledgerbridge.billing.recurring import raise_due_invoices, waiting_schedules

    today = timezone.localdate()
    raised = raise_due_invoices(today)
    print(
        f"Raised {len(raised)} invoice(s)"
        + (": " + ", ".join(i.number for i in raised) if raised else ".")
    )
    for schedule, backlog in waiting_schedules(today):
        print(
            f"Waiting for confirmation on its page (/billing/recurring/{schedule.pk}/): "
            f"{schedule.customer}, {backlog}."
        )
    return 0


@command(
    "demo", "Run everything for a demo: database, demo data, admin, Xero sandbox, worker, web."
)
def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    from ledgerbridge.demo import ensure_demo_admin, load_demo_data

    call_command("migrate", interactive=False, verbosity=0)
    summary = load_demo_data(seed=1)
    if summary:
        print("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))
    username, password = ensure_demo_admin()

    children: list[subprocess.Popen[bytes]] = []
    exe = [sys.executable, "-m", "ledgerbridge.cli"]
    # SIGTERM stops the demo as Ctrl-C does: through the `finally` below, which stops the
    # children, rather than ending this process alone and leaving them running.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sandbox = _start_sandbox(exe, Path(settings.DATA_DIR), settings.SANDBOX_PORT, children)
        if sandbox is not None:
            info = sandbox[1]
            if not settings.XERO_CLIENT_ID:  # no real Xero app configured: use the sandbox's
                settings.XERO_CLIENT_ID = os.environ["XERO_CLIENT_ID"] = info["client_id"]
                settings.XERO_CLIENT_SECRET = os.environ["XERO_CLIENT_SECRET"] = info[
                    "client_secret"
                ]
                os.environ["XERO_SANDBOX_URL"] = info["url"]  # the worker reads these
        children.append(_child([*exe, "worker"]))
        sandbox_url = sandbox[1]["url"] if sandbox else None
        print()
        print(f"  Ledgerbridge:  http://{args.host}:{args.port}/")
        print(f"  Log in as:     {username} / {password}")
        if sandbox is not None:
            login = sandbox[1].get("login") or {}
            print(
                f"  Xero sandbox:  {sandbox_url}  (log in there as {login.get('email')} / "
                f"{login.get('password')}; see docs/sandbox.md)"
            )
        print("  Stop with Ctrl-C.")
        print(flush=True)
        args.threads = 8
        return cmd_serve(args)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
        print("Ledgerbridge stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _child(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start one of the demo's processes in a session of its own: a terminal's Ctrl-C then
    reaches the demo alone, which passes one signal on to each child (see `_stop`), so a child
    is stopped the same way whether the whole group or the demo alone was signalled."""
    return subprocess.Popen(command, start_new_session=True, **kwargs)  # noqa: S603


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop the demo's other processes: one SIGINT each, as Ctrl-C would (the worker then
    finishes the task in hand; a second signal would make it abandon it), then SIGTERM for any
    still running after a while, then kill. Further signals are ignored meanwhile, so a second
    Ctrl-C cannot cut this short and leave a child behind; every wait is bounded."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@command("xero", "Xero: list connections, import from an organisation (with a progress bar).")
def cmd_xero(args: argparse.Namespace) -> int:
    _setup()
    if args.xero_command == "connections":
        return _xero_connections()
    if args.xero_command == "compare":
        return _xero_compare(args)
    return _xero_import(args)


IMPORT_KINDS = [
    "tax-rates",
    "customers",
    "suppliers",
    "products",
    "tracking",
    "branding",
    "currencies",
]


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _xero_connections() -> int:
    from rich.console import Console
    from rich.table import Table

    from ledgerbridge.xero.models import Connection

    rows = list(Connection.objects.all())
    if not rows:
        print("No Xero connections yet; add one at Configuration > Integrations > Xero.")
        return 0
    table = Table("Name", "Organisation", "State", "Saved", "Calls left today", "Paused until")
    for c in rows:
        table.add_row(
            c.name,
            c.tenant_name or "-",
            c.get_state_display(),
            "yes" if c.saved else "no",
            "-" if c.day_remaining is None else str(c.day_remaining),
            f"{c.paused_until:%Y-%m-%d %H:%M} UTC" if c.paused_until else "-",
        )
    Console(width=120).print(table)
    return 0


def _connected(name: str) -> Any:
    """The connected connection of that display name, or why not (a message for --connection)."""
    from ledgerbridge.xero.models import Connection

    connection = Connection.objects.filter(name__iexact=name).first()
    if connection is None:
        names = ", ".join(repr(n) for n in Connection.objects.values_list("name", flat=True))
        return f"--connection: no Xero connection named {name!r}; " + (
            f"the connections are {names}." if names else "there are no connections yet."
        )
    if not connection.is_connected:
        return (
            f"--connection: {connection.name} is {connection.get_state_display().lower()}"
            + ("" if connection.saved else " (not saved)")
            + "; connect and save it at Configuration > Integrations > Xero first."
        )
    return connection


def _xero_compare(args: argparse.Namespace) -> int:
    """Compare in the foreground with a progress bar; print every difference; exit 0 only
    when there is none."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ledgerbridge.xero import comparisons
    from ledgerbridge.xero.models import ComparisonStatus

    connection = _connected(args.connection)
    if isinstance(connection, str):
        return _fail(connection)
    run = comparisons.start(connection, fix=args.fix, background=False)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    task = progress.add_task("Starting", total=None)

    def advance(current: Any) -> None:
        progress.update(
            task, description=current.phase, completed=current.done, total=current.total
        )

    with progress:
        finished = comparisons.run(run.pk, progress=advance)
    if finished.status == ComparisonStatus.RUNNING:
        return _fail(f"comparison {run.pk} is being carried out by another process.")
    if finished.status == ComparisonStatus.FAILED:
        return _fail(finished.message)
    for difference in finished.differences:
        fix = {"send": "fix: send ours again", "link": "fix: link"}.get(
            difference["fix"], "a person decides"
        )
        print(
            f"- {difference['label']}: {difference['problem_label']}. {difference['words']} ({fix})"
        )
    if finished.difference_count > len(finished.differences):
        print(f"… and {finished.difference_count - len(finished.differences)} more.")
    print(finished.message)
    return 0 if finished.difference_count == 0 else 1


def _xero_import(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError
    from django.db.models import Q
    from django.utils import timezone

    from ledgerbridge.catalog.models import ProductGroup
    from ledgerbridge.xero.imports import run_import, start_import
    from ledgerbridge.xero.imports.common import STALE_AFTER
    from ledgerbridge.xero.models import ImportRun, ImportStatus

    connection = _connected(args.connection)
    if isinstance(connection, str):
        return _fail(connection)
    params: dict[str, Any] = {}
    if args.kind == "products":
        if not args.group:
            groups = ", ".join(ProductGroup.objects.values_list("name", flat=True)[:20])
            return _fail(
                "--group: a products import needs --group NAME|ID, the product group imported "
                "products join"
                + (f"; the groups are {groups}." if groups else "; create a product group first.")
            )
        wanted = Q(name__iexact=args.group)
        if args.group.isdecimal():
            wanted |= Q(pk=int(args.group))
        group = ProductGroup.objects.filter(wanted).first()
        if group is None:
            return _fail(f"--group: no product group named (or numbered) {args.group!r}.")
        params["product_group"] = group.pk
    elif args.group:
        return _fail("--group: only a products import takes a product group.")
    if args.full:
        params["full"] = True

    try:
        run = start_import(connection, args.kind, params=params, background=args.background)
    except ValidationError as exc:
        return _fail(" ".join(exc.messages))
    if args.background:
        print(
            f"Import {run.pk} ({run.get_kind_display().lower()} from {connection.name}) is queued; "
            f"the worker (`ledgerbridge worker`) carries it out. Follow it on the import screen "
            f"or at GET /api/v1/xero/imports/{run.pk}."
        )
        return 0
    if run.status == ImportStatus.RUNNING and run.heartbeat_at:
        free_at = run.heartbeat_at + STALE_AFTER
        if free_at > timezone.now():
            return _fail(
                f"import {run.pk} is being carried out by another process (last progress at "
                f"{run.heartbeat_at:%H:%M:%S} UTC). If that process was stopped, run this again "
                f"after {free_at:%H:%M:%S} UTC and it resumes."
            )
    if run.pages_done:
        print(
            f"Resuming import {run.pk} from page {run.next_page} "
            f"({run.processed} records done before)."
        )
    finished = _run_with_progress(run, run_import)
    if finished.status == ImportStatus.RUNNING:  # another process took it meanwhile
        return _fail(f"import {run.pk} is being carried out by another process.")
    return _report(finished, ImportRun)


def _run_with_progress(run: Any, run_import: Callable[..., Any]) -> Any:
    """Run the import here with a progress bar (the total is unknown until Xero's first
    page says it); Ctrl-C or SIGTERM leaves the run resumable at once by a rerun."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ledgerbridge.xero.models import ImportRun, ImportStatus

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records, {task.fields[pages]} page(s)"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    label = f"Importing {run.get_kind_display().lower()}"
    task = progress.add_task(label, total=run.total, completed=run.processed, pages=run.pages_done)

    def advance(current: Any) -> None:
        progress.update(
            task, total=current.total, completed=current.processed, pages=current.pages_done
        )

    try:
        with progress:
            return run_import(run.pk, progress=advance)
    except KeyboardInterrupt:
        # Whatever page was in flight was rolled back; the run resumes from its next page.
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.QUEUED,
            heartbeat_at=None,
            message="Interrupted; run the same command again to resume.",
        )
        print(f"\nInterrupted; run the same command again to resume import {run.pk}.")
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report(run: Any, model: Any) -> int:
    status = run.status
    counts = f"{run.created} created, {run.updated} updated, {run.skipped} skipped"
    if status == "done":
        print(f"Import {run.pk} done: {counts} ({run.api_calls} Xero call(s)).")
    elif status == "waiting":
        print(f"Import {run.pk} is waiting ({counts} so far).", file=sys.stderr)
        print(run.message, file=sys.stderr)
        if run.resume_after:
            when = f"{run.resume_after:%Y-%m-%d %H:%M} UTC"
            print(
                f"The worker (`ledgerbridge worker`) resumes it at {when}; "
                "or run this command again after then.",
                file=sys.stderr,
            )
    else:
        print(f"Import {run.pk} failed ({counts}): {run.message}", file=sys.stderr)
    if run.problems:
        print(f"{len(run.problems)} problem(s):")
        for problem in run.problems:
            print(f"  - {problem.get('record')}: {problem.get('reason')}")
    return 0 if status == "done" else 1


def _xero_arguments(parser: argparse.ArgumentParser) -> None:
    xero = parser.add_subparsers(dest="xero_command", metavar="XERO_COMMAND", required=True)
    xero.add_parser(
        "connections",
        help="List the Xero connections, their organisations and states.",
        description="List the Xero connections, their organisations and states.",
    )
    compare = xero.add_parser(
        "compare",
        help="Compare a Xero organisation with the PSA, record by record.",
        description="Read the organisation's contacts, items, invoices and purchase orders "
        "from Xero and print every difference from the PSA (exit 0 when there is none). "
        "Read-only unless --fix.",
    )
    compare.add_argument(
        "--connection", required=True, metavar="NAME", help="the connection's display name"
    )
    compare.add_argument(
        "--fix",
        action="store_true",
        help="send our version of each differing record again (the worker sends it) and link "
        "Xero records that match ours exactly",
    )
    text = (
        "Import from a connected Xero organisation in the foreground with a progress bar, then "
        "print the outcome (exit 0 when done). Incremental: only what changed since the last "
        "complete import, unless --full. An interrupted run is resumed by running the same "
        "command again."
    )
    imp = xero.add_parser(
        "import", help="Import records from a Xero organisation.", description=text
    )
    imp.add_argument("kind", metavar="KIND", choices=IMPORT_KINDS, help=" | ".join(IMPORT_KINDS))
    imp.add_argument(
        "--connection", required=True, metavar="NAME", help="the connection's display name"
    )
    imp.add_argument(
        "--group",
        metavar="NAME|ID",
        help="products only (required): the product group imported products join",
    )
    imp.add_argument(
        "--full", action="store_true", help="read everything again, ignoring the watermark"
    )
    imp.add_argument(
        "--background",
        action="store_true",
        help="queue the import for the worker instead of running it here",
    )


def _start_sandbox(
    exe: list[str], data_dir: Path, port: int, children: list[subprocess.Popen[bytes]]
) -> tuple[subprocess.Popen[bytes], dict[str, Any]] | None:
    """Start the Xero sandbox beside the demo (added to `children` at once, so it is stopped
    with them even if the demo is stopped while it starts); returns it and its start-up line,
    or None."""
    if importlib.util.find_spec("xero_sandbox.cli") is None:
        return None
    process = _child(
        [*exe, "sandbox", "--port", str(port), "--data", str(data_dir / "sandbox.json")],
        stdout=subprocess.PIPE,
    )
    children.append(process)
    assert process.stdout is not None
    first = process.stdout.readline()
    try:
        info = json.loads(first)
    except ValueError:
        process.terminate()
        print(f"The Xero sandbox did not start (port {port} busy? set SANDBOX_PORT).")
        return None
    log_path = data_dir / "sandbox.log"

    def drain(stream: IO[bytes]) -> None:  # its request log goes to a file, not the console
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as log:
            for line in stream:
                log.write(line)
                log.flush()

    threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
    return process, info


def cmd_sandbox(argv: Sequence[str]) -> int:
    from xero_sandbox.cli import main as sandbox_main

    return int(sandbox_main(list(argv)))


def cmd_manage(argv: Sequence[str]) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ledgerbridge manage", *argv])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledgerbridge",
        description="Ledgerbridge: PSA billing for managed service providers, kept in step "
        "with Xero. Configuration comes from environment variables (DATABASE_URL, SECRET_KEY, "
        "…; see README.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, _) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name in {"serve", "demo"}:
            p.add_argument(
                "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
            )
            p.add_argument(
                "--port", type=int, default=8000, help="port to listen on (default 8000)"
            )
        if name == "serve":
            p.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
        if name == "migrate":
            p.add_argument("--verbosity", type=int, default=1, choices=[0, 1, 2, 3])
        if name == "worker":
            p.add_argument("--once", action="store_true", help="run what is queued, then exit")
            p.add_argument(
                "--interval", type=float, default=1.0, help="seconds between queue polls"
            )
        if name == "createadmin":
            p.add_argument("--username", default="admin", help="login name (default admin)")
            p.add_argument("--email", default="", help="email address")
            p.add_argument(
                "--ask-password",
                action="store_true",
                help="prompt for the password instead of generating one",
            )
        if name == "create-token":
            p.add_argument("--user", required=True, help="the username the token acts as")
            p.add_argument("--name", default="cli", help="a label to recognise the token by")
        if name == "unlock":
            p.add_argument("--user", metavar="USERNAME", help="the username to unlock")
            p.add_argument("--address", metavar="IP", help="the client address to unlock")
        if name == "demo-data":
            p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        if name == "xero":
            _xero_arguments(p)
    sub.add_parser(
        "sandbox",
        help="Run the Xero sandbox, a Xero-compatible server (see docs/sandbox.md).",
        add_help=False,
    )
    sub.add_parser(
        "manage",
        help="Run any Django management command (e.g. `ledgerbridge manage check`).",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sandbox":
        return cmd_sandbox(argv[1:])
    if argv and argv[0] == "manage":
        return cmd_manage(argv[1:])
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    sys.exit(main())
