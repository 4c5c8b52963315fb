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
import pytest


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


def children_of(pid: int) -> dict[int, str]:
    """The live processes whose parent is `pid`, with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def alive(pid: int, cmdline: str) -> bool:
    """Whether `pid` is still the same running process (not a zombie, not a reused pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        now = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return now == cmdline and stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_demo_process_alone_stops_web_worker_and_sandbox(
    tmp_path: Path, signum: signal.Signals
) -> None:
    port, sandbox_port = free_port(), free_port()
    proc = start_demo(tmp_path, port, sandbox_port)
    children: dict[int, str] = {}
    try:
        wait_until_serving(proc, port)
        children = children_of(proc.pid)
        kinds = sorted(c.split(" ledgerbridge.cli ")[1].split()[0] for c in children.values())
        assert kinds == ["sandbox", "worker"], children
        assert port_open(port) and port_open(sandbox_port)
        os.kill(proc.pid, signum)  # the demo's process only, not its group
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        left = {pid: cmd for pid, cmd in children.items() if alive(pid, cmd)}
        for pid in left:  # a failing run must not leave them behind either
            os.kill(pid, signal.SIGKILL)
    assert not left, f"orphans left running: {left}"
    assert proc.returncode == 0, out
    assert "Ledgerbridge stopped." in out
    assert not port_open(port) and not port_open(sandbox_port)
