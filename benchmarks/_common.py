"""What every benchmark reports: the machine, the library versions, and its result tables."""

import json
import os
import platform
import resource
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


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
