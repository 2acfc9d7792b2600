#!/usr/bin/env bash
# The packaging test: builds dist/ with scripts/package.sh, then uses each artefact as a user without Swift
# would, on this machine:
#   tarball  unpacked into a minimal Debian root (mmdebstrap, cached under ~/.cache/datasync-emulator/roots)
#            that has no Swift and no SQLite; in that chroot the emulator prints its readiness line and the
#            REST how-to walkthrough (scripts/demo.sh, with the chroot's curl) moves the rows
#   image    its configuration (entrypoint, 0.0.0.0:10880, /data, non-root user, HEALTHCHECK); then run with
#            `buildah run`: the readiness line, the warning about listening beyond loopback, the walkthrough
#            over HTTPS trusting the CA it made in /data, and its health check command
#   wheel    auditwheel's verdict; a fresh venv with no Swift on PATH, `pip install` of the wheel with
#            azure-mgmt-sql and azure-identity, then `pytest examples/pytest`
#   CI       examples/ci/*.yml parsed, and every command they run checked against what the artefacts provide
# Needs root (chroot, buildah). The last line is `package-check: N passed, M failed`.
#
#   scripts/package-check.sh             build, then check
#   scripts/package-check.sh --no-build  check the dist/ already there
#   scripts/package-check.sh --measure   build, check, then print the numbers of BENCHMARKS.md's packaging section
#                                        (scripts/package_measure.py; also kept in artifacts/package-measure.md)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/checks.sh
source "$repo/scripts/lib/checks.sh"
# shellcheck source=lib/emulator.sh
source "$repo/scripts/lib/emulator.sh"
# shellcheck source=lib/packaging.sh
source "$repo/scripts/lib/packaging.sh"
# shellcheck source=lib/python.sh
source "$repo/scripts/lib/python.sh"

build=true
measure=false
for argument in "$@"; do
    case "$argument" in
        --no-build) build=false ;;
        --measure) measure=true ;;
        *) echo "usage: scripts/package-check.sh [--no-build] [--measure]" >&2; exit 2 ;;
    esac
done

begin_work package-check
chroot_run=""
container=""
before_exit() {
    [[ -n "$container" ]] && project_buildah rm "$container" >/dev/null 2>&1
    [[ -n "$chroot_run" ]] && rm -rf "$chroot_run"
    return 0
}

if $build; then
    scripts/package.sh || fatal "scripts/package.sh builds dist/"
fi

version="$(package_version)"
arch="$(uname -m)"
tarball="dist/datasync-emulator-$version-linux-$arch.tar.gz"
image_archive="dist/datasync-emulator-$version-image-$arch.tar"
image="localhost/datasync-emulator:$version"
wheels=(dist/datasync_emulator-"$version"-py3-none-manylinux_*_"$arch".whl)
wheel="${wheels[0]}"

# --- the artefacts and their checksums -------------------------------------------------------------
for artefact in "$tarball" "$wheel" "$image_archive"; do
    [[ -f "$artefact" ]] || fatal "scripts/package.sh made $artefact"
done
if (cd dist && sha256sum --quiet -c SHA256SUMS); then
    ok "dist/SHA256SUMS lists the tarball, the wheel and the image, and they match it"
else
    not_ok "dist/SHA256SUMS matches the artefacts"
fi
[[ "$(wc -l <dist/SHA256SUMS)" -eq 3 ]] && ok "SHA256SUMS has three entries" || not_ok "SHA256SUMS has three entries"

# verify_walkthrough LOG: the output of scripts/demo.sh shows every call answered below 400 and the three
# customers in the member after the sync.
verify_walkthrough() {
    local log="$1" what="$2"
    if grep -E -- '-> HTTP/[0-9.]+ [45][0-9][0-9]' "$log"; then
        not_ok "$what: every call of the walkthrough succeeds"
    else
        ok "$what: every call of the walkthrough succeeds ($(grep -c -- '-> HTTP' "$log") answers)"
    fi
    local member_rows='{"columns":["CustomerId","Name"],"rows":[[1,"Ada Lovelace"],[2,"Grace Hopper"],[3,"Margaret Hamilton"]]}'
    if [[ "$(grep -c -F "$member_rows" "$log")" -eq 2 ]]; then
        ok "$what: after the sync the hub and the member hold the same three customers"
    else
        not_ok "$what: after the sync the hub and the member hold the same three customers"
        tail -n 20 "$log"
    fi
}

# --- the tarball, in a Debian root without Swift ----------------------------------------------------
root="$(debian_root)" || fatal "a minimal Debian root from mmdebstrap"
if [[ -z "$(find "$root" -name 'libswiftCore*' -o -name 'swift' -type f -o -name 'libsqlite3*' | head -n 1)" ]]; then
    ok "the Debian root ($root) holds no Swift and no SQLite library"
else
    not_ok "the Debian root holds no Swift and no SQLite library"
fi
chroot_run="$(mktemp -d "$root/tmp/package-check.XXXXXX")"
inside="${chroot_run#"$root"}"
tar -C "$chroot_run" -xzf "$tarball"
unpacked="datasync-emulator-$version-linux-$arch"
if [[ -x "$chroot_run/$unpacked/datasync-emulator" && -f "$chroot_run/$unpacked/README.md" && -f "$chroot_run/$unpacked/LICENSE" ]]; then
    ok "the tarball holds $unpacked/{datasync-emulator,README.md,LICENSE}"
else
    not_ok "the tarball holds $unpacked/{datasync-emulator,README.md,LICENSE}"
fi
emulator_in_root="$inside/$unpacked/datasync-emulator"
if in_root "$root" ldd "$emulator_in_root" >"$work/ldd.txt" 2>&1 && ! grep -q 'not found' "$work/ldd.txt"; then
    ok "in the chroot every library the binary loads is there: $(awk '{print $1}' "$work/ldd.txt" | tr '\n' ' ')"
else
    not_ok "in the chroot every library the binary loads is there"
    cat "$work/ldd.txt"
fi
reported="$(in_root "$root" "$emulator_in_root" --version 2>&1 || true)"
[[ "$reported" == "$version" ]] && ok "in the chroot, datasync-emulator --version prints $version" ||
    not_ok "in the chroot, datasync-emulator --version prints $version (got: $reported)"

mkdir -p "$chroot_run/scripts"
cp scripts/demo.sh "$chroot_run/scripts/"
cp -r fixtures "$chroot_run/"
launch "$work/chroot.out" "$work/chroot.err" "${in_root_prefix[@]}" "$root" "$emulator_in_root" --port 0 --data-dir "$inside/data"
chroot_pid=$launched_pid
if await_readiness "$chroot_pid" "$work/chroot.out" 30; then
    line="$(head -n 1 "$work/chroot.out")"
    ok "in the chroot the emulator prints its readiness line: $line"
    url="${line#datasync-emulator listening on }"
    if in_root "$root" bash "$inside/scripts/demo.sh" "$url" >"$work/chroot-walkthrough.log" 2>&1; then
        verify_walkthrough "$work/chroot-walkthrough.log" "tarball in the chroot"
    else
        not_ok "in the chroot scripts/demo.sh runs to its end"
        tail -n 20 "$work/chroot-walkthrough.log"
    fi
    [[ -f "$chroot_run/data/state.sqlite" ]] && ok "in the chroot the state is a SQLite file in --data-dir" ||
        not_ok "in the chroot the state is a SQLite file in --data-dir"
else
    not_ok "in the chroot the emulator prints its readiness line"
    tail -n 20 "$work/chroot.err"
fi
stop_pid "$chroot_pid"
rm -rf "$chroot_run"
chroot_run=""

# --- the image --------------------------------------------------------------------------------------
if project_buildah inspect --type image "$image" >"$work/image.json" 2>"$work/image.err"; then
    ok "the image $image is in buildah's storage"
    while IFS= read -r result; do
        if [[ "$result" == ok* ]]; then ok "${result#ok }"; else not_ok "${result#not_ok }"; fi
    done < <(python3 - "$work/image.json" "$image_health_url" "$image_user_id" <<'PYTHON'
import json, sys
image = json.load(open(sys.argv[1]))
config = image["Docker"]["config"]
health = image["Docker"]["config"].get("Healthcheck") or {}
environment = dict(item.split("=", 1) for item in config.get("Env", []))
checks = [
    (config.get("Entrypoint") == ["/usr/bin/datasync-emulator"], "the image's entrypoint is /usr/bin/datasync-emulator"),
    (environment.get("DATASYNC_EMULATOR_HOST") == "0.0.0.0" and environment.get("DATASYNC_EMULATOR_PORT") == "10880",
     "the image listens on 0.0.0.0:10880 (DATASYNC_EMULATOR_HOST, DATASYNC_EMULATOR_PORT)"),
    (environment.get("DATASYNC_EMULATOR_DATA_DIR") == "/data" and "/data" in (config.get("Volumes") or {}),
     "the image keeps its state in the /data volume"),
    ("10880/tcp" in (config.get("ExposedPorts") or {}), "the image exposes 10880/tcp"),
    (config.get("User") == f"{sys.argv[3]}:{sys.argv[3]}", f"the image runs as the non-root user {sys.argv[3]}"),
    (health.get("Test", [None])[0] == "CMD" and health.get("Test", [])[1:3] == ["/usr/bin/datasync-emulator", "health"]
     and sys.argv[2] in health.get("Test", []),
     "the image has a HEALTHCHECK on /_emulator/health (kept: docker format)"),
    (image["Docker"]["os"] == "linux" and len(image["Docker"]["rootfs"]["diff_ids"]) == 1,
     "the image is one layer, FROM scratch"),
]
for passed, what in checks:
    print(("ok " if passed else "not_ok ") + what)
PYTHON
    )
else
    not_ok "the image $image is in buildah's storage: $(cat "$work/image.err")"
fi
health_command="$(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["Docker"]["config"]["Healthcheck"]["Test"][1:]))' "$work/image.json" 2>/dev/null || true)"

project_buildah rm package-check-image >/dev/null 2>&1 || true
container="$(project_buildah from --name package-check-image "$image")"
# The default port would collide with an emulator already running here: this run picks a free one.
launch "$work/image.out" "$work/image.err" buildah "${buildah_storage[@]}" run --isolation chroot \
    --env DATASYNC_EMULATOR_PORT=0 "$container" -- /usr/bin/datasync-emulator
image_pid=$launched_pid
if await_readiness "$image_pid" "$work/image.out" 60; then
    line="$(head -n 1 "$work/image.out")"
    ok "the image's emulator prints its readiness line: $line"
    [[ "$line" =~ ^datasync-emulator\ listening\ on\ https://0\.0\.0\.0:([0-9]+)$ ]] &&
        ok "it listens on 0.0.0.0 over HTTPS" || not_ok "it listens on 0.0.0.0 over HTTPS"
    port="${line##*:}"
    grep -q "Listening beyond loopback" "$work/image.err" &&
        ok "it warns that it listens beyond loopback" || not_ok "it warns that it listens beyond loopback"
    # /data is the volume buildah gave the container; read it as the emulator sees it.
    volume="$(container_root "$image_pid")/data" || volume=/nonexistent
    ca="$work/image-ca.pem"
    cp "$volume/tls/ca.pem" "$ca" 2>/dev/null || true
    if [[ -s "$ca" && "$(stat -c %u "$volume/state.sqlite" 2>/dev/null)" == "$image_user_id" ]]; then
        ok "it made its CA and state in /data, owned by the non-root user"
    else
        not_ok "it made its CA and state in /data, owned by the non-root user"
        ls -lR "$volume" || true
    fi
    if CURL_OPTS="--cacert $ca" scripts/demo.sh "https://127.0.0.1:$port" >"$work/image-walkthrough.log" 2>&1; then
        verify_walkthrough "$work/image-walkthrough.log" "image"
    else
        not_ok "scripts/demo.sh runs to its end against the image"
        tail -n 20 "$work/image-walkthrough.log"
    fi
    mapfile -t health_argv < <(printf '%s\n' "$health_command" | sed "s|:10880\$|:$port|")
    if [[ ${#health_argv[@]} -gt 1 ]] && project_buildah run --isolation chroot "$container" -- \
        "${health_argv[@]}" >"$work/health.log" 2>&1; then
        ok "the image's health check command passes inside the image (at this run's port): ${health_argv[*]}"
    else
        not_ok "the image's health check command passes inside the image: $(cat "$work/health.log" 2>/dev/null)"
    fi
else
    not_ok "the image's emulator prints its readiness line"
    tail -n 20 "$work/image.err"
fi
stop_pid "$image_pid"
project_buildah rm "$container" >/dev/null 2>&1 || true
container=""

# --- the wheel, in a fresh venv without Swift -------------------------------------------------------
venv="$(package_venv)"
if "$venv/bin/auditwheel" show "$wheel" >"$work/auditwheel.txt" 2>&1 &&
    grep -q "consistent with the following platform tag: \"$(basename "$wheel" .whl | sed 's/.*-py3-none-//')\"" "$work/auditwheel.txt"; then
    ok "auditwheel show confirms the wheel's tag: ${wheel##*/}"
else
    not_ok "auditwheel show confirms the wheel's tag"
    cat "$work/auditwheel.txt"
fi
while IFS= read -r result; do
    if [[ "$result" == ok* ]]; then ok "${result#ok }"; else not_ok "${result#not_ok }"; fi
done < <(python3 - "$wheel" <<'PYTHON'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
entry_points = next((zipfile.ZipFile(sys.argv[1]).read(n).decode() for n in names if n.endswith("entry_points.txt")), "")
checks = [
    ("datasync_emulator/bin/datasync-emulator" in names, "the wheel bundles the binary"),
    ("datasync-emulator = datasync_emulator:main" in entry_points, "the wheel puts datasync-emulator on PATH (console script)"),
    ("[pytest11]" in entry_points and "datasync_emulator.pytest_plugin" in entry_points, "the wheel registers its pytest plugin (pytest11)"),
]
for passed, what in checks:
    print(("ok " if passed else "not_ok ") + what)
PYTHON
)

python="$(find_python)" || fatal "a Python >= 3.10 for the venv"
user_venv="$work/user-venv"
"$python" -m venv "$user_venv"
clean_path="$user_venv/bin:/usr/local/bin:/usr/bin:/bin"
if env PATH="$clean_path" bash -c 'command -v swift' >/dev/null; then
    not_ok "the venv's PATH has no swift"
else
    ok "the venv's PATH has no swift"
fi
if env -u DATASYNC_EMULATOR_BINARY PATH="$clean_path" "$user_venv/bin/pip" install --quiet --disable-pip-version-check \
    "$wheel" -r examples/pytest/requirements.txt >"$work/pip.log" 2>&1; then
    ok "pip install of the wheel, azure-mgmt-sql and azure-identity into a fresh venv"
else
    not_ok "pip install of the wheel into a fresh venv"
    tail -n 20 "$work/pip.log"
fi
reported="$(env -u DATASYNC_EMULATOR_BINARY PATH="$clean_path" datasync-emulator --version 2>&1 || true)"
[[ "$reported" == "$version" ]] && ok "datasync-emulator on the venv's PATH prints $version" ||
    not_ok "datasync-emulator on the venv's PATH prints $version (got: $reported)"
cp -r examples/pytest "$work/user-tests"
if (cd "$work/user-tests" && env -u DATASYNC_EMULATOR_BINARY -u DATASYNC_EMULATOR_URL PATH="$clean_path" \
    timeout 600 pytest -p no:cacheprovider -q) >"$work/pytest.log" 2>&1; then
    ok "pytest examples/pytest with the wheel's plugin: $(tail -n 1 "$work/pytest.log")"
else
    not_ok "pytest examples/pytest with the wheel's plugin"
    tail -n 40 "$work/pytest.log"
fi

# --- the CI examples ----------------------------------------------------------------------------------
"$venv/bin/python" scripts/check_ci_examples.py --version "$version" --tarball "${tarball#dist/}" \
    --wheel "${wheel#dist/}" --image "datasync-emulator:$version" --image-json "$work/image.json" \
    --binary "$user_venv/bin/datasync-emulator" --dist "$repo/dist" examples/ci/github-actions.yml examples/ci/gitlab-ci.yml \
    >"$work/ci-examples.log" 2>&1 || true
cat "$work/ci-examples.log"
counts="$(sed -n 's/^check-ci-examples: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$work/ci-examples.log")"
if [[ -n "$counts" ]]; then
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
else
    not_ok "scripts/check_ci_examples.py ran to its summary"
fi

if $measure; then
    tar -C "$work" -xzf "$tarball"
    "$python" scripts/package_measure.py --tarball "$tarball" --wheel "$wheel" --image-archive "$image_archive" \
        --binary "$work/$unpacked/datasync-emulator" \
        --unstripped "${PACKAGE_SCRATCH_PATH:-.build}/release/datasync-emulator" \
        --source-build .build/debug/datasync-emulator | tee "$work/measure.md"
    mkdir -p artifacts && cp "$work/measure.md" artifacts/package-measure.md
fi

summary
((failed == 0))
