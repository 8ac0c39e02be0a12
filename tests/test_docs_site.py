"""The Sphinx site builds, running every gallery example.

Its own module, so that ``pytest -n 2 --dist loadfile`` runs this, the suite's longest test,
beside the documentation snippets of ``test_docs.py`` instead of after them.
"""

import re
import subprocess
import sys

import pytest

from .test_docs import DOCS

pytestmark = pytest.mark.slow  # the Sphinx build runs every gallery example

RESULTS = DOCS.parent / "benchmarks" / "results"


def test_sphinx_site_builds_without_warnings_running_every_example(tmp_path):
    """The docs cannot rot: API pages from the docstrings, the gallery, warnings as errors;
    the results page shows the result files themselves, in the ecosystem's theme."""
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    built = tmp_path / "html"
    examples = sorted(p.stem for p in (DOCS.parent / "examples").glob("plot_*.py"))
    assert len(examples) == 8
    for name in examples:
        page = (built / "auto_examples" / f"{name}.html").read_text()
        assert "sphx-glr-single-img" in page or "sphx-glr-multi-img" in page, name
    assert (built / "generated" / "skfmnist.FashionCNN.html").is_file()

    index = (built / "index.html").read_text()
    assert "pydata-sphinx-theme" in index and "copybutton" in index
    results_page = (built / "results.html").read_text()
    for included in re.findall(r"\{include\} \.\./benchmarks/results/(\S+)",
                               (DOCS / "results.md").read_text()):
        machine_line = re.search(r"^Machine: .*?;", (RESULTS / included).read_text(), re.M)[0]
        assert machine_line in results_page, included
    conformance = (built / "conformance.html").read_text()
    assert "check_sample_weight_equivalence_on_dense_data" in conformance
    assert re.search(r"<td><p>\d+</p></td>", conformance), "the generated count of checks"
