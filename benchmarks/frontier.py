"""Accuracy against training compute: FashionCNN's three tiers, the notebooks' networks and the
published results, from the recorded result files.

    python -m benchmarks.frontier [--results benchmarks/results] [--out benchmarks/results]

Reads the JSON files named below (under ``--results``) and writes ``frontier.md`` (a table:
test accuracy, training compute and seconds with the CPU they ran on, prediction cost) and
``frontier.png`` (accuracy against training TFLOP, log scale) to ``--out``. Trains nothing: the
compute of rows whose file does not record it (the notebooks' networks, a tier not measured yet)
is counted on their network, built but not trained.
"""

import argparse
import json
from pathlib import Path

from benchmarks import ablation, run, serving
from benchmarks._common import RESULTS
from skfmnist import FashionCNN

# tier -> the file its row is recorded in (see ablation.TIERS for the row and its tta)
TIER_FILES = {"fast": "fast_screen2/ablation.json", "default": "default_screen3/ablation.json",
              "best": "best_screen2/ablation.json"}
# Tiers measured as shipped (calibrated, with their held-out rows) by benchmarks.calibration:
# tier -> (file, model); those rows stand for the tier where they exist.
SHIPPED = {"fast": ("calibration_fast/calibration.json", "FashionCNN.fast()"),
           "default": ("calibration.json", "FashionCNN()")}
# benchmarks.serving times the default network, which best() shares.
SERVED_TIERS = ("default", "best")
# (file, configuration of benchmarks.run): the MLP default and the notebooks' networks
NETWORK_ROWS = [("mlp/accuracy_speed.json", "default_mlp"),
                ("avx2/presets/accuracy_speed.json", "mlp_simple"),
                ("avx2/presets/accuracy_speed.json", "cnn_small"),
                ("avx2/presets/accuracy_speed.json", "cnn_lenet"),
                ("avx2/presets/accuracy_speed.json", "cnn_deep_bn")]
# Published results: (name, test accuracy, training TFLOP or None where unknown). The small
# networks' papers, then Zalando's Fashion-MNIST README (benchmark table, human performance).
ANCHORS = [
    # ResNet-20 at 28x28: about 31 M multiply-adds (41 M at CIFAR's 32x32, scaled by pixels),
    # so 3 x 62.5 MFLOP x 60,000 images x 300 epochs.
    ("ResNet-20 + random erasing, 300 epochs (Zhong et al. 2017)", 0.9598, 3375.0),
    ("DenseNet-BC, 768K parameters", 0.954, None),
    ("WRN-40-4 (GPU, augmentation)", 0.967, None), ("ResNet18", 0.949, None),
    ("Google AutoML (24 compute hours)", 0.939, None), ("SVC (scikit-learn's best)", 0.897, None),
    ("MLPClassifier 256-128-100", 0.883, None), ("human", 0.835, None),
]
N_TRAIN = 60000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(RESULTS),
                        help="folder of the result files (default benchmarks/results)")
    parser.add_argument("--out", default=str(RESULTS),
                        help="folder for frontier.md and frontier.png (default benchmarks/results)")
    args = parser.parse_args(argv)
    results, out = Path(args.results), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [tier_row(results, tier) for tier in ablation.TIERS]
    rows += [network_row(results, path, name) for path, name in NETWORK_ROWS]
    markdown = frontier_markdown(rows)
    (out / "frontier.md").write_text(markdown)
    plot_frontier(rows, out / "frontier.png")
    print(markdown)
    return rows


def _read(results, path):
    return json.loads((results / path).read_text())


def _cpu(info):
    machine = info["machine"]
    return f"{machine['cpu']}, {machine.get('vector_isa', 'vector extension not recorded')}"


def tier_row(results, tier):
    """The tier's row of its ablation file, scored with the tier's test-time augmentation, and
    the prediction cost benchmarks.serving recorded for its network; where the file does not
    exist yet, the tier's compute and the command that measures it."""
    name, tta, _ = ablation.TIERS[tier]
    row = {"network": f"`{tier}` tier (ablation row `{name}`, tta={tta!r})", "kind": "tier",
           **(serving_cost(results, tta) if tier in SERVED_TIERS else {})}
    shipped = shipped_row(results, tier)
    if shipped is not None:
        return {**row, **shipped, "network": f"`{tier}` tier, {SHIPPED[tier][1]} (tta={tta!r})"}
    if not (results / TIER_FILES[tier]).is_file():
        params = ablation.variant_params(name)
        cnn = FashionCNN(**dict(params, conv_filters=tuple(params["conv_filters"])))
        return {**row, "accuracy": None,
                "tflop": run.training_tflop(cnn, N_TRAIN, params["epochs"]),
                "source": f"not measured yet: python -m benchmarks.ablation --tier {tier} "
                          f"--out benchmarks/results/{Path(TIER_FILES[tier]).parent}"}
    info = _read(results, TIER_FILES[tier])
    recorded = next(r for r in info["rows"] if r["variant"].startswith(f"`{name}`"))
    return {**row, "accuracy": recorded[ablation.ACCURACY_COLUMNS[tta]],
            "seeds": len(recorded["runs"]), "tflop": recorded["tflop"],
            "fit_s": recorded["fit_s"], "cpu": _cpu(info), "source": TIER_FILES[tier]}


def shipped_row(results, tier):
    """The tier's estimator as benchmarks.calibration measured it, or None if it did not."""
    path, model = SHIPPED.get(tier, (None, None))
    if path is None or not (results / path).is_file():
        return None
    info = _read(results, path)
    recorded = next((r for r in info["rows"] if r["model"] == model), None)
    if recorded is None:
        return None
    return {"accuracy": recorded["accuracy"], "seeds": recorded["seeds"],
            "tflop": recorded["tflop"], "fit_s": recorded["fit_seconds"], "cpu": _cpu(info),
            "source": path}


def serving_cost(results, tta):
    """1-image milliseconds and 10,000-image throughput of ``predict_proba`` with ``tta``."""
    label = dict(serving.TTA_LABELS)[tta]
    cases = {row["case"]: row for row in _read(results, "serving.json")["rows"]}
    return {"one_image_ms": cases[serving.one_image_case(label)]["ms"],
            "images_per_s": cases[serving.batch_case(label)]["images_per_s"]}


def network_row(results, path, name):
    """Configuration ``name`` of a benchmarks.run result file, with its training compute."""
    info = _read(results, path)
    row = next(row for row in info["rows"] if row["configuration"].startswith(f"`{name}`"))
    epochs = round(row["fit_s"] / row["s_per_epoch"])
    return {"network": row["configuration"], "kind": "cnn" if "cnn" in name else "mlp",
            "accuracy": row["accuracy"],
            "seeds": row["runs"] if name in run.HEADLINE else 1,
            "tflop": run.training_tflop(run.make_estimator(name, epochs), N_TRAIN, epochs),
            "fit_s": row["fit_s"], "cpu": _cpu(info), "images_per_s": row["images_per_s"],
            "source": path}


def _cell(value, digits):
    return "" if value is None else f"{value:,.{digits}f}"


def frontier_markdown(rows):
    lines = ["### Accuracy against training compute", "",
             "| network | test accuracy | seeds | train TFLOP | fit s (CPU) "
             "| predict 1 image ms | predict img/s (10,000 images) | source |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        fit = (f"{row['fit_s']:,.0f} ({row['cpu']})" if "fit_s" in row else "")
        lines.append(
            f"| {row['network']} | {_cell(row['accuracy'], 4)} | {row.get('seeds', '')} "
            f"| {_cell(row['tflop'], 1 if row['tflop'] >= 1 else 2)} | {fit} "
            f"| {_cell(row.get('one_image_ms'), 1)} | {_cell(row.get('images_per_s'), 0)} "
            f"| {row['source']} |")
    lines += ["", "| published result | test accuracy | train TFLOP (estimated) |",
              "|---|---|---|"]
    lines += [f"| {name} | {accuracy:.4f} | {_cell(tflop, 0)} |"
              for name, accuracy, tflop in ANCHORS]
    lines += [
        "", "Test accuracy on the 10,000 test images after training on the 60,000 training "
        "images (the shipped, calibrated estimators of calibration.json hold 5 % of them out "
        "to calibrate), mean over seeds; a tier is scored with the test-time augmentation it "
        "ships with. Train TFLOP = 3 x "
        "forward FLOPs x 60,000 images x epochs, counted on the network, so rows from different "
        "CPUs compare; fit seconds only compare on one CPU (the AVX2 host's CNN epochs take "
        "more than twice as long). Prediction cost: benchmarks.serving (predict_proba of one "
        "image, median of repeated calls; throughput over 10,000 images) for the tiers that "
        "train the default network; benchmarks.run's predict throughput over the 10,000 test "
        "images for the other networks; blank where not recorded. Files: under "
        "benchmarks/results/. Published results: the small networks' papers, then Zalando's "
        "Fashion-MNIST benchmark table; where the training is described, its compute is "
        "estimated the same way and frontier.png draws a point, else a line.", "",
        "![Accuracy against training compute](frontier.png)"]
    return "\n".join(lines) + "\n"


def plot_frontier(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5.5), layout="constrained")
    measured = [row for row in rows if row["accuracy"] is not None]
    tiers = [row for row in measured if row["kind"] == "tier"]
    axes.plot([row["tflop"] for row in tiers], [row["accuracy"] for row in tiers], "o-",
              color="tab:blue", label="FashionCNN tiers")
    for kind, marker, color, label in [("cnn", "s", "tab:orange", "notebooks' CNNs"),
                                       ("mlp", "^", "tab:green", "MLPs")]:
        points = [row for row in measured if row["kind"] == kind]
        axes.plot([row["tflop"] for row in points], [row["accuracy"] for row in points],
                  marker, color=color, linestyle="none", label=label)
    for row in measured:
        axes.annotate(row["network"].split("`")[1], (row["tflop"], row["accuracy"]),
                      textcoords="offset points", xytext=(5, -10), fontsize=8)
    for row in rows:
        if row["accuracy"] is None:
            axes.axvline(row["tflop"], color="tab:blue", linestyle=":", linewidth=1)
            axes.annotate(f"{row['network'].split('`')[1]} tier: not measured yet",
                          (row["tflop"], 0.84), rotation=90, fontsize=8, color="tab:blue",
                          textcoords="offset points", xytext=(3, 0))
    for name, accuracy, tflop in ANCHORS:
        if tflop is not None:
            axes.plot([tflop], [accuracy], "x", color="grey")
            axes.annotate(name, (tflop, accuracy), textcoords="offset points",
                          xytext=(-5, 6), ha="right", fontsize=8, color="grey")
            continue
        axes.axhline(accuracy, color="grey", linestyle="--", linewidth=0.8)
        axes.annotate(name, (0, accuracy), xycoords=("axes fraction", "data"),
                      textcoords="offset points", xytext=(4, 2), fontsize=8, color="grey")
    axes.set_xscale("log")
    axes.set_xlabel("training compute (TFLOP, 3 x forward FLOPs x images x epochs)")
    axes.set_ylabel("Fashion-MNIST test accuracy")
    axes.set_title("Accuracy against training compute (grey: published results)")
    axes.legend(loc="lower right")
    figure.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(figure)


if __name__ == "__main__":
    main()
