"""datasync-emulator: a local emulator of the Azure SQL Data Sync management REST API.

The wheel bundles the emulator's Linux binary; `datasync-emulator` on PATH runs it, and the pytest plugin
(`datasync_emulator.pytest_plugin`) starts it for a test session. Only `os` and `sys` are imported here:
the command's start-up time is Python's own plus an exec.
"""

import os
import sys

__all__ = ["binary_path", "main"]


def binary_path() -> str:
    """The emulator binary: DATASYNC_EMULATOR_BINARY when set, else the one bundled in this package."""
    return os.environ.get("DATASYNC_EMULATOR_BINARY") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "bin", "datasync-emulator"
    )


def main() -> None:
    """The `datasync-emulator` command: replaces this Python process with the bundled binary."""
    binary = binary_path()
    os.execv(binary, [binary, *sys.argv[1:]])
