# Sourced by scripts/demo, scripts/test and scripts/install-deps from the
# top of the checkout: where the virtual environment is, and how a step
# that fails stops the script.
#
# Python packages go into a virtual environment in the checkout (.venv,
# ignored by git), never into the system Python: Debian's and Ubuntu's
# refuse `pip install` outside one (PEP 668), and a merchant's machine
# should not have its Python changed by a test run.
#   PAYHOOK_PYTHON  the interpreter the environment is made from
#                   (default: python3 on PATH)
#   PAYHOOK_VENV    where it lives (default: .venv in the checkout)

top=$(pwd)
VENV=${PAYHOOK_VENV:-$top/.venv}
PY=$VENV/bin/python
BASE_PYTHON=${PAYHOOK_PYTHON:-python3}
# The project's own builds turn warnings into errors (setup.py reads it).
export PAYHOOK_DEV=1

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# Put the environment first on PATH, so that everything a suite starts
# (python3 in a shell script, pytest's subprocesses) is the same Python.
use_venv() {
    [ -x "$PY" ] || die "$VENV is missing: run scripts/install-deps first"
    export VIRTUAL_ENV=$VENV
    export PATH=$VENV/bin:$PATH
    unset PYTHONHOME
}
