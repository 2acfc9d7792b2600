#!/usr/bin/env python3
"""The numbers of BENCHMARKS.md's packaging section (`scripts/package.sh --measure`), printed as Markdown.

- Sizes: the tarball, the wheel, the image (its docker-archive, which holds the one uncompressed layer),
  and where the binary's bytes go (ELF sections, and Foundation's ICU data symbol).
- Start-up: exec to the readiness line, for the packaged binary, the wheel's `datasync-emulator` command
  (Python's start, then exec of the same binary) and the source build (`swift build`, debug), interleaved,
  on `--port 0 --in-memory`; the median of the runs, with (min-max).
- pip to ready: in a fresh venv, `pip install` of the wheel (from the file, no index) and then the
  emulator's readiness line, from the start of pip to the line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

MB = 1_000_000


def readiness_ms(command: list[str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command + ["--port", "0", "--in-memory", "--log-level", "error"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={k: v for k, v in os.environ.items() if not k.startswith("DATASYNC_EMULATOR_")})
    line = process.stdout.readline()
    elapsed = (time.perf_counter() - started) * 1000
    process.terminate()
    process.wait()
    if "listening on" not in line:
        raise RuntimeError(f"{command[0]} printed {line!r}")
    return elapsed


def summary(values: list[float], unit: str = "") -> str:
    return f"{statistics.median(values):.1f}{unit} ({min(values):.1f}-{max(values):.1f})"


def sections(binary: str) -> dict[str, int]:
    output = subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def icu_data_bytes(unstripped: str) -> int:
    output = subprocess.run(["nm", "-S", unstripped], capture_output=True, text=True).stdout
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].startswith("icudt"):
            return int(parts[1], 16)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tarball", required=True)
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--image-archive", required=True)
    parser.add_argument("--binary", required=True, help="the packaged (stripped) binary")
    parser.add_argument("--unstripped", required=True, help="the release build before strip")
    parser.add_argument("--source-build", required=True, help="the debug build of `swift build`")
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()

    print("| artefact | size | target |")
    print("|---|---|---|")
    for name, path, target in (("tarball", arguments.tarball, 40), ("wheel", arguments.wheel, 40),
                               ("image (docker-archive, uncompressed layer)", arguments.image_archive, 100)):
        size = os.path.getsize(path) / MB
        print(f"| {name}: `{Path(path).name}` | {size:.1f} MB | < {target} MB: {'met' if size < target else 'NOT met'} |")
    print()

    binary_size = os.path.getsize(arguments.binary)
    found = sections(arguments.binary)
    icu = icu_data_bytes(arguments.unstripped)
    print(f"The stripped binary is {binary_size / MB:.1f} MB:")
    print()
    print("| part | MB | share |")
    print("|---|---|---|")
    named = [(".rodata, of which Foundation's ICU data (`icudt*_dat`)", icu)]
    for section in (".rodata", ".text", ".eh_frame", ".rela.dyn", ".dynstr", ".data.rel.ro"):
        if section in found:
            named.append((section, found[section]))
    for name, size in named:
        print(f"| {name} | {size / MB:.1f} | {size / binary_size:.0%} |")
    print()

    with tempfile.TemporaryDirectory(prefix="package-measure.") as scratch:
        environment = Path(scratch) / "venv"
        venv.create(environment, with_pip=True)
        started = time.perf_counter()
        subprocess.run([str(environment / "bin" / "pip"), "install", "--quiet", "--no-deps", "--no-index",
                        "--disable-pip-version-check", arguments.wheel], check=True)
        installed_ms = (time.perf_counter() - started) * 1000
        first_ready_ms = readiness_ms([str(environment / "bin" / "datasync-emulator")])
        shim = [str(environment / "bin" / "datasync-emulator")]

        cases = [("packaged binary (tarball, image)", [arguments.binary]), ("wheel's `datasync-emulator` command", shim),
                 ("source build (`swift build`, debug)", [arguments.source_build])]
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        for name, command in cases:
            readiness_ms(command)  # warm-up: page cache
        for _ in range(arguments.runs):
            for name, command in cases:
                times[name].append(readiness_ms(command))
    print(f"| exec → readiness line ({arguments.runs} runs, interleaved) | ms | target |")
    print("|---|---|---|")
    for name, _ in cases:
        median = statistics.median(times[name])
        print(f"| {name} | {summary(times[name])} | < 100 ms: {'met' if median < 100 else 'NOT met'} |")
    print()
    print(f"From `pip install` of the wheel (local file, no dependencies) to the readiness line: "
          f"{(installed_ms + first_ready_ms) / 1000:.2f} s ({installed_ms / 1000:.2f} s pip, "
          f"{first_ready_ms:.0f} ms first start).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
