"""Marks the wheel as platform-specific: it carries a Linux executable, so it is not `py3-none-any`.

The platform tag comes from DATASYNC_EMULATOR_WHEEL_PLATFORM (scripts/package.sh reads the newest glibc
symbol version the binary needs, e.g. `manylinux_2_34_x86_64`); `auditwheel show` checks it afterwards.
"""

import os

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PlatformWheelHook(BuildHookInterface):
    def initialize(self, version, build_data):
        platform = os.environ.get("DATASYNC_EMULATOR_WHEEL_PLATFORM")
        if not platform:
            raise RuntimeError("set DATASYNC_EMULATOR_WHEEL_PLATFORM (scripts/package.sh does)")
        binary = os.path.join(self.root, "src", "datasync_emulator", "bin", "datasync-emulator")
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"no executable at {binary} (scripts/package.sh copies the release build there)")
        build_data["pure_python"] = False
        build_data["tag"] = f"py3-none-{platform}"
