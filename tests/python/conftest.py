"""Fixtures for the module's tests: the CLI to compare with, and a programme."""
import json
import os
import subprocess

import numpy as np
import pytest

BOUNCE_CLI = os.environ.get("BOUNCE_CLI", "bounce")


def run_cli(*args, check=True):
    """Runs the bounce command; returns its stdout."""
    result = subprocess.run([BOUNCE_CLI, *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"bounce {' '.join(map(str, args))}: {result.stderr}")
    return result


def cli_json(*args):
    return json.loads(run_cli(*args).stdout)


@pytest.fixture(scope="session")
def programme():
    """Ten seconds of stereo noise with a slow level change, 48 kHz, float32 (channels, frames)."""
    rng = np.random.default_rng(7)
    frames = 48000 * 10
    noise = rng.standard_normal((2, frames)).astype(np.float32) * 0.1
    envelope = (0.5 + 0.5 * np.sin(np.linspace(0, 6 * np.pi, frames))).astype(np.float32)
    return noise * envelope
