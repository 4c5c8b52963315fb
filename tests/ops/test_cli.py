"""The `ledgerbridge` command, run as a user runs it: a real process on a real database file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    data_dir: Path, *args: str, stdin: str | None = None, **environ: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGERBRIDGE_DATA_DIR": str(data_dir), **environ}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "ledgerbridge.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lbdata")
    assert run(path, "migrate", "--verbosity", "0").returncode == 0
    return path


def test_help_explains_every_subcommand(tmp_path: Path) -> None:
    out = run(tmp_path, "--help").stdout
    for name in [
        "serve",
        "worker",
        "migrate",
        "createadmin",
        "demo-data",
        "demo",
        "sandbox",
        "create-token",
    ]:
        assert name in out
    worker_help = run(tmp_path, "worker", "--help").stdout
    assert "--once" in worker_help


def test_unknown_command_and_bad_option_are_clear_errors(tmp_path: Path) -> None:
    result = run(tmp_path, "frobnicate")
    assert result.returncode == 2 and "invalid choice: 'frobnicate'" in result.stderr
    result = run(tmp_path, "serve", "--port", "eighty")
    assert result.returncode == 2 and "--port" in result.stderr


def test_secret_key_file_is_generated_private(data_dir: Path) -> None:
    key = data_dir / "secret_key"
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_demo_data_loads_once_and_keeps_data(data_dir: Path) -> None:
    first = run(data_dir, "demo-data")
    assert first.returncode == 0, first.stderr
    assert "24 customers" in first.stdout and "purchase orders" in first.stdout
    again = run(data_dir, "demo-data")
    assert "already present" in again.stdout


def test_createadmin_prints_login_and_refuses_duplicates(data_dir: Path) -> None:
    created = run(data_dir, "createadmin", "--username", "owner", "--email", "o@example.com")
    assert created.returncode == 0 and "Username: owner" in created.stdout
    duplicate = run(data_dir, "createadmin", "--username", "owner")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    bad_email = run(data_dir, "createadmin", "--username", "other", "--email", "not-an-email")
    assert bad_email.returncode == 1 and "email" in bad_email.stderr


def test_create_token_for_unknown_user_names_the_option(data_dir: Path) -> None:
    result = run(data_dir, "create-token", "--user", "ghost")
    assert result.returncode == 1 and "--user" in result.stderr
    made = run(data_dir, "create-token", "--user", "owner", "--name", "ci")
    assert made.returncode == 0 and made.stdout.startswith("lb_")


def test_worker_once_runs_periodic_work(data_dir: Path) -> None:
    result = run(data_dir, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "raise_recurring_invoices state=SUCCESSFUL" in result.stderr


def test_rotate_keys_re_encrypts_with_the_newest_key(data_dir: Path) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env_old = {"LEDGERBRIDGE_FERNET_KEYS": old}
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='ledgerbridge.settings'; "
        "django.setup(); from django.utils import timezone; "
        "from ledgerbridge.xero.models import TokenSet; t=TokenSet(); "
        "t.store({'access_token':'A1','refresh_token':'R1'}, timezone.now()); t.save()"
    )
    base = {**os.environ, "LEDGERBRIDGE_DATA_DIR": str(data_dir)}
    base.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", script], env={**base, **env_old}, check=True)
    rotated = subprocess.run(
        [sys.executable, "-m", "ledgerbridge.cli", "rotate-keys"],
        env={**base, "LEDGERBRIDGE_FERNET_KEYS": f"{new},{old}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert rotated.returncode == 0 and "Re-encrypted 1" in rotated.stdout, rotated.stderr
    read = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='ledgerbridge.settings'; "
        "django.setup(); from ledgerbridge.xero.models import TokenSet; "
        "print(TokenSet.objects.get().refresh_token)"
    )
    only_new = subprocess.run(
        [sys.executable, "-c", read],
        env={**base, "LEDGERBRIDGE_FERNET_KEYS": new},
        capture_output=True,
        text=True,
        check=False,
    )
    assert only_new.stdout.strip() == "R1", only_new.stderr


@pytest.mark.parametrize("value", ["0", "51", "fifty"])
def test_a_bad_batch_size_stops_start_up_naming_the_setting_and_the_fix(
    data_dir: Path, value: str
) -> None:
    for args in (("migrate",), ("worker", "--once")):
        result = run(data_dir, *args, XERO_BATCH_SIZE=value)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"XERO_BATCH_SIZE is '{value}': set it to a whole number from 1 to 50" in (
            result.stderr
        )
    assert run(data_dir, "worker", "--once", XERO_BATCH_SIZE="1").returncode == 0
