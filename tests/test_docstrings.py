"""Docstring fragments filled in by ``Substitution``."""

import pytest

from ._subprocess import run_python


@pytest.mark.slow  # a fresh interpreter that imports TensorFlow
def test_the_estimators_import_with_docstrings_stripped():
    # PYTHONOPTIMIZE=2 is python -OO: every docstring is stripped, __doc__ is None
    output = run_python("""
        import sys
        assert sys.flags.optimize == 2
        from skfmnist import FashionCNN, FashionMLP, ImagePreprocessor
        print(FashionMLP.__doc__, FashionCNN.fit.__doc__)
    """, env={"PYTHONOPTIMIZE": "2"})
    assert output.split() == ["None", "None"]
