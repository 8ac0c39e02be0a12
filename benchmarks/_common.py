"""What every benchmark reports: the machine, the library versions, and its result tables."""

import json
import os
import platform
import resource
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine():
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "system": platform.platform()}


def versions():
    from skfmnist.persistence import library_versions

    return library_versions()


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    lines += ["", f"Machine: {info['machine']['cpu']}, {info['machine']['cores']} cores; "
              f"{info['date']}; " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())]
    lines += [f"{note}" for note in notes]
    markdown = "\n".join(lines) + "\n"
    (out_dir / f"{name}.md").write_text(markdown)
    return markdown


def _cell(value):
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return "" if value is None else str(value)
