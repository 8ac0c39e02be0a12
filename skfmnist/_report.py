"""A self-contained HTML page of an evaluation: metrics, the per-class table, the plots, and what
produced them (the estimator and its parameters, the training size, the machine, the versions and
the time)."""

import base64
import html
import os
import platform
import re
from datetime import datetime
from pathlib import Path

from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_html_repr

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
table.params td { text-align: left; font-family: monospace; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.big { font-size: 2em; font-weight: bold; }
"""

# scikit-learn's diagram links each estimator and parameter to its online documentation; the
# page must work offline and load nothing from elsewhere, so the links lose their targets.
_EXTERNAL_LINK = re.compile(r"""\shref=["']https?://[^"']*["']""")


def _image_tag(path):
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(Path(path).stem)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{html.escape(Path(path).stem)}'
            "</figcaption></figure>")


def cpu_model():
    """The processor's name from /proc/cpuinfo (Linux), else what :mod:`platform` knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    return platform.processor() or platform.machine()


def _steps(estimator):
    if isinstance(estimator, Pipeline):
        return estimator.steps
    return [(type(estimator).__name__.lower(), estimator)]


def _parameter_table(estimator):
    """Every step's own parameters, named as ``set_params`` takes them."""
    rows = "".join(
        f"<tr><td>{html.escape(f'{name}__{key}')}</td><td>{html.escape(repr(value))}</td></tr>"
        for name, step in _steps(estimator)
        for key, value in sorted(step.get_params(deep=False).items())
    )
    return f'<table class="params"><tr><th>parameter</th><th>value</th></tr>{rows}</table>'


def _provenance(estimator, n_train):
    """What produced the evaluation, as (label, value) pairs."""
    from ._persistence import library_versions

    model = " → ".join(type(step).__name__ for _, step in _steps(estimator))
    machine = f"{cpu_model()} ({os.cpu_count()} logical CPUs), {platform.platform()}"
    trained_on = (f"{n_train:,} images" if n_train is not None
                  else "not recorded beside the model file")
    versions = ", ".join(f"{name} {version}" for name, version in library_versions().items())
    written = datetime.now().astimezone().isoformat(timespec="seconds")
    return [("Model", model), ("Trained on", trained_on), ("Machine", machine),
            ("Versions", versions), ("Written", written)]


def _provenance_html(estimator, n_train):
    rows = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                   for label, value in _provenance(estimator, n_train))
    diagram = _EXTERNAL_LINK.sub("", estimator_html_repr(estimator))
    return (f'<h2>What produced it</h2><table class="params">{rows}</table>\n{diagram}\n'
            f"<h3>Parameters</h3>{_parameter_table(estimator)}")


def write_report(path, metrics, report_text, images, estimator):
    """Write ``path``: one HTML file with every image embedded (no other files needed).

    ``estimator`` is the fitted model (a pipeline or an estimator) that made the predictions;
    ``metrics`` may hold ``n_train``, the number of training images.
    """
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{scores['precision']:.4f}</td>"
        f"<td>{scores['recall']:.4f}</td><td>{scores['f1-score']:.4f}</td>"
        f"<td>{int(scores['support'])}</td></tr>"
        for name, scores in metrics["per_class"].items()
    )
    fit = (f"<p>Fit time: {metrics['fit_seconds']:.1f} s</p>"
           if metrics.get("fit_seconds") is not None else "")
    ece = metrics.get("expected_calibration_error")
    calibration = (f"<p>Expected calibration error (top-1 confidence): {ece:.4f}</p>"
                   if ece is not None else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>skfmnist report</title>
<style>{_STYLE}</style></head><body>
<h1>skfmnist evaluation</h1>
<p>Test accuracy on {metrics['n_test']:,} images:</p><p class="big">{metrics['accuracy']:.4f}</p>
{fit}{calibration}
<h2>Per class</h2>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{rows}</table>
<h2>Plots</h2>
{''.join(_image_tag(image) for image in images)}
<h2>Classification report</h2><pre>{html.escape(report_text)}</pre>
{_provenance_html(estimator, metrics.get("n_train"))}
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")
