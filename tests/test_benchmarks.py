"""The benchmark harness runs (its full-size results are recorded from real runs, not here)."""

import json

from benchmarks._common import vector_isa
from benchmarks.run import _seeds

from ._subprocess import run_python


def test_quick_benchmark_compares_skfmnist_with_plain_keras(tmp_path):
    output = run_python(f"""
        from benchmarks.run import main
        main(["--quick", "--only", "mlp_simple,mlp_simple_keras", "--out", {str(tmp_path)!r}])
    """, timeout=600)
    assert "| configuration |" in output
    result = json.loads((tmp_path / "accuracy_speed.json").read_text())
    rows = {row["configuration"].split("`")[1]: row for row in result["rows"]}
    assert rows["mlp_simple"]["accuracy"] > 0.75 and rows["mlp_simple_keras"]["accuracy"] > 0.75
    assert 0.3 < rows["mlp_simple"]["vs_keras"] < 3
    assert result["machine"]["cores"] >= 1 and "tensorflow" in result["versions"]
    assert result["machine"]["vector_isa"] in output  # two "AMD EPYC"s can differ 2x in speed
    assert rows["mlp_simple"]["fit_seconds_each"] == [rows["mlp_simple"]["fit_s"]]
    assert rows["mlp_simple"]["peak_rss_mib"] > 100


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


def test_epoch_profile_times_each_variant_in_its_own_process(tmp_path):
    output = run_python(f"""
        from benchmarks.profile_epoch import main
        main(["--samples", "600", "--epochs", "2", "--rounds", "1", "--only", "default,keras_bn",
              "--out", {str(tmp_path)!r}])
    """, timeout=600)
    assert "| variant |" in output
    rows = json.loads((tmp_path / "profile_epoch.json").read_text())["rows"]
    assert [row["variant"].split("`")[1] for row in rows] == ["default", "keras_bn"]
    assert all(row["seconds"] > 0 for row in rows) and rows[0]["ratio"] == 1.0


def test_ablation_quick_smoke_run_reports_plain_and_tta_accuracy_and_compute(tmp_path):
    output = run_python(f"""
        from benchmarks.ablation import main
        main(["--quick", "--only", "onecycle", "--out", {str(tmp_path)!r}])
    """, timeout=600)
    assert "| variant |" in output
    rows = json.loads((tmp_path / "ablation.json").read_text())["rows"]
    assert [row["variant"].split("`")[1] for row in rows] == ["onecycle"]
    for row in rows:
        assert all(0.3 < row[key] < 1
                   for key in ("accuracy", "accuracy_tta", "accuracy_shift_tta"))
        # 1 epoch of 2,000 images: 3 x forward FLOPs of the default CNN x images
        assert 0.05 < row["tflop"] < 0.15 and row["gflops"] > 0
