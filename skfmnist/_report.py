"""A self-contained HTML page of an evaluation: metrics, the per-class table and the plots."""

import base64
import html
from pathlib import Path

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.big { font-size: 2em; font-weight: bold; }
"""


def _image_tag(path):
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(Path(path).stem)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{html.escape(Path(path).stem)}'
            "</figcaption></figure>")


def write_report(path, metrics, report_text, images):
    """Write ``path``: one HTML file with every image embedded (no other files needed)."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{scores['precision']:.4f}</td>"
        f"<td>{scores['recall']:.4f}</td><td>{scores['f1-score']:.4f}</td>"
        f"<td>{int(scores['support'])}</td></tr>"
        for name, scores in metrics["per_class"].items()
    )
    fit = (f"<p>Fit time: {metrics['fit_seconds']:.1f} s</p>"
           if metrics.get("fit_seconds") is not None else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>skfmnist report</title>
<style>{_STYLE}</style></head><body>
<h1>skfmnist evaluation</h1>
<p>Test accuracy on {metrics['n_test']:,} images:</p><p class="big">{metrics['accuracy']:.4f}</p>
{fit}
<h2>Per class</h2>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{rows}</table>
<h2>Plots</h2>
{''.join(_image_tag(image) for image in images)}
<h2>Classification report</h2><pre>{html.escape(report_text)}</pre>
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")
