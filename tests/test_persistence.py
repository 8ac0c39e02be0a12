import io
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
import skops.io
from sklearn.pipeline import make_pipeline

import skfmnist
from skfmnist import ImagePreprocessor
from skfmnist import ModelFileError, UntrustedTypesError, VersionMismatchWarning

from ._disks import fill, mounted_tmpfs
from ._hostile import CustomStep, RunsACommand
from ._subprocess import run_python


@pytest.fixture(scope="module")
def fitted(toy_split):
    from skfmnist import FashionCNN, FashionMLP

    X_train, y_train, X_test, _ = toy_split
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


@pytest.mark.slow  # a fresh interpreter per case
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


def _edit_member(archive, member, edit):
    """The zip ``archive`` (bytes) with ``edit`` applied to the bytes of ``member``."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, edit(data) if name == member else data)
    return out.getvalue()


def _edit_config(keras_archive, edit):
    def rewrite(data):
        config = json.loads(data)
        edit(config["config"]["layers"])
        return json.dumps(config).encode()

    return _edit_member(keras_archive, "config.json", rewrite)


def _widen_output_layer(keras_archive):
    def widen(layers):
        layers[-1]["config"]["units"] = 11  # weights hold 10

    return _edit_config(keras_archive, widen)


# Keras warns about the tampered layer before it fails to load it; the refusal is the point.
@pytest.mark.filterwarnings("ignore:Skipping nested container:UserWarning")
def test_tampered_weight_shapes_are_refused(fitted, tmp_path):
    path = tmp_path / "model.skfmnist"
    payload = _replace_keras_archive(skops.io.dumps(fitted["mlp"]), _widen_output_layer)
    _write_model_file(path, payload)
    with pytest.raises(ModelFileError,
                       match="corrupt: the estimator could not be rebuilt") as error:
        skfmnist.load(path)
    assert isinstance(error.value.__cause__, ValueError)  # Keras's own report, kept


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


def _load_in_a_child(path):
    """``(output, MiB)``: what loading ``path`` in a fresh process printed, and by how much
    the peak memory of that process grew during the load."""
    output = run_python(f"""
        import resource, skfmnist, skops.io
        from skfmnist import _keras_archive, layers
        from skfmnist._persistence import library_versions
        library_versions()  # imports TensorFlow and Keras: the baseline
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            skfmnist.load({str(path)!r})
        except skfmnist.ModelFileError as exc:
            print("refused:", exc)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print("peak grew MiB", grown // 1024)
    """)
    return output, int(output.split("peak grew MiB")[1])


@pytest.mark.slow  # measures a fresh interpreter's memory
def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.skfmnist"
    _zip_bomb(path)
    assert path.stat().st_size < 2 << 20  # 1.5 GiB of zeros in under 2 MiB
    output, grown = _load_in_a_child(path)
    assert "refused:" in output and "would inflate to 1,610,61" in output
    assert grown < 100


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


def test_recipe_parameters_survive_save_and_load(toy_split, tmp_path):
    from skfmnist import FashionCNN

    X_train, y_train, X_test, _ = toy_split
    cnn = FashionCNN(conv_filters=(4,), dense_units=8, epochs=1, tta="flip", ema_momentum=0.9,
                     lr_schedule="onecycle", patch_whitening=True, batch_norm_scale=False,
                     random_state=0)
    clf = make_pipeline(ImagePreprocessor(), cnn).fit(X_train[:300], y_train[:300])
    skfmnist.save(clf, tmp_path / "recipe.skfmnist")
    loaded = skfmnist.load(tmp_path / "recipe.skfmnist")
    assert loaded[-1].get_params() == clf[-1].get_params()
    assert loaded[-1].temperatures_ == clf[-1].temperatures_  # calibrated as it was
    np.testing.assert_array_equal(loaded.predict_proba(X_test[:30]), clf.predict_proba(X_test[:30]))


@pytest.fixture(scope="module")
def toy():
    """Random images of three classes and a tiny network fitted on them: for logic, not
    accuracy (no dataset needed)."""
    from skfmnist import FashionMLP

    rng = np.random.RandomState(0)
    X, y = rng.randint(0, 256, (96, 784)).astype(np.uint8), np.arange(96) % 3
    mlp = FashionMLP(hidden_layer_sizes=(4,), epochs=1, random_state=0).fit(X / 255, y)
    return {"X": X, "y": y, "mlp": mlp, "preprocessor": ImagePreprocessor().fit(X)}


def _huge_first_layer(layers):
    assert layers[1]["class_name"] == "Dense"
    layers[1]["config"]["units"] = 330_000  # 784 x 330,000 weights: 1 GB when built


def _declare_a_huge_dataset(weights):
    import h5py

    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "r+") as store:
        del store["layers/dense/vars/0"]
        # 1 GiB declared, nothing written: HDF5 allocates the data only when it is written
        store.create_dataset("layers/dense/vars/0", shape=(1 << 18, 1 << 10), dtype="float32")
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("edit, message", [
    (lambda archive: _edit_config(archive, _huge_first_layer), "would build 1,"),
    (lambda archive: _edit_member(archive, "model.weights.h5", _declare_a_huge_dataset),
     "model.weights.h5 declares 1,073,7"),
], ids=["config", "hdf5"])
def test_crafted_network_is_refused_before_keras_allocates_it(toy, tmp_path, edit, message):
    path = tmp_path / "crafted.skfmnist"
    _write_model_file(path, _replace_keras_archive(skops.io.dumps(toy["mlp"]), edit))
    assert path.stat().st_size < 1 << 20
    output, grown = _load_in_a_child(path)
    assert "refused:" in output and message in output
    assert grown < 256


def _with_a_second(archive, name, data):
    """The zip ``archive`` (bytes) with one more member called ``name``."""
    out = io.BytesIO(archive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(out, "a") as target:
            target.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("level", ["file", "payload", "network"])
def test_repeated_member_names_are_refused_at_every_level(toy, tmp_path, level):
    path = tmp_path / "twice.skfmnist"
    payload = skops.io.dumps(toy["mlp"])
    if level == "payload":
        payload = _with_a_second(payload, "schema.json", b"{}")
    if level == "network":
        payload = _replace_keras_archive(
            payload, lambda archive: _with_a_second(archive, "config.json", b"{}"))
    _write_model_file(path, payload)
    if level == "file":
        path.write_bytes(_with_a_second(path.read_bytes(), "estimator.skops",
                                        skops.io.dumps(toy["preprocessor"])))
    with pytest.raises(ModelFileError, match="refused: .*more than one member named"):
        skfmnist.load(path)


def test_networks_share_the_files_budget(toy, tmp_path):
    import copy

    def wide_first_layer(layers):
        layers[1]["config"]["units"] = 13_000  # 41 MB of weights: within one network's budget

    path = tmp_path / "three.skfmnist"
    networks = skops.io.dumps([copy.deepcopy(toy["mlp"]) for _ in range(3)])
    _write_model_file(path, _replace_keras_archive(
        networks, lambda archive: _edit_config(archive, wide_first_layer)))
    with pytest.raises(ModelFileError, match="its networks would hold 1[0-9,]{10} bytes of "
                                             "weights, more than the 67,108,864 allowed"):
        skfmnist.load(path)


@pytest.mark.slow  # a real full disk
def test_a_full_temporary_folder_does_not_break_loading(toy, tmp_path):
    path = tmp_path / "model.skfmnist"
    skfmnist.save(toy["mlp"], path)
    np.save(tmp_path / "X.npy", toy["X"][:5] / 255)
    load_and_predict = f"""
        import numpy as np, skfmnist
        proba = skfmnist.load({str(path)!r}).predict_proba(np.load({str(tmp_path / "X.npy")!r}))
        np.save({str(tmp_path / "out.npy")!r}, proba)
    """
    with mounted_tmpfs(tmp_path / "tmp") as mounted:
        if mounted:  # room for tempfile's probe of the folder, not for a network
            fill(tmp_path / "tmp", leave=8 << 10)
        else:  # no mount here: creating a folder under TMPDIR fails as on a full disk
            load_and_predict = NO_FOLDERS_UNDER_TMPDIR + load_and_predict
        run_python(load_and_predict, env={"TMPDIR": str(tmp_path / "tmp")})
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"),
                                  toy["mlp"].predict_proba(toy["X"][:5] / 255))


NO_FOLDERS_UNDER_TMPDIR = """
    import errno, os, sys

    def no_space(event, args):
        if event == "os.mkdir" and str(args[0]).startswith(os.environ["TMPDIR"]):
            raise OSError(errno.ENOSPC, "No space left on device", str(args[0]))

    sys.addaudithook(no_space)
"""


@pytest.mark.parametrize("trusted", [True, "tests._hostile.CustomStep", [CustomStep]],
                         ids=["bool", "str", "class"])
def test_trusted_must_be_a_list_of_type_names(toy, tmp_path, trusted):
    path = tmp_path / "pre.skfmnist"
    skfmnist.save(toy["preprocessor"], path)
    with pytest.raises(TypeError, match=r"trusted must be None or a list of type names \(str\)"
                                        r".*trusted=\['mypackage.MyStep'\]"):
        skfmnist.load(path, trusted=trusted)


def test_a_manifest_with_thousands_of_versions_gets_a_short_warning(toy, tmp_path):
    path = tmp_path / "crowded.skfmnist"
    versions = {**skfmnist._persistence.library_versions(), "keras": "0." + "9" * 50_000,
                **{f"library{index}": "1.0" for index in range(40_000)}}
    _write_model_file(path, skops.io.dumps(toy["preprocessor"]),
                      {"format": "skfmnist-model", "format_version": 1, "versions": versions})
    with pytest.warns(VersionMismatchWarning, match="keras differ") as record:
        skfmnist.load(path)
    assert len(str(record[0].message)) < 1000


def test_a_bug_while_rebuilding_is_not_reported_as_a_corrupt_file(toy, tmp_path, monkeypatch):
    from skfmnist import _keras_archive

    path = tmp_path / "model.skfmnist"
    skfmnist.save(toy["mlp"], path)

    def buggy(archive):
        raise AttributeError("a bug of skfmnist's own")

    monkeypatch.setattr(_keras_archive, "from_bytes", buggy)
    with pytest.raises(AttributeError, match="a bug of skfmnist's own"):
        skfmnist.load(path)


def test_a_path_checkpoint_dir_round_trips(toy, tmp_path):
    from pathlib import Path

    from skfmnist import FashionMLP

    clf = FashionMLP(hidden_layer_sizes=(4,), epochs=1, random_state=0,
                     checkpoint_dir=tmp_path / "checkpoints").fit(toy["X"] / 255, toy["y"])
    skfmnist.save(clf, tmp_path / "model.skfmnist")
    loaded = skfmnist.load(tmp_path / "model.skfmnist")
    assert loaded.checkpoint_dir == tmp_path / "checkpoints"
    assert isinstance(loaded.checkpoint_dir, Path)


@pytest.mark.slow
def test_fitted_search_and_calibration_load_without_trusted(toy, tmp_path):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import GridSearchCV

    from skfmnist import FashionMLP

    X, y = toy["X"], toy["y"]

    def pipeline():
        return make_pipeline(ImagePreprocessor(),
                             FashionMLP(hidden_layer_sizes=(4,), epochs=1, random_state=0))

    search = GridSearchCV(pipeline(), {"fashionmlp__batch_size": [32, 64]}, cv=2,
                          scoring="accuracy").fit(X, y)
    fitted = {
        "search": search,
        "sigmoid": CalibratedClassifierCV(pipeline(), cv=2).fit(X, y),
        "isotonic_frozen": CalibratedClassifierCV(FrozenEstimator(search.best_estimator_),
                                                  method="isotonic").fit(X, y),
    }
    for name, estimator in fitted.items():
        skfmnist.save(estimator, tmp_path / f"{name}.skfmnist")
        loaded = skfmnist.load(tmp_path / f"{name}.skfmnist")
        np.testing.assert_array_equal(loaded.predict_proba(X[:10]),
                                      estimator.predict_proba(X[:10]), err_msg=name)
    assert skfmnist.load(tmp_path / "search.skfmnist").cv_results_["params"] == \
        search.cv_results_["params"]


@pytest.mark.parametrize("make", [os.mkfifo, lambda path: path.symlink_to(path.parent / "x")],
                         ids=["fifo", "symlink"])
def test_save_writes_only_regular_files(toy, tmp_path, make):
    target = tmp_path / "model.skfmnist"
    make(target)
    with pytest.raises(FileExistsError, match="not a regular file"):
        skfmnist.save(toy["preprocessor"], target)
    assert not target.is_file()
