"""The benchmark harness runs (its full-size results are recorded from real runs, not here).

The smoke runs use ``--toy`` (random images, seconds of training): they check the plumbing, not
the numbers. Each starts TensorFlow in fresh processes, which takes longer than the fast lane
allows, so they are marked slow, as is the run on the real dataset.
"""

import json
import shutil

import numpy as np
import pytest

from benchmarks import ablation, frontier, profile_epoch, serving
from benchmarks._common import RESULTS, call_worker, vector_isa
from benchmarks.run import _seeds, run_one, training_tflop

def cnn_training_flops(filters, convs_per_block, dense_units, n_classes):
    """3 x the forward FLOPs of one 28x28 image through FashionCNN's network of 3x3 "same"
    convolutions, each block halving the image (rounding up), counted by hand."""
    flops, side, channels = 0, 28, 1
    for block_filters in filters:
        for _ in range(convs_per_block):
            flops += 2 * side * side * 9 * channels * block_filters
            channels = block_filters
        side = (side + 1) // 2
    flops += 2 * side * side * channels * dense_units + 2 * dense_units * n_classes
    return 3 * flops


def _rows_by_name(rows, key):
    return {row[key].split("`")[1]: row for row in rows}


@pytest.mark.slow
def test_quick_benchmark_compares_skfmnist_with_plain_keras(tmp_path):
    from benchmarks.run import main

    main(["--quick", "--toy", "--only", "mlp_simple,mlp_simple_keras", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "accuracy_speed.json").read_text())
    rows = _rows_by_name(result["rows"], "configuration")
    assert list(rows) == ["mlp_simple", "mlp_simple_keras"]
    ours, theirs = rows["mlp_simple"], rows["mlp_simple_keras"]
    # One run each (--quick): the ratio is of those two fits, measured alternately.
    assert ours["fit_seconds_each"] == [ours["fit_s"]]
    assert ours["vs_keras"] == pytest.approx(ours["fit_s"] / theirs["fit_s"])
    assert "vs_keras" not in theirs
    assert "tensorflow" in result["versions"]
    markdown = (tmp_path / "accuracy_speed.md").read_text()
    assert result["machine"]["vector_isa"] in markdown  # two "AMD EPYC"s can differ 2x in speed


@pytest.mark.slow
def test_quick_benchmark_learns_on_the_real_dataset():
    # 1 epoch on 2,000 real images, evaluated on the 10,000 test images.
    result = call_worker(run_one, name="mlp_simple", seed=0, epochs=1, n_train=2000)
    assert result["accuracy"] > 0.7 and result["epochs"] == 1


def test_headline_rows_take_the_requested_number_of_seeds():
    assert _seeds("best_cnn", quick=False, headline_seeds=1) == [0]
    assert _seeds("default_cnn", quick=False, headline_seeds=2) == [0, 1]
    assert _seeds("mlp_simple", quick=False, headline_seeds=1) == [0, 0, 0]  # timed, not seeded
    assert _seeds("default_cnn", quick=True, headline_seeds=2) == [0]


def test_vector_isa_names_the_widest_extension():
    assert vector_isa({"sse4_2", "avx", "avx2", "fma"}) == "AVX2"
    assert vector_isa({"avx2", "avx512f", "avx512_bf16"}) == "AVX-512 BF16"
    assert vector_isa({"avx512f", "amx_tile"}) == "AMX"
    assert vector_isa(set()) == "SSE or none"


def test_a_failing_worker_reports_its_error():
    with pytest.raises(RuntimeError, match="KeyError: 'no_such_variant'"):
        call_worker(ablation.variant_params, variant="no_such_variant")


@pytest.mark.slow
def test_epoch_profile_times_each_variant_in_its_own_process(tmp_path):
    profile_epoch.main(["--toy", "--samples", "200", "--epochs", "2", "--rounds", "1",
                        "--only", "default,keras_bn", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "profile_epoch.json").read_text())["rows"]
    assert [row["variant"].split("`")[1] for row in rows] == ["default", "keras_bn"]
    assert rows[1]["ratio"] == pytest.approx(rows[1]["seconds"] / rows[0]["seconds"])


def test_keras_batch_norm_variant_trains_with_keras_layers_only():
    from skfmnist.layers import FusedBatchNormalization

    import keras

    X = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    cnn = profile_epoch.KerasBatchNormCNN(conv_filters=(4, 8), convs_per_block=1, dense_units=8,
                                          epochs=1, tta=None, random_state=0)
    layers = cnn.fit(X, np.arange(64) % 3).model_.layers
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 3  # two conv blocks and the Dense layer
    assert not any(isinstance(layer, FusedBatchNormalization) for layer in norms)


@pytest.mark.slow
def test_ablation_tier_view_reports_plain_and_tta_accuracy_and_compute(tmp_path):
    ablation.main(["--quick", "--toy", "--tier", "best", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "ablation.json").read_text())["rows"]
    assert [row["variant"].split("`")[1] for row in rows] == ablation.TIERS["best"][2]
    row = rows[0]
    assert all(0 <= row[key] <= 1 for key in ablation.ACCURACY_COLUMNS.values())
    params = ablation.variant_params(ablation.TIERS["best"][0], quick=True)
    assert row["params"] == json.loads(json.dumps(params))
    # best()'s network (the default's: 16/32/64, two convolutions per block, Dense 256), 1 epoch
    # of the 200 toy images of 3 classes
    assert row["tflop"] == pytest.approx(cnn_training_flops((16, 32, 64), 2, 256, 3) * 200 / 1e12)


def test_ablation_first_seed_trains_the_seeds_it_names(tmp_path, monkeypatch):
    trained = []

    def recording_run_seeds(variant, seeds, *args, **kwargs):
        trained.append(list(seeds))
        return run_seeds(variant, seeds, *args, **kwargs)

    run_seeds = ablation.run_seeds
    monkeypatch.setattr(ablation, "run_seeds", recording_run_seeds)
    ablation.main(["--quick", "--toy", "--only", "fast", "--first-seed", "3", "--out",
                   str(tmp_path)])
    assert trained == [[3]]
    assert "mean over seeds 3..3" in (tmp_path / "ablation.md").read_text()


def test_each_tier_lists_its_own_row_first_and_its_rows_stay_within_its_budget():
    from skfmnist import FashionCNN

    for name, tta, rows in ablation.TIERS.values():
        assert rows[0] == name and set(rows) <= set(ablation.VARIANTS)
        assert tta in ablation.ACCURACY_COLUMNS
    for tier, budget in [("fast", 10), ("default", 45), ("best", 180)]:
        for name in ablation.TIERS[tier][2]:
            params = ablation.variant_params(name)
            cnn = FashionCNN(**dict(params, conv_filters=tuple(params["conv_filters"])))
            assert training_tflop(cnn, 60000, params["epochs"]) <= budget, name
    assert training_tflop(FashionCNN(), 60000, 1) == pytest.approx(
        cnn_training_flops((16, 32, 64), 2, 256, 10) * 60000 / 1e12)


@pytest.mark.parametrize("tier, constructor", [("fast", "fast"), ("default", None),
                                               ("best", "best")])
def test_each_tier_row_trains_the_tiers_constructor(tier, constructor):
    from skfmnist import FashionCNN

    name, tta, _ = ablation.TIERS[tier]
    shipped = (getattr(FashionCNN, constructor)() if constructor else FashionCNN()).get_params()
    assert shipped["tta"] == tta
    # The rows train on every row and score each tta: calibration and tta are theirs.
    params = ablation.variant_params(name)
    row = FashionCNN(**dict(params, conv_filters=tuple(params["conv_filters"]))).get_params()
    for key in ("tta", "calibration"):
        del row[key], shipped[key]
    assert row == shipped, name


def test_committed_frontier_table_is_what_the_committed_results_give(tmp_path):
    frontier.main(["--out", str(tmp_path)])
    assert (tmp_path / "frontier.md").read_text() == (RESULTS / "frontier.md").read_text()


def test_frontier_scores_a_tier_with_its_own_test_time_augmentation(tmp_path):
    results = tmp_path / "results"
    for name in {path for path, _ in frontier.NETWORK_ROWS} | {
            "serving.json", frontier.TIER_FILES["default"], frontier.TIER_FILES["best"]}:
        (results / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(RESULTS / name, results / name)
    fast = json.loads((RESULTS / frontier.TIER_FILES["default"]).read_text())
    runs = [{"accuracy": 0.90, "accuracy_tta": 0.91, "accuracy_shift_tta": 0.92,
             "fit_seconds": 60.0, "tflop": 8.3}]
    fast["rows"] = [{"variant": f"`{ablation.TIERS['fast'][0]}` recorded here", "accuracy": 0.90,
                     "accuracy_tta": 0.91,
                     "accuracy_shift_tta": 0.92, "fit_s": 60.0, "tflop": 8.3, "runs": runs}]
    (results / frontier.TIER_FILES["fast"]).parent.mkdir()
    (results / frontier.TIER_FILES["fast"]).write_text(json.dumps(fast))
    rows = frontier.main(["--results", str(results), "--out", str(tmp_path / "out")])
    by_network = {row["network"].split("`")[1]: row for row in rows}
    assert by_network["fast"]["accuracy"] == 0.91  # tta="flip"
    default = json.loads((RESULTS / frontier.TIER_FILES["default"]).read_text())["rows"][0]
    assert by_network["default"]["accuracy"] == default["accuracy_tta"]  # tta="flip"
    served = {row["case"]: row for row in
              json.loads((RESULTS / "serving.json").read_text())["rows"]}
    assert by_network["default"]["one_image_ms"] == served[
        serving.one_image_case(dict(serving.TTA_LABELS)["flip"])]["ms"]
    # The default network was served, with each tta: best() predicts with it too.
    assert by_network["best"]["images_per_s"] == served[
        serving.batch_case(dict(serving.TTA_LABELS)["flip_shift"])]["images_per_s"]
    assert "one_image_ms" not in by_network["fast"]
    markdown = (tmp_path / "out" / "frontier.md").read_text()
    assert "| 0.9100 | 1 | 8.3 | 60 (" in markdown and "not measured yet" not in markdown
    assert (tmp_path / "out" / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_serving_memory_worker_loads_the_saved_pipeline(tmp_path):
    from sklearn.pipeline import make_pipeline

    import skfmnist
    from skfmnist import FashionMLP, ImagePreprocessor

    X = np.random.default_rng(0).integers(0, 256, size=(64, 784), dtype=np.uint8)
    clf = make_pipeline(ImagePreprocessor(), FashionMLP(hidden_layer_sizes=(8,), epochs=1))
    path = tmp_path / "model.skfmnist"
    skfmnist.save(clf.fit(X, np.arange(64) % 3), path)
    memory = call_worker(serving.memory_growth, path=str(path), rows=1000)
    assert set(memory) == {"grown_mib", "float32_input_mib"}
    assert memory["float32_input_mib"] == pytest.approx(1000 * 784 * 4 / 2**20)
