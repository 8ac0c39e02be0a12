import json
import time

from ._subprocess import run_python


def test_import_is_light_and_lazy():
    output = run_python("""
        import json, sys, time
        start = time.perf_counter()
        import skfmnist
        seconds = time.perf_counter() - start
        heavy = [name for name in ("tensorflow", "keras", "dask", "distributed", "skops",
                                   "sklearn") if name in sys.modules]
        print(json.dumps({"seconds": seconds, "heavy": heavy}))
    """)
    result = json.loads(output)
    assert result["heavy"] == []
    assert result["seconds"] < 0.5


def test_public_names():
    import skfmnist

    for name in ("FashionMLP", "FashionCNN", "ImagePreprocessor", "fetch_fashion_mnist",
                 "CLASS_NAMES", "save", "load"):
        assert hasattr(skfmnist, name) and name in dir(skfmnist)
    assert len(skfmnist.CLASS_NAMES) == 10 and skfmnist.CLASS_NAMES[9] == "Ankle boot"
