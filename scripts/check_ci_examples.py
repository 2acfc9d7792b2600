#!/usr/bin/env python3
"""Checks examples/ci/*.yml against the artefacts that scripts/package.sh built (run by package-check.sh).

Statically, for both files: they parse as YAML; every `datasync-emulator …` command they run uses a
subcommand and options that the built binary lists in its --help; every DATASYNC_EMULATOR_* variable they
set is one the binary reads or `env` prints; the file names, image name and port they use are the ones
of dist/. Then, for real: the GitHub Actions steps that install and start the emulator run here in bash,
against the unpacked tarball (with the download replaced by the local file), and what they append to
$GITHUB_ENV must reach the running emulator through `datasync-emulator health`.

Prints `ok - …` / `not ok - …` lines and a last line `check-ci-examples: N passed, M failed`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

results = {"passed": 0, "failed": 0}


def check(condition: bool, what: str, detail: str = "") -> bool:
    results["passed" if condition else "failed"] += 1
    print(("ok - " if condition else "not ok - ") + what + ("" if condition or not detail else f": {detail}"))
    return condition


def commands(script: str) -> list[list[str]]:
    """The `datasync-emulator …` invocations of a shell script, as argument lists (without the program)."""
    found = []
    joined = script.replace("\\\n", " ")
    for line in joined.splitlines():
        for part in re.split(r"[;&|]+", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                continue
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]
            if words and words[0] == "datasync-emulator":
                found.append([word for word in words[1:] if not word.startswith(">")])
    return found


class Binary:
    """What the built binary offers: subcommands and their options, read from its --help."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.help: dict[str, str] = {}

    def options(self, subcommand: str) -> set[str]:
        if subcommand not in self.help:
            output = subprocess.run([self.path, subcommand, "--help"], capture_output=True, text=True, timeout=30)
            self.help[subcommand] = output.stdout
        return set(re.findall(r"(--[a-z][a-z0-9-]*)", self.help[subcommand]))


def check_invocation(binary: Binary, arguments: list[str], where: str) -> None:
    subcommand = arguments[0] if arguments and not arguments[0].startswith("-") else "serve"
    known = binary.options(subcommand)
    if not check(bool(known), f"{where}: `datasync-emulator {subcommand}` exists", " ".join(arguments)):
        return
    used = {argument.split("=", 1)[0] for argument in arguments if argument.startswith("--")}
    unknown = sorted(used - known)
    check(not unknown, f"{where}: datasync-emulator {' '.join(arguments)} uses only options the binary has", f"unknown {unknown}")


def known_variables(binary: Binary) -> set[str]:
    """DATASYNC_EMULATOR_<FLAG> of every subcommand, plus what `env` prints."""
    names = set()
    for subcommand in ("serve", "ca", "env", "health"):
        names |= {"DATASYNC_EMULATOR_" + option[2:].upper().replace("-", "_") for option in binary.options(subcommand)}
    printed = subprocess.run([binary.path, "env", "--format", "dotenv"], capture_output=True, text=True, timeout=30)
    names |= {line.split("=", 1)[0] for line in printed.stdout.splitlines() if "=" in line}
    return names


def check_github(path: Path, document: dict, arguments: argparse.Namespace, binary: Binary) -> None:
    where = path.name
    steps = [step for job in document["jobs"].values() for step in job["steps"]]
    scripts = [step["run"] for step in steps if "run" in step]
    for script in scripts:
        for invocation in commands(script):
            check_invocation(binary, invocation, where)
    environment = {key: str(value) for key, value in document.get("env", {}).items()}
    version = environment.get("DATASYNC_EMULATOR_VERSION")
    check(version == arguments.version, f"{where}: pins the version that was built ({arguments.version})", str(version))
    everything = "\n".join(scripts).replace("$DATASYNC_EMULATOR_VERSION", arguments.version)
    check(arguments.tarball in everything, f"{where}: downloads {arguments.tarball}")
    check(arguments.wheel in everything, f"{where}: installs {arguments.wheel}")
    check(any("listening on" in script for script in scripts), f"{where}: waits for the readiness line")
    check(any(re.search(r"\bpytest\b", script) and "pip install" not in script for script in scripts), f"{where}: runs pytest")

    # Run the install and start steps for real, against the tarball that was built.
    install = next(step for step in steps if "tar -xzf" in step.get("run", ""))
    start = next(step for step in steps if "listening on" in step.get("run", ""))
    with tempfile.TemporaryDirectory(prefix="github-actions.") as workspace:
        github_env = Path(workspace) / "github_env"
        github_path = Path(workspace) / "github_path"
        shell_environment = dict(os.environ, **environment, GITHUB_ENV=str(github_env), GITHUB_PATH=str(github_path))
        shell_environment = {k: v for k, v in shell_environment.items() if not k.startswith("DATASYNC_EMULATOR_") or k in environment}
        local_install = re.sub(r"^curl .*$", f"cp {shlex.quote(str(Path(arguments.dist) / arguments.tarball))} .", install["run"], flags=re.M)
        ran = subprocess.run(["bash", "-euo", "pipefail", "-c", local_install], cwd=workspace, env=shell_environment,
                             capture_output=True, text=True, timeout=120)
        if not check(ran.returncode == 0, f"{where}: the install step unpacks the tarball and adds it to PATH", ran.stderr[-500:]):
            return
        shell_environment["PATH"] = github_path.read_text().strip() + os.pathsep + shell_environment["PATH"]
        # The background emulator gets its own process group, so that it is stopped with the check.
        started = subprocess.Popen(["bash", "-euo", "pipefail", "-c", start["run"] + "\nwait"], cwd=workspace,
                                   env=shell_environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
        try:
            for _ in range(600):
                if github_env.exists() and "AZURE_TENANT_ID" in github_env.read_text():
                    break
                if started.poll() is not None:
                    break
                subprocess.run(["sleep", "0.1"])
            exported = dict(line.split("=", 1) for line in github_env.read_text().splitlines()) if github_env.exists() else {}
            check("DATASYNC_EMULATOR_URL" in exported and "REQUESTS_CA_BUNDLE" in exported,
                  f"{where}: the start step runs here and appends the emulator's address and CA to $GITHUB_ENV",
                  (started.stdout.read() if started.poll() is not None else "")[-500:])
            if exported:
                health = subprocess.run(
                    [binary.path, "health", "--url", exported["DATASYNC_EMULATOR_URL"], "--ca-file", exported["DATASYNC_EMULATOR_CA_FILE"]],
                    capture_output=True, text=True, timeout=30)
                check(health.returncode == 0, f"{where}: the exported URL and CA reach the emulator the step started", health.stderr)
        finally:
            os.killpg(started.pid, signal.SIGTERM)
            started.wait(timeout=30)


def check_gitlab(path: Path, document: dict, arguments: argparse.Namespace, binary: Binary, image: dict) -> None:
    where = path.name
    jobs = [job for name, job in document.items() if isinstance(job, dict) and "script" in job]
    check(bool(jobs), f"{where}: has a job with a script")
    for job in jobs:
        for line in job["script"]:
            for invocation in commands(line):
                check_invocation(binary, invocation, where)
        service = job["services"][0]
        check(service["name"].endswith("/" + arguments.image) or service["name"] == arguments.image,
              f"{where}: the service is the image that was built ({arguments.image})", service["name"])
        check_invocation(binary, service.get("command", []), f"{where} service command")
        config = image["Docker"]["config"]
        entrypoint_env = dict(item.split("=", 1) for item in config.get("Env", []))
        url = job["variables"]["DATASYNC_EMULATOR_URL"]
        scheme = "https" if entrypoint_env.get("DATASYNC_EMULATOR_HTTPS") == "1" else "http"
        port = entrypoint_env.get("DATASYNC_EMULATOR_PORT")
        check(url == f"{scheme}://{service['alias']}:{port}", f"{where}: DATASYNC_EMULATOR_URL is the service's scheme, alias and port", url)
        tls_names = [service["command"][i + 1] for i, word in enumerate(service.get("command", [])) if word == "--tls-name"]
        check(service["alias"] in tls_names, f"{where}: the service's certificate names its alias (--tls-name)")
        requirement = next((word for line in job["script"] for word in shlex.split(line) if word.startswith("datasync-emulator==")), "")
        check(requirement == f"datasync-emulator=={arguments.version}", f"{where}: installs the wheel's project at the built version", requirement)
        check(any(re.search(r"\bpytest\b", line) and "pip install" not in line for line in job["script"]), f"{where}: runs pytest")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--tarball", required=True)
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--image", required=True)
    parser.add_argument("--image-json", required=True)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--dist", default="dist")
    parser.add_argument("files", nargs="+")
    arguments = parser.parse_args()
    binary = Binary(arguments.binary)
    variables = known_variables(binary)
    image = json.loads(Path(arguments.image_json).read_text())
    for name in arguments.files:
        path = Path(name)
        try:
            document = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            check(False, f"{path.name} parses as YAML", str(error))
            continue
        check(isinstance(document, dict), f"{path.name} parses as YAML")
        used = set(re.findall(r"\bDATASYNC_EMULATOR_[A-Z_]+\b", path.read_text()))
        unknown = sorted(used - variables - {"DATASYNC_EMULATOR_VERSION", "DATASYNC_EMULATOR_RELEASE"})
        check(not unknown, f"{path.name}: every DATASYNC_EMULATOR_* variable is one the emulator reads or prints", str(unknown))
        if "jobs" in document:
            check_github(path, document, arguments, binary)
        else:
            check_gitlab(path, document, arguments, binary, image)
    print(f"check-ci-examples: {results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
