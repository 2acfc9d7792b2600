"""The `ok - …` / `not ok - …` lines and counts shared by the Python walkthroughs (stdlib only, so every
client's virtualenv can import it)."""

from __future__ import annotations

from typing import Any


class CheckLines:
    """Prints one line per check and counts them; the caller prints `NAME: N passed, M failed` at the end."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, condition: bool, what: str, detail: str = "") -> bool:
        if condition:
            self.passed += 1
            print(f"ok - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {what}" + (f"\n    {detail}" if detail else ""), flush=True)
        return condition

    def equal(self, actual: Any, expected: Any, what: str) -> bool:
        return self.check(actual == expected, what, f"expected {expected!r}, got {actual!r}")

    def failed_call(self, what: str, error: BaseException) -> None:
        """A call that had to succeed raised: one failed check, with the error."""
        self.failed += 1
        print(f"not ok - {what}\n    {type(error).__name__}: {error}", flush=True)
