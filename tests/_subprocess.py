"""Run a snippet of Python in a fresh interpreter (for tests about process-wide state)."""

import os
import subprocess
import sys
import textwrap


def run_python(code, timeout=300, env=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=timeout, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
