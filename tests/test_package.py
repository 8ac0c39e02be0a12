import json

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
