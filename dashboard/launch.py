"""Start and stop `streamlit run dashboard/app.py` on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start(log_path: Path, timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """The dashboard on 127.0.0.1 and a free port, once it answers; raises RuntimeError if it does not."""
    url_port = free_port()
    url = f"http://127.0.0.1:{url_port}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
        "--server.port", str(url_port), "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"streamlit did not start:\n{Path(log_path).read_text()[-3000:]}")
        time.sleep(0.3)
    return process, url


def stop(process: subprocess.Popen) -> None:
    """End the server (and wait for it), by its process id."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
