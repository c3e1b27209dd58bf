"""system_python.py — run this script under Debian's /usr/bin/python3 when the interpreter that
started it (a pyenv or venv python3) cannot import the modules it needs but that one can:
Debian's python3-torch and python3-numpy belong to /usr/bin/python3."""
import os
import subprocess
import sys

SYSTEM = "/usr/bin/python3"


def reexec_if_missing(modules):
    """Returns when `modules` import here; re-executes the script under /usr/bin/python3 when they
    import there; returns False when neither has them."""
    try:
        for module in modules:
            __import__(module)
        return True
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM) and os.path.exists(SYSTEM) and \
            subprocess.run([SYSTEM, "-c", "import " + ", ".join(modules)], capture_output=True).returncode == 0:
        os.execv(SYSTEM, [SYSTEM] + sys.argv)
    return False
