"""Page sections that are read from the repository at build time, so the site cannot drift.

A Markdown page names a generated section with an HTML comment on a line of its own (GitHub
and other Markdown viewers hide it), which the ``source-read`` event replaces before parsing:

- ``<!-- optional-include: PATH -->``: a MyST ``{include}`` of ``benchmarks/results/PATH``
  when a benchmark has written that file, else a sentence naming the command that writes it;
- ``<!-- estimator-checks -->``: the table of scikit-learn's estimator checks run on each
  public estimator, with the expected failures listed in ``tests/test_sklearn_checks.py``.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
_MARKER = re.compile(r"^<!-- (optional-include|estimator-checks):? ?(\S*) -->$", re.M)


def optional_include(name):
    """MyST for one result file, or what to run when the file has not been written yet."""
    if (RESULTS / name).is_file():
        return (f"```{{include}} ../benchmarks/results/{name}\n:relative-images:\n```\n")
    module = Path(name).stem
    return (f"*This table appears once* ``python -m benchmarks.{module}`` *has written*"
            f" ``benchmarks/results/{name}``.\n")


def estimator_checks_table():
    """How many of scikit-learn's checks each estimator meets, counted from the test module."""
    from sklearn.utils.estimator_checks import estimator_checks_generator

    from tests.test_sklearn_checks import CHECKED_ESTIMATORS, _expected_failed_checks

    lines = ["| estimator, as checked | checks | expected failures |", "|---|---|---|"]
    for estimator in CHECKED_ESTIMATORS:
        expected = _expected_failed_checks(estimator)
        checks = estimator_checks_generator(estimator, legacy=True,
                                            expected_failed_checks=expected)
        failures = ", ".join(f"`{name}`" for name in sorted(expected)) or "none"
        lines.append(f"| `{estimator!r}` | {sum(1 for _ in checks)} | {failures} |")
    return "\n".join(lines) + "\n"


def _generated(match):
    kind, argument = match.groups()
    return optional_include(argument) if kind == "optional-include" else estimator_checks_table()


def replace_markers(app, docname, source):
    source[0] = _MARKER.sub(_generated, source[0])


def setup(app):
    app.connect("source-read", replace_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
