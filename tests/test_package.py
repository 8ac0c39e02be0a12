import json
from pathlib import Path

from ._subprocess import run_python


def test_import_is_light_and_lazy():
    output = run_python("""
        import json, sys
        import skfmnist
        heavy = [name for name in ("tensorflow", "keras", "dask", "distributed", "skops",
                                   "sklearn") if name in sys.modules]
        print(json.dumps(heavy))
    """)
    assert json.loads(output) == []


def test_public_names():
    import skfmnist

    for name in skfmnist.__all__:
        assert hasattr(skfmnist, name) and name in dir(skfmnist)
    assert {"FashionMLP", "FashionCNN", "ImagePreprocessor", "fetch_fashion_mnist", "CLASS_NAMES",
            "save", "load", "export"} <= set(skfmnist.__all__)
    assert len(skfmnist.CLASS_NAMES) == 10 and skfmnist.CLASS_NAMES[9] == "Ankle boot"


def test_internals_are_private_modules():
    from pathlib import Path

    import skfmnist

    modules = {path.stem for path in Path(skfmnist.__file__).parent.glob("*.py")}
    public = {name for name in modules if not name.startswith("_")}
    assert public == {"cli", "layers", "plotting"}



def test_the_pipeline_diagram_links_each_step_to_its_api_page():
    from sklearn.pipeline import make_pipeline
    from sklearn.utils import estimator_html_repr

    from skfmnist import FashionCNN, FashionMLP, ImagePreprocessor

    api = (Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text()
    for steps in ((ImagePreprocessor(), FashionCNN()), (ImagePreprocessor(), FashionMLP())):
        diagram = estimator_html_repr(make_pipeline(*steps))
        for step in steps:
            name = type(step).__name__
            assert step._get_doc_link().endswith(f"/generated/skfmnist.{name}.html")
            assert step._get_doc_link() in diagram
            assert f"\n   {name}\n" in api  # the autosummary entry that writes that page
