"""datasync-emulator: a local emulator of the Azure SQL Data Sync management REST API.

The wheel bundles the emulator's Linux binary; `datasync-emulator` on PATH runs it, and the pytest plugin
(`datasync_emulator.pytest_plugin`) starts it for a test session.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["binary_path", "main"]


def binary_path() -> Path:
    """The emulator binary: DATASYNC_EMULATOR_BINARY when set, else the one bundled in this package."""
    override = os.environ.get("DATASYNC_EMULATOR_BINARY")
    return Path(override) if override else Path(__file__).resolve().parent / "bin" / "datasync-emulator"


def main() -> None:
    """The `datasync-emulator` command: replaces this Python process with the bundled binary."""
    binary = str(binary_path())
    os.execv(binary, [binary, *sys.argv[1:]])
