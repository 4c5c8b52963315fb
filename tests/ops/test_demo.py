"""`ledgerbridge demo` (what `make demo` runs): serves, stops cleanly on Ctrl-C, keeps data."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_demo(data_dir: Path, port: int, sandbox_port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATA_DIR": str(data_dir),
        "SANDBOX_PORT": str(sandbox_port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Its own process group, so that SIGINT reaches every process as a terminal's Ctrl-C does.
    return subprocess.Popen(
        [sys.executable, "-m", "ledgerbridge.cli", "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def wait_until_serving(proc: subprocess.Popen[str], port: int) -> str:
    seen = []
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen.append(line)
        if "Stop with Ctrl-C" in line:
            break
        assert proc.poll() is None, "".join(seen)
    while time.monotonic() < deadline and not port_open(port):
        time.sleep(0.2)
    return "".join(seen)


def ctrl_c(proc: subprocess.Popen[str]) -> str:
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out


def test_demo_serves_stops_cleanly_and_keeps_its_data(tmp_path: Path) -> None:
    port, sandbox_port = free_port(), free_port()
    proc = start_demo(tmp_path, port, sandbox_port)
    try:
        banner = wait_until_serving(proc, port)
        assert "Demo data loaded: 24 customers" in banner
        login = re.search(r"Log in as:\s+(\S+) / (\S+)", banner)
        assert login, banner
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            page = client.get("/login/")
            assert page.status_code == 200
            home = client.get("/customers/")
            assert home.status_code == 302 and "/login/" in home.headers["location"]
    finally:
        tail = ctrl_c(proc)
    assert proc.returncode == 0, tail
    assert "Ledgerbridge stopped." in tail
    assert not port_open(port) and not port_open(sandbox_port)

    again = start_demo(tmp_path, port, sandbox_port)
    try:
        banner = wait_until_serving(again, port)
        assert "Demo data loaded" not in banner  # the data is kept
        assert f"Log in as:     {login.group(1)} / {login.group(2)}" in banner
    finally:
        ctrl_c(again)
    assert again.returncode == 0
