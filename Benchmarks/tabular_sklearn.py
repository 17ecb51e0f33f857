"""Our table models against scikit-learn on the datasets scikit-learn bundles (issue #16).

Writes each dataset as CSV with a header (class names as text labels) to OUT, with a fixed
75/25 stratified split (random_state=0), then runs in the same process:
  - scikit-learn: make_pipeline(StandardScaler(), MLPClassifier()) with default settings fitted on
    the training part and scored on the test part, and cross_val_score(..., cv=5) on all rows;
    for the regression, Ridge() as the issue names it and make_pipeline(StandardScaler(), Ridge()).
    MLPClassifier draws its initial weights at random (random_state=None by default), so it is run
    with random_state 0 to SEEDS-1 and its mean is the reference;
  - ours: `deeplearn train --csv train.csv --test-csv test.csv --label target --json` and
    `deeplearn cv --csv all.csv --label target --folds 5 --json`, with their defaults: seed 0 is
    the score compared, and seeds 0 to SEEDS-1 give our mean and range for context.
Prints one JSON object: per dataset, both scores and whether ours is at least scikit-learn's.
Extra arguments after `--` are passed to both deeplearn commands (to try other settings).

    python Benchmarks/tabular_sklearn.py --deeplearn .build/release/deeplearn --out /tmp/tables
"""
import argparse
import csv
import json
import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import json_output

CLASSIFICATION = {"iris": datasets.load_iris, "wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer}
REGRESSION = {"diabetes": datasets.load_diabetes}


def write_csv(path, names, x, y):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(names) + ["target"])
        for row, label in zip(x, y):
            w.writerow([repr(float(v)) for v in row] + [label])


def processor():
    """The processor's name and the vector extensions that matter to our kernels."""
    try:
        info = open("/proc/cpuinfo").read()
        name = next(l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name"))
        flags = next(l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags"))
        return name + " (" + " ".join(f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni") if f in flags) + ")"
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def ours(binary, *args):
    return json_output([binary, *args, "--json"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deeplearn", default=".build/release/deeplearn")
    parser.add_argument("--out", default="/tmp/deeplearn-tables")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("extra", nargs="*", help="flags for deeplearn, after --")
    args = parser.parse_args()
    seeds = range(args.seeds)
    os.makedirs(args.out, exist_ok=True)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    results = {"sklearn": sklearn.__version__, "processor": processor(), "datasets": {}}
    for name, loader in {**CLASSIFICATION, **REGRESSION}.items():
        data = loader()
        x, y = data.data, data.target
        classification = name in CLASSIFICATION
        labels = np.array([str(data.target_names[t]) for t in y]) if classification else y
        xtr, xte, ytr, yte = train_test_split(x, labels, test_size=0.25, random_state=0,
                                              stratify=labels if classification else None)
        paths = {part: os.path.join(args.out, f"{name}-{part}.csv") for part in ("train", "test", "all")}
        write_csv(paths["train"], data.feature_names, xtr, ytr)
        write_csv(paths["test"], data.feature_names, xte, yte)
        write_csv(paths["all"], data.feature_names, x, labels)

        if classification:
            references = {"StandardScaler+MLPClassifier()": [make_pipeline(StandardScaler(), MLPClassifier(random_state=k)) for k in seeds]}
        else:
            references = {"Ridge()": [Ridge()], "StandardScaler+Ridge()": [make_pipeline(StandardScaler(), Ridge())]}
        entry = {"metric": "accuracy" if classification else "r2", "rows": len(y), "features": x.shape[1], "test_rows": len(yte)}
        t = time.perf_counter()
        for label, estimators in references.items():
            entry[label] = {"test": round(float(np.mean([e.fit(xtr, ytr).score(xte, yte) for e in estimators])), 4),
                            "cv_mean": round(float(np.mean([cross_val_score(e, x, labels, cv=5).mean() for e in estimators])), 4)}
        entry["sklearn_seconds"] = round(time.perf_counter() - t, 3)

        key = "test_accuracy" if classification else "test_r2"
        tests, cvs = [], []
        t = time.perf_counter()
        for seed in seeds:
            run = ours(args.deeplearn, "train", "--csv", paths["train"], "--test-csv", paths["test"], "--label", "target",
                       "--output", os.path.join(args.out, f"{name}.safetensors"), "--seed", str(seed), *args.extra)
            cv = ours(args.deeplearn, "cv", "--csv", paths["all"], "--label", "target", "--folds", "5", "--seed", str(seed), *args.extra)
            tests.append(run[key])
            cvs.append(cv["cv_mean"])
            if seed == 0:
                entry["ours_seed0"] = {"test": round(run[key], 4), "cv_mean": round(cv["cv_mean"], 4), "cv_std": round(cv["cv_std"], 4),
                                       "epochs_trained": run["epochs_trained"]}
        entry["ours_seeds"] = {"test_mean": round(float(np.mean(tests)), 4), "test_range": [round(min(tests), 4), round(max(tests), 4)],
                               "cv_mean": round(float(np.mean(cvs)), 4), "cv_range": [round(min(cvs), 4), round(max(cvs), 4)]}
        entry["ours_seconds"] = round(time.perf_counter() - t, 3)
        for label in references:
            entry[label]["ours_test_at_least"] = bool(entry["ours_seed0"]["test"] >= entry[label]["test"])
            entry[label]["ours_cv_at_least"] = bool(entry["ours_seed0"]["cv_mean"] >= entry[label]["cv_mean"])
            entry[label]["ours_mean_at_least"] = bool(entry["ours_seeds"]["test_mean"] >= entry[label]["test"]
                                                      and entry["ours_seeds"]["cv_mean"] >= entry[label]["cv_mean"])
        results["datasets"][name] = entry
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
