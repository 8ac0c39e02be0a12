"""The documentation's code runs as written."""

import re
from pathlib import Path

import pytest

from ._subprocess import run_python

pytestmark = pytest.mark.slow  # every documented snippet runs, Dask clusters and trainings included

DOCS = Path(__file__).resolve().parents[1] / "docs"


def python_blocks(page):
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


def test_scaling_page_local_cluster_snippet_runs(tmp_path):
    pytest.importorskip("distributed")
    snippet = python_blocks("scaling.md")[0]
    script = tmp_path / "search.py"  # a file, as a user would run it (workers re-import it)
    script.write_text(snippet)
    output = run_python(f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')")
    assert re.search(r"\{'fashioncnn__batch_norm': (True|False), 'fashioncnn__kernel_size': "
                     r"[35]\} 0\.\d+", output)


def test_serving_page_snippets_run_in_order(tmp_path):
    pytest.importorskip("mlflow")
    script = "\n".join(python_blocks("serving.md"))
    assert script.count("assert ") >= 5  # each way out checks its predictions
    run_python(f"import os; os.chdir({str(tmp_path)!r})\n" + script, timeout=600)
    assert {"model.skfmnist", "model.joblib", "model.onnx", "README.md", "mlruns"} <= {
        path.name for path in tmp_path.iterdir()}
