"""The benchmark report's machine line: the processor's name, and a yardstick of the machine's speed."""

from __future__ import annotations

import pytest

from bench.machine import cpu_model, yardstick

EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC   7B13
flags\t\t: fpu vme
"""

ARM = """processor\t: 0
BogoMIPS\t: 50.00
CPU implementer\t: 0x41
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""


def test_the_processor_is_named_from_cpuinfo() -> None:
    assert cpu_model(EPYC) == "AMD EPYC 7B13"
    assert cpu_model(ARM) == "Raspberry Pi 4 Model B Rev 1.4"


def test_without_a_name_the_architecture_is_given() -> None:
    assert cpu_model("processor\t: 0\nflags\t: fpu\n") not in ("", "0", "fpu")


def test_the_yardstick_is_the_median_of_its_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 0.010, 1.0, 1.030, 2.0, 2.020])  # three runs: 10, 30, 20 ms

    monkeypatch.setattr("bench.machine.time.process_time", lambda: next(ticks))
    assert abs(yardstick(runs=3) - 20.0) < 1e-9
