import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import skops.io
from sklearn.pipeline import make_pipeline

import skfmnist
from skfmnist import ImagePreprocessor
from skfmnist import ModelFileError, UntrustedTypesError, VersionMismatchWarning

from ._hostile import CustomStep, RunsACommand
from ._subprocess import run_python


@pytest.fixture(scope="module")
def fitted(small_split):
    from skfmnist import FashionCNN, FashionMLP

    X_train, y_train, X_test, _ = small_split
    X, y = X_train[:600], y_train[:600]
    pre = ImagePreprocessor().fit(X)
    tiny = dict(epochs=1, random_state=0)
    return {
        "preprocessor": pre,
        "mlp": FashionMLP(hidden_layer_sizes=(16,), **tiny).fit(pre.transform(X), y),
        "cnn": FashionCNN(conv_filters=(4, 8), dense_units=16, **tiny).fit(pre.transform(X), y),
        "pipeline": make_pipeline(ImagePreprocessor(),
                                  FashionCNN(conv_filters=(4,), dense_units=8, **tiny)).fit(X, y),
        "X": X_test[:50],
    }


def _output(estimator, X):
    X = X if isinstance(estimator, ImagePreprocessor) or hasattr(estimator, "steps") else X / 255
    return estimator.transform(X) if isinstance(estimator, ImagePreprocessor) \
        else estimator.predict_proba(X)


def _write_model_file(path, payload, manifest=None):
    manifest = manifest or {"format": "skfmnist-model", "format_version": 1,
                            "versions": skfmnist._persistence.library_versions()}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("estimator.skops", payload)


@pytest.mark.parametrize("name", ["preprocessor", "mlp", "cnn", "pipeline"])
def test_round_trip_is_exact_in_a_fresh_process(fitted, name, tmp_path):
    estimator, X = fitted[name], fitted["X"]
    path = tmp_path / "model.skfmnist"
    skfmnist.save(estimator, path)
    np.save(tmp_path / "X.npy", X)
    run_python(f"""
        import numpy as np, skfmnist
        from tests.test_persistence import _output
        estimator = skfmnist.load({str(path)!r})
        np.save({str(tmp_path / "out.npy")!r}, _output(estimator, np.load({str(tmp_path / "X.npy")!r})))
    """)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), _output(estimator, X))


def test_file_records_the_library_versions(fitted, tmp_path):
    skfmnist.save(fitted["mlp"], tmp_path / "m.skfmnist")
    manifest = json.loads(zipfile.ZipFile(tmp_path / "m.skfmnist").read("manifest.json"))
    assert set(manifest["versions"]) >= {"skfmnist", "keras", "tensorflow", "scikit-learn",
                                         "numpy"}
    assert manifest["format_version"] == 1


def test_pickle_payload_that_would_run_a_command_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.skfmnist"
    path.write_bytes(pickle.dumps(RunsACommand(marker)))
    with pytest.raises(ModelFileError, match="not a skfmnist model file"):
        skfmnist.load(path)
    assert not marker.exists()


def test_skops_payload_with_a_hostile_type_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.skfmnist"
    _write_model_file(path, skops.io.dumps(RunsACommand(marker)))
    with pytest.raises(UntrustedTypesError, match="tests._hostile.RunsACommand"):
        skfmnist.load(path)
    assert not marker.exists()


def test_unknown_type_needs_explicit_trust(fitted, tmp_path):
    pipe = make_pipeline(CustomStep(), fitted["preprocessor"])
    path = tmp_path / "custom.skfmnist"
    skfmnist.save(pipe, path)
    with pytest.raises(UntrustedTypesError) as error:
        skfmnist.load(path)
    assert error.value.types == ["tests._hostile.CustomStep"]
    loaded = skfmnist.load(path, trusted=["tests._hostile.CustomStep"])
    assert isinstance(loaded.steps[0][1], CustomStep)


def test_truncated_file_is_refused(fitted, tmp_path):
    path = tmp_path / "model.skfmnist"
    skfmnist.save(fitted["cnn"], path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        skfmnist.load(path)


def _replace_keras_archive(payload, edit):
    """Apply ``edit`` to the .keras archive stored inside a skops payload."""
    source = zipfile.ZipFile(io.BytesIO(payload))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if data[:2] == b"PK" and "config.json" in zipfile.ZipFile(io.BytesIO(data)).namelist():
                data = edit(data)
            target.writestr(name, data)
    return out.getvalue()


def _widen_output_layer(keras_archive):
    source = zipfile.ZipFile(io.BytesIO(keras_archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "config.json":
                config = json.loads(data)
                config["config"]["layers"][-1]["config"]["units"] = 11  # weights hold 10
                data = json.dumps(config).encode()
            target.writestr(name, data)
    return out.getvalue()


# Keras warns about the tampered layer before it fails to load it; the refusal is the point.
@pytest.mark.filterwarnings("ignore:Skipping nested container:UserWarning")
def test_tampered_weight_shapes_are_refused(fitted, tmp_path):
    path = tmp_path / "model.skfmnist"
    payload = _replace_keras_archive(skops.io.dumps(fitted["mlp"]), _widen_output_layer)
    _write_model_file(path, payload)
    with pytest.raises(ModelFileError, match="corrupt: the estimator could not be rebuilt"):
        skfmnist.load(path)


def test_keras_archive_with_code_is_refused(tmp_path):
    import keras

    from skfmnist import _keras_archive

    marker = tmp_path / "pwned"
    inputs = keras.Input((2,))
    # The path is written into the function's code: Keras stores bytecode, not closures.
    command = eval(f"lambda x: x + __import__('os').system('touch {marker}')")  # noqa: S307
    hostile = keras.layers.Lambda(command)
    archive = _keras_archive.to_bytes(keras.Model(inputs, hostile(inputs)))
    marker.unlink()  # building the model traced the function once; loading must not run it
    with pytest.raises(ValueError, match="safe_mode"):
        _keras_archive.from_bytes(archive)
    assert not marker.exists()


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "future.skfmnist"
    _write_model_file(path, b"", {"format": "skfmnist-model", "format_version": 99,
                                  "versions": {"skfmnist": "9.0"}})
    with pytest.raises(ModelFileError, match="format 99, written by a newer skfmnist"):
        skfmnist.load(path)


def test_other_versions_warn_with_both_sets(fitted, tmp_path):
    path = tmp_path / "old.skfmnist"
    versions = {**skfmnist._persistence.library_versions(), "keras": "3.0.1"}
    _write_model_file(path, skops.io.dumps(fitted["preprocessor"]),
                      {"format": "skfmnist-model", "format_version": 1, "versions": versions})
    with pytest.warns(VersionMismatchWarning, match=r"keras differ.*keras 3\.0\.1.*Running:"):
        skfmnist.load(path)


def test_failed_save_leaves_the_existing_file_untouched(fitted, tmp_path, monkeypatch):
    path = tmp_path / "model.skfmnist"
    skfmnist.save(fitted["preprocessor"], path)
    before = path.read_bytes()
    calls = []

    def crash_on_second_entry(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    original = zipfile.ZipFile.writestr
    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash_on_second_entry)
    with pytest.raises(OSError, match="disk full"):
        skfmnist.save(fitted["mlp"], path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.skfmnist"]


def test_callbacks_are_refused_with_a_fix(fitted):
    import keras

    estimator = fitted["mlp"].__class__(callbacks=[keras.callbacks.TerminateOnNaN()])
    with pytest.raises(ValueError, match=r"set_params\(callbacks=None\)"):
        skfmnist.save(estimator, "unused.skfmnist")


def test_saved_file_gets_the_usual_permissions(fitted, tmp_path):
    import os
    import stat

    old_mask = os.umask(0o022)
    try:
        skfmnist.save(fitted["preprocessor"], tmp_path / "shared.skfmnist")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE((tmp_path / "shared.skfmnist").stat().st_mode) == 0o644


def _zip_bomb(path, inflated=1536 << 20):
    """A model file whose payload member inflates to ``inflated`` bytes of zeros."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(
            {"format": "skfmnist-model", "format_version": 1,
             "versions": skfmnist._persistence.library_versions()}))
        with archive.open("estimator.skops", "w", force_zip64=True) as member:
            chunk = bytes(16 << 20)
            for _ in range(inflated // len(chunk)):
                member.write(chunk)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.skfmnist"
    _zip_bomb(path)
    assert path.stat().st_size < 2 << 20  # 1.5 GiB of zeros in under 2 MiB
    output = run_python(f"""
        import resource, skfmnist, skops.io
        from skfmnist._persistence import library_versions
        library_versions()  # imports TensorFlow: the baseline
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            skfmnist.load({str(path)!r})
        except skfmnist.ModelFileError as exc:
            print("refused:", exc)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print("peak grew MiB", grown // 1024)
    """)
    assert "refused:" in output and "would inflate to 1,610,61" in output
    assert int(output.split("peak grew MiB")[1]) < 100


@pytest.mark.parametrize("manifest, message", [
    (b"\xff\xfe not utf-8", "manifest.json is not UTF-8 text"),
    (b"{not json", "manifest.json is not valid JSON"),
    (json.dumps({"format": "skfmnist-model", "format_version": 1, "versions": "1.0"}).encode(),
     "versions must map library names to version strings"),
    (json.dumps({"format": "skfmnist-model", "format_version": 1, "versions": None}).encode(),
     "versions must map library names to version strings"),
    (json.dumps({"format": "skfmnist-model", "format_version": "9"}).encode(),
     "uses model file format '9'"),
])
def test_malformed_manifests_raise_model_file_error(tmp_path, manifest, message):
    path = tmp_path / "crafted.skfmnist"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("estimator.skops", b"")
    with pytest.raises(ModelFileError, match=message) as error:
        skfmnist.load(path)
    assert str(path) in str(error.value)


def test_too_many_members_are_refused(tmp_path):
    path = tmp_path / "crowded.skfmnist"
    _write_model_file(path, b"")
    with zipfile.ZipFile(path, "a") as archive:
        for index in range(300):
            archive.writestr(f"extra/{index}", b"")
    with pytest.raises(ModelFileError, match="has 302 entries"):
        skfmnist.load(path)


def test_keras_archive_bomb_inside_a_valid_payload_is_refused(fitted, tmp_path):
    def inflate(keras_archive):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(keras_archive)) as source, \
                zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for name in source.namelist():
                target.writestr(name, source.read(name))
            target.writestr("padding.bin", bytes(200 << 20))
        return out.getvalue()

    path = tmp_path / "model.skfmnist"
    _write_model_file(path, _replace_keras_archive(skops.io.dumps(fitted["mlp"]), inflate))
    with pytest.raises(ModelFileError, match="network's .keras archive would inflate"):
        skfmnist.load(path)


@pytest.mark.parametrize("thing", [object(), {"model": 1}, np.zeros(3)],
                         ids=["object", "dict", "array"])
def test_save_refuses_what_is_not_an_estimator_and_keeps_the_existing_file(fitted, tmp_path,
                                                                           thing):
    path = tmp_path / "model.skfmnist"
    skfmnist.save(fitted["preprocessor"], path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="saves scikit-learn estimators.*Nothing was written"):
        skfmnist.save(thing, path)
    assert path.read_bytes() == before


def test_recipe_parameters_survive_save_and_load(small_split, tmp_path):
    from skfmnist import FashionCNN

    X_train, y_train, X_test, _ = small_split
    cnn = FashionCNN(conv_filters=(4,), dense_units=8, epochs=1, tta="flip", ema_momentum=0.9,
                     lr_schedule="onecycle", random_state=0)
    clf = make_pipeline(ImagePreprocessor(), cnn).fit(X_train[:300], y_train[:300])
    skfmnist.save(clf, tmp_path / "recipe.skfmnist")
    loaded = skfmnist.load(tmp_path / "recipe.skfmnist")
    assert loaded[-1].get_params() == clf[-1].get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X_test[:30]), clf.predict_proba(X_test[:30]))
