# Sourced by scripts/package.sh and scripts/package-check.sh: the version, the dependency rules of the
# packaged binary, the Python venv that builds the wheel, the container image and the Debian root.
# shellcheck shell=bash

packaging_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
packaging_cache="${XDG_CACHE_HOME:-$HOME/.cache}/datasync-emulator"

# package_version: the emulator's version, as the binary reports it (`emulatorVersion`).
package_version() {
    sed -n 's/^public let emulatorVersion = "\(.*\)"$/\1/p' "$packaging_repo/Sources/DataSyncHTTP/EmulatorConfiguration.swift"
}

# static_sqlite_archive: the path of Debian's libsqlite3.a (from libsqlite3-dev).
static_sqlite_archive() {
    local archive
    archive="$(gcc -print-file-name=libsqlite3.a 2>/dev/null)"
    [[ "$archive" == /* && -f "$archive" ]] && echo "$archive"
}

# needed_libraries BINARY: the sonames BINARY loads, one a line (from ldd, without the vDSO).
needed_libraries() {
    ldd "$1" | awk '$1 !~ /^linux-vdso/ { n = split($1, parts, "/"); print parts[n] }'
}

# check_dependencies BINARY: fails unless BINARY needs only glibc, libstdc++ and libgcc_s: no Swift runtime,
# no SQLite, no libcurl or libxml2 (FoundationNetworking, FoundationXML).
check_dependencies() {
    local library unexpected=()
    while read -r library; do
        case "$library" in
            libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libutil.so.* | ld-linux*.so.*) ;;
            libstdc++.so.* | libgcc_s.so.*) ;;
            *) unexpected+=("$library") ;;
        esac
    done < <(needed_libraries "$1")
    if ((${#unexpected[@]})); then
        echo "package: $1 needs more than glibc, libstdc++ and libgcc_s: ${unexpected[*]}" >&2
        return 1
    fi
}

# manylinux_platform BINARY: the wheel platform tag BINARY's newest glibc symbol version allows,
# e.g. manylinux_2_34_x86_64.
manylinux_platform() {
    local newest
    newest="$(objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)"
    echo "manylinux_${newest//./_}_$(uname -m)"
}

# package_venv: prints the path of the venv that builds and checks the wheel (made when missing).
package_venv() {
    local venv="$packaging_cache/venv-package" requirements="$packaging_repo/scripts/requirements-package.txt"
    # shellcheck source=python.sh
    source "$packaging_repo/scripts/lib/python.sh"
    check_name=package
    fatal() { echo "package: $*" >&2; exit 1; }
    prepare_venv "$venv" "$requirements" "${TMPDIR:-/tmp}/venv-package.log" "a Python >= 3.10 is needed to build the wheel" >&2
    echo "$venv"
}

# The image's user: not root, with its home and state in the /data volume.
image_user_id=10880
# The health check the image runs (`datasync-emulator health`: the image has no curl), against its default
# port, trusting the CA the emulator made in /data (DATASYNC_EMULATOR_DATA_DIR).
image_health_url="https://127.0.0.1:10880"

# copy_with_libraries FILE ROOT [TARGET]: copies FILE to ROOT/TARGET (default: its own path) and every
# library ldd says it loads into ROOT, at their paths.
copy_with_libraries() {
    local file="$1" root="$2" target="${3:-$1}" library
    install -D -m 0755 "$file" "$root$target"
    for library in $(ldd "$file" | grep -o '/[^ ]*'); do
        install -D -m 0755 "$(readlink -f "$library")" "$root$library"
    done
}

# make_image_root BINARY ROOT: the image's file system, from scratch: the emulator and exactly the libraries
# it needs, the CA certificates, a passwd entry for the emulator user, /data and /tmp.
make_image_root() {
    local binary="$1" root="$2"
    rm -rf "$root"
    mkdir -p "$root/usr/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/data"
    copy_with_libraries "$binary" "$root" /usr/bin/datasync-emulator
    install -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nemulator:x:%s:%s:datasync-emulator:/data:/sbin/nologin\n' \
        "$image_user_id" "$image_user_id" >"$root/etc/passwd"
    printf 'root:x:0:\nemulator:x:%s:\n' "$image_user_id" >"$root/etc/group"
    chmod 1777 "$root/tmp"
    chown "$image_user_id:$image_user_id" "$root/data"
    chmod 0750 "$root/data"
}

# buildah with this project's own storage (vfs: no overlay or fuse needed) under the cache. Run it in the
# background as `buildah "${buildah_storage[@]}" run …`, not through the function, so that its PID is
# buildah's own: TERM to buildah stops the container's process too.
buildah_storage=(--root "$packaging_cache/containers/storage" --runroot "$packaging_cache/containers/run" --storage-driver vfs)
project_buildah() {
    buildah "${buildah_storage[@]}" "$@"
}

# container_root BUILDAH_PID: the root, as /proc shows it, of the emulator that `buildah run` (BUILDAH_PID)
# started: where its /data volume can be read from this side.
container_root() {
    local pid ancestor
    for pid in $(pgrep -f '^/usr/bin/datasync-emulator'); do
        ancestor="$pid"
        while [[ -n "$ancestor" && "$ancestor" -gt 1 ]]; do
            if [[ "$ancestor" == "$1" ]]; then
                echo "/proc/$pid/root"
                return 0
            fi
            ancestor="$(awk '/^PPid:/ { print $2 }' "/proc/$ancestor/status" 2>/dev/null)"
        done
    done
    return 1
}

# in_root ROOT COMMAND...: runs COMMAND chrooted into ROOT with /proc mounted (as on any running system; the
# Swift runtime reads the command line from /proc/self/cmdline), in a mount namespace of its own. Every step
# execs the next, so in the background its PID is COMMAND's own (launch "${in_root_prefix[@]}" ROOT …).
in_root_prefix=(unshare --mount --propagation private -- bash -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"')
in_root() {
    "${in_root_prefix[@]}" "$@"
}

# build_image ROOT IMAGE ARCHIVE: commits ROOT as IMAGE (docker format, which keeps HEALTHCHECK; OCI drops
# it) and writes it to ARCHIVE as a docker-archive that `docker load` reads.
build_image() {
    local root="$1" image="$2" archive="$3" container mount
    project_buildah rmi -f "$image" >/dev/null 2>&1 || true
    project_buildah rm datasync-emulator-build >/dev/null 2>&1 || true
    container="$(project_buildah from --name datasync-emulator-build scratch)"
    mount="$(project_buildah mount "$container")"
    cp -a "$root/." "$mount/"
    project_buildah umount "$container" >/dev/null
    project_buildah config \
        --entrypoint '["/usr/bin/datasync-emulator"]' --cmd '' \
        --env DATASYNC_EMULATOR_HOST=0.0.0.0 --env DATASYNC_EMULATOR_PORT=10880 \
        --env DATASYNC_EMULATOR_DATA_DIR=/data --env DATASYNC_EMULATOR_HTTPS=1 \
        --port 10880/tcp --volume /data --workingdir /data --user "$image_user_id:$image_user_id" \
        --healthcheck "CMD /usr/bin/datasync-emulator health --url $image_health_url" \
        --healthcheck-interval 10s --healthcheck-timeout 3s --healthcheck-start-period 5s --healthcheck-retries 3 \
        --label org.opencontainers.image.title=datasync-emulator \
        --label org.opencontainers.image.description="A local emulator of the Azure SQL Data Sync management REST API" \
        --label org.opencontainers.image.version="$(package_version)" \
        --label org.opencontainers.image.licenses=MIT \
        "$container"
    project_buildah commit --quiet --format docker --rm "$container" "$image" >/dev/null
    rm -f "$archive"
    project_buildah push --quiet "$image" "docker-archive:$archive:datasync-emulator:$(package_version)"
}

# debian_root: prints the path of a minimal Debian root (minbase, plus curl for the walkthrough), made once
# with mmdebstrap and cached: no Swift, no SQLite library.
debian_root() {
    local root="$packaging_cache/roots/bookworm-minbase-curl"
    if [[ ! -f "$root/.complete" ]]; then
        command -v mmdebstrap >/dev/null || { echo "package: mmdebstrap is missing (scripts/install-system-deps.sh)" >&2; return 1; }
        rm -rf "$root" "$root.tmp"
        mkdir -p "${root%/*}"
        mmdebstrap --quiet --variant=minbase --include=curl,ca-certificates bookworm "$root.tmp" >&2
        mv "$root.tmp" "$root"
        touch "$root/.complete"
    fi
    echo "$root"
}
