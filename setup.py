"""Build payhook's CPython extension against the system OpenSSL and cJSON.

Environment:
  PAYHOOK_DEV=1       the project's own builds (scripts/, CI): warnings are
                      errors (-Werror), as in the Makefile
  PAYHOOK_SANITIZE=1  build with AddressSanitizer + UBSan (for the tests);
                      implies PAYHOOK_DEV=1

A user's `pip install` never gets -Werror: CFLAGS from the environment
(say -Wconversion) add warnings, and a warning must not stop an install.
"""

import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = open(os.path.join(HERE, "VERSION")).read().strip()

# What each library needs, and the Debian package that provides it.
DEPS = {
    "libcrypto": ("openssl/evp.h", "crypto", "libssl-dev"),
    "libcjson": ("cjson/cJSON.h", "cjson", "libcjson-dev"),
}


def pkg_config(name):
    """(include dirs, library dirs, libraries) from pkg-config, or None."""
    if shutil.which("pkg-config") is None:
        return None
    try:
        cflags = subprocess.check_output(
            ["pkg-config", "--cflags", name], text=True,
            stderr=subprocess.DEVNULL).split()
        libs = subprocess.check_output(
            ["pkg-config", "--libs", name], text=True,
            stderr=subprocess.DEVNULL).split()
    except subprocess.CalledProcessError:
        return None
    return ([f[2:] for f in cflags if f.startswith("-I")],
            [f[2:] for f in libs if f.startswith("-L")],
            [f[2:] for f in libs if f.startswith("-l")])


def header_found(header, include_dirs):
    roots = include_dirs + ["/usr/include", "/usr/local/include"]
    roots += glob.glob("/usr/include/*-linux-gnu")
    return any(os.path.exists(os.path.join(r, header)) for r in roots)


include_dirs = [os.path.join("csrc")]
library_dirs = []
libraries = []
for name, (header, lib, debian) in DEPS.items():
    found = pkg_config(name)
    inc, libdirs, libs = found if found else ([], [], [lib])
    if not header_found(header, inc):
        sys.exit(f"payhook: <{header}> not found. Install the development "
                 f"package first (Debian/Ubuntu: apt-get install {debian}).")
    include_dirs += inc
    library_dirs += libdirs
    libraries += libs
libraries.append("m")

SANITIZE = os.environ.get("PAYHOOK_SANITIZE") == "1"
DEV = SANITIZE or os.environ.get("PAYHOOK_DEV") == "1"

extra_compile_args = ["-std=c11", "-Wall", "-Wextra",
                      "-Wno-missing-field-initializers",
                      "-Wno-cast-function-type"]
if DEV:
    extra_compile_args.append("-Werror")
extra_link_args = []
if SANITIZE:
    san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-fno-omit-frame-pointer"]
    extra_compile_args += san + ["-O1", "-g"]
    extra_link_args += san

sources = sorted(glob.glob("bindings/python/*.c")) + sorted(
    glob.glob("csrc/*.c"))
headers = sorted(glob.glob("bindings/python/*.h")) + sorted(
    glob.glob("csrc/*.h"))
if not sources or not headers:
    sys.exit("payhook: no C sources or headers next to setup.py "
             "(an incomplete source tree or sdist)")

setup(
    version=VERSION,
    packages=["payhook"],
    package_dir={"": "bindings/python"},
    package_data={"payhook": ["py.typed", "*.pyi"]},
    ext_modules=[
        Extension(
            "payhook._payhook",
            sources=sources,
            depends=headers,
            include_dirs=include_dirs,
            library_dirs=library_dirs,
            libraries=libraries,
            define_macros=[("PH_VERSION", f'"{VERSION}"'),
                           ("_POSIX_C_SOURCE", "200809L")],
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args,
        )
    ],
)
