"""Start the bots under test as separate processes and read their CPU time and peak memory."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def peak_rss_mb(self) -> float:
        """VmHWM: the process's peak resident set size."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return psutil.Process(self.process.pid).memory_info().rss / 1024 / 1024


async def wait_ready(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.request("GET" if path != "/api/messages" else "POST",
                                        f"http://127.0.0.1:{port}{path}", json={}) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


@contextmanager
def started(name: str, argv: list[str], env: dict[str, str], ready_path: str) -> Iterator[Server]:
    port = free_port()
    full_env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    log = open(ROOT / "bench" / "results" / f"{name}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, *argv, *( [str(port)] if name == "echo" else [])],
                               env=full_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        asyncio.run(wait_ready(port, ready_path))
        yield Server(name, process, port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
