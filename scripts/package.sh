#!/usr/bin/env bash
# Builds the artefacts that run the emulator without Swift into dist/, with dist/SHA256SUMS:
#   datasync-emulator-<version>-linux-<arch>.tar.gz                  the binary, README.md, LICENSE
#   datasync_emulator-<version>-py3-none-manylinux_<glibc>_<arch>.whl the binary, `datasync-emulator` on PATH,
#                                                                     and the pytest plugin
#   datasync-emulator-<version>-image-<arch>.tar                     the container image (docker-archive),
#                                                                     also left in buildah's storage as
#                                                                     localhost/datasync-emulator:<version>
#
# The binary is a release build with --static-swift-stdlib, stripped. SQLite is linked statically too
# (Debian's libsqlite3.a), so it needs nothing but glibc (libc, libm, libstdc++ and libgcc_s, which every
# glibc system has): the wheel is then manylinux-clean for auditwheel, and the image needs no SQLite. The
# price is that a SQLite security fix needs a new release, which an emulator on loopback can afford.
#
# Needs root for the image (buildah, `--storage-driver vfs`, nothing pulled: it is FROM scratch). Python
# packages for the wheel (build, hatchling, auditwheel) go into ~/.cache/datasync-emulator/venv-package.
#
#   scripts/package.sh            build everything
#   scripts/package.sh --measure  build, then time and size the artefacts (the BENCHMARKS.md section)
# Environment: PACKAGE_SCRATCH_PATH  SwiftPM's build folder (default .build)
#              PYTHON               the Python that makes the venv (default python3)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=lib/packaging.sh
source "$repo/scripts/lib/packaging.sh"

measure=false
for argument in "$@"; do
    case "$argument" in
        --measure) measure=true ;;
        *) echo "usage: scripts/package.sh [--measure]" >&2; exit 2 ;;
    esac
done

version="$(package_version)"
arch="$(uname -m)"
scratch="${PACKAGE_SCRATCH_PATH:-.build}"
dist="$repo/dist"
stage="$dist/stage"
rm -rf "$dist"
mkdir -p "$stage"

step() { echo "package: $*"; }

# --- the release binary -------------------------------------------------------------------------
static_libs="$repo/$scratch/static-libs"
mkdir -p "$static_libs"
sqlite_archive="$(static_sqlite_archive)" || { echo "package: no libsqlite3.a (apt-get install libsqlite3-dev)" >&2; exit 1; }
# Only the archive in a folder searched first: the linker takes libsqlite3.a instead of the .so.
ln -sf "$sqlite_archive" "$static_libs/libsqlite3.a"
step "swift build -c release --static-swift-stdlib (SQLite static)"
started=$SECONDS
swift build -c release --scratch-path "$scratch" --product datasync-emulator --static-swift-stdlib \
    -Xlinker -L"$static_libs"
step "release build took $((SECONDS - started)) s"
binary="$stage/datasync-emulator"
cp "$repo/$scratch/release/datasync-emulator" "$binary"
strip "$binary"
check_dependencies "$binary"

# --- the tarball ----------------------------------------------------------------------------------
tarball_name="datasync-emulator-$version-linux-$arch"
mkdir -p "$stage/$tarball_name"
cp "$binary" README.md LICENSE "$stage/$tarball_name/"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$dist/$tarball_name.tar.gz" "$tarball_name"
step "dist/$tarball_name.tar.gz"

# --- the wheel ------------------------------------------------------------------------------------
venv="$(package_venv)"
wheel_source="$stage/python"
cp -r packaging/python "$wheel_source"
cp LICENSE "$wheel_source/"
mkdir -p "$wheel_source/src/datasync_emulator/bin"
cp "$binary" "$wheel_source/src/datasync_emulator/bin/"
platform="$(manylinux_platform "$binary")"
DATASYNC_EMULATOR_PACKAGE_VERSION="$version" DATASYNC_EMULATOR_WHEEL_PLATFORM="$platform" \
    "$venv/bin/python" -m build --wheel --no-isolation --outdir "$dist" "$wheel_source" >"$stage/wheel.log" 2>&1 ||
    { cat "$stage/wheel.log"; exit 1; }
wheel="$dist/datasync_emulator-$version-py3-none-$platform.whl"
[[ -f "$wheel" ]] || { echo "package: python -m build made $(ls "$dist"/*.whl), not $wheel" >&2; exit 1; }
"$venv/bin/auditwheel" show "$wheel" | tee "$stage/auditwheel.txt"
grep -q "consistent with the following platform tag: \"$platform\"" "$stage/auditwheel.txt" ||
    { echo "package: auditwheel does not confirm $platform" >&2; exit 1; }
step "dist/${wheel##*/}"

# --- the container image ----------------------------------------------------------------------------
image_root="$stage/image-root"
make_image_root "$binary" "$image_root"
image="localhost/datasync-emulator:$version"
build_image "$image_root" "$image" "$dist/datasync-emulator-$version-image-$arch.tar"
step "dist/datasync-emulator-$version-image-$arch.tar ($image)"

rm -rf "$stage"
(cd "$dist" && sha256sum -- *.tar.gz *.whl *.tar >SHA256SUMS)
step "dist/SHA256SUMS"
cat "$dist/SHA256SUMS"

if $measure; then
    "$repo/scripts/package-check.sh" --no-build --measure
fi
