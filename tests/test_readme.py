"""The README is a user's front page: its numbers are the result files', its code runs, its
links stay inside the repository.

Updating a result is one result file in ``benchmarks/results/`` plus its README row; these
tests fail when the two disagree.
"""

import json
import re
from pathlib import Path

import pytest

from ._subprocess import run_python

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# A row's last cell names the benchmark row and the file it is in: [`onecycle_16`](path.md).
_RESULT_LINK = re.compile(r"\[`(?P<name>[^`]+)`\]\((?P<path>benchmarks/results/[^)]+)\.md\)")
_NOT_RECORDED = "–"


def _cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def readme_results_table():
    """The README's table of results, as one dict per row keyed by the column headers."""
    lines = README.read_text().splitlines()
    for start, line in enumerate(lines):
        if line.startswith("|") and {"test accuracy", "result"} <= set(_cells(line)):
            header = _cells(line)
            table = []
            for row in lines[start + 2:]:
                if not row.startswith("|"):
                    return table
                table.append(dict(zip(header, _cells(row))))
    raise AssertionError("README.md has no table with 'test accuracy' and 'result' columns")


def recorded(result_cell):
    """The machine and the row of the result file that a README row links to."""
    link = _RESULT_LINK.fullmatch(result_cell)
    assert link, f"{result_cell!r} is not a link [`name`](benchmarks/results/....md)"
    results = json.loads((ROOT / f"{link['path']}.json").read_text())
    rows = [row for row in results["rows"] if _names(row, link["name"])]
    assert len(rows) == 1, f"{link['path']}.json has {len(rows)} rows named {link['name']}"
    return results["machine"], rows[0]


def _names(row, name):
    """Whether a result row is the one a README link names: an ablation row's or a
    benchmarks.run configuration's leading `name`, or benchmarks.calibration's model."""
    if "model" in row:
        return row["model"] == name
    return (row.get("variant") or row["configuration"]).startswith(f"`{name}`")


def recorded_accuracy(row):
    # Ablation rows score each network three ways; the README quotes them for best(), which
    # predicts with tta="flip_shift". Other rows score the estimator as configured.
    return row.get("accuracy_shift_tta", row["accuracy"])


def recorded_tflop(row):
    if "tflop" in row:
        return row["tflop"]
    if row["train_gflops"] is None:  # benchmarks.run counts FLOPs for the CNNs only
        return None
    return row["train_gflops"] * row["fit_s"] / 1000


def quotes(cell, value):
    """Whether the number that ``cell`` starts with is ``value`` rounded as written."""
    if value is None:
        return cell == _NOT_RECORDED
    number = re.match(r"\d+(\.(\d+))?", cell)
    if number is None:
        return False
    decimals = len(number.group(2) or "")
    return abs(float(number.group(0)) - value) <= 0.5 * 10 ** -decimals + 1e-9


TABLE = readme_results_table()


def test_readme_results_table_names_the_shipped_networks():
    networks = " ".join(row["network"] for row in TABLE)
    for name in ("FashionCNN()", "FashionCNN.best()", "FashionMLP()", "FashionMLP.simple()",
                 "FashionCNN.small()", "FashionCNN.lenet()", "FashionCNN.deep_bn()"):
        assert f"`{name}`" in networks


@pytest.mark.parametrize("row", TABLE, ids=[row["result"] for row in TABLE])
def test_readme_results_row_quotes_its_result_file(row):
    machine, result = recorded(row["result"])
    assert quotes(row["test accuracy"], recorded_accuracy(result)), recorded_accuracy(result)
    assert quotes(row["compute"], recorded_tflop(result)), recorded_tflop(result)
    fit_seconds = result.get("fit_s", result.get("fit_seconds"))
    assert quotes(row["fit time"], fit_seconds), fit_seconds
    assert row["CPU"] == f"{machine['cpu']}, {machine['vector_isa']}, {machine['cores']} cores"


def test_readme_links_and_paths_stay_inside_the_repository():
    text = README.read_text()
    assert "://" not in text and "../" not in text
    targets = re.findall(r"\]\(([^)]+)\)", text)
    paths = re.findall(r"`((?:docs|benchmarks|tests|skfmnist)/[\w./]+)`", text)
    assert targets and paths
    for target in targets + paths:
        assert (ROOT / target).exists(), target


def test_readme_says_nothing_of_how_the_work_went():
    text = README.read_text()
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), "a dated result or default"
    assert not re.search(r"issue #\d+|this round|as it ships", text, flags=re.I)


@pytest.mark.slow
def test_readme_quick_start_runs_as_pasted(tmp_path):
    snippet = re.search(r"## Quick start\n\n```python\n(.*?)```", README.read_text(), re.S)[1]
    output = run_python(f"import os; os.chdir({str(tmp_path)!r})\n" + snippet, timeout=600)
    assert "Ankle boot" in output and "accuracy" in output
