"""What every benchmark reports: the machine, the library versions, and its result tables."""

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the checkout
RESULTS = ROOT / "benchmarks" / "results"


def machine():
    """The CPU as cpuinfo names it, plus what tells two "AMD EPYC"s apart: family/model and the
    widest vector extension (this benchmark's CNN epochs took more than twice as long on an AVX2
    EPYC as on an AVX-512 one, both reporting "AMD EPYC", 2 cores)."""
    fields = cpuinfo()
    flags = set(fields.get("flags", "").split())
    return {
        "cpu": fields.get("model name", platform.processor() or platform.machine()),
        "cpu_id": f"{fields.get('vendor_id', '?')} family {fields.get('cpu family', '?')} "
                  f"model {fields.get('model', '?')}",
        "vector_isa": vector_isa(flags),
        "cores": os.cpu_count(),
        "system": platform.platform(),
    }


def vector_isa(flags):
    for flag, name in [("amx_tile", "AMX"), ("avx512_bf16", "AVX-512 BF16"),
                       ("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")]:
        if flag in flags:
            return name
    return "SSE or none"


def cpuinfo():
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    fields = {}
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return fields
    for line in lines:
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def versions():
    from skfmnist._persistence import library_versions

    return library_versions()


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_split(n_train=None, toy=False):
    """Training and test images and labels: the first ``n_train`` of Fashion-MNIST's 60,000
    training images (all of them for None) and its 10,000 test images, or with ``toy`` 200 and
    100 random 28x28 images of three classes, whatever ``n_train``, that check a benchmark's
    plumbing in seconds without the dataset; their accuracies are chance."""
    if toy:
        import numpy as np

        images = np.random.default_rng(0).integers(0, 256, size=(300, 784), dtype=np.uint8)
        labels = np.arange(300) % 3
        return images[:200], labels[:200], images[200:], labels[200:]
    from skfmnist import fetch_fashion_mnist

    X_train, y_train = fetch_fashion_mnist(subset="train", return_X_y=True)
    X_test, y_test = fetch_fashion_mnist(subset="test", return_X_y=True)
    return X_train[:n_train], y_train[:n_train], X_test, y_test


def start_worker(function, env=None, **kwargs):
    """Start ``function(**kwargs)`` in a fresh Python process (``benchmarks._worker``), so
    that memory and TensorFlow's process-wide state (threads, policies, seeds) do not leak
    between measurements; ``kwargs`` must be JSON values. ``env``: variables added to this
    process's environment. :func:`worker_result` waits for the result."""
    module = function.__module__
    if module == "__main__":  # a script run as ``python -m benchmarks.x``
        module = sys.modules["__main__"].__spec__.name
    command = [sys.executable, "-m", "benchmarks._worker", module, function.__name__,
               json.dumps(kwargs)]
    # From the checkout's root, so that the child imports this checkout's benchmarks.
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})


def worker_result(process):
    """The value the worker started by :func:`start_worker` returned; its error output if it
    failed."""
    stdout, stderr = process.communicate()
    if process.returncode:
        raise RuntimeError(f"benchmark worker {process.args[3:5]} failed with exit status "
                           f"{process.returncode}:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def call_worker(function, env=None, **kwargs):
    """``function(**kwargs)`` run in a fresh Python process (see :func:`start_worker`)."""
    return worker_result(start_worker(function, env, **kwargs))


def write_results(name, title, columns, rows, notes=(), out_dir=RESULTS):
    """Write ``<out_dir>/<name>.json`` and ``<out_dir>/<name>.md``; return the Markdown."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = {"machine": machine(), "versions": versions(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (out_dir / f"{name}.json").write_text(json.dumps({**info, "rows": rows}, indent=2) + "\n")
    lines = [f"### {title}", "",
             "| " + " | ".join(label for _, label in columns) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |")
    cpu = info["machine"]
    lines += ["", f"Machine: {cpu['cpu']} ({cpu['cpu_id']}, {cpu['vector_isa']}), "
              f"{cpu['cores']} cores; "
              f"{info['date']}; " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())]
    lines += [f"{note}" for note in notes]
    markdown = "\n".join(lines) + "\n"
    (out_dir / f"{name}.md").write_text(markdown)
    return markdown


def _cell(value):
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return "" if value is None else str(value)
