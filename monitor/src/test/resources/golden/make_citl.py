#!/usr/bin/python3
"""Calibration-in-the-large reference values: the MLE of a in y ~ Bernoulli(expit(a + logit p)) (slope
fixed at 1, i.e. logit p as an offset), with its Wald 95% interval, on the golden score files, by SciPy's
brentq on the exact per-case score equation sum(y - expit(a + logit p)) = 0 (no binning). Scores are
clipped to [1e-6, 1 - 1e-6] as Vigil clips them. Run: /usr/bin/python3 make_citl.py (writes citl.json).
"""
import csv, json, math, os
import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

HERE = os.path.dirname(os.path.abspath(__file__))
Z = 1.959963984540054


def citl(scores, labels):
    x = logit(np.clip(np.asarray(scores, dtype=float), 1e-6, 1 - 1e-6))
    y = np.asarray(labels, dtype=float)
    a = brentq(lambda a: float(np.sum(y - expit(a + x))), -50, 50, xtol=1e-14)
    mu = expit(a + x)
    se = 1 / math.sqrt(float(np.sum(mu * (1 - mu))))
    return {"n": int(len(y)), "calibration_in_the_large": a,
            "calibration_in_the_large_ci": [a - Z * se, a + Z * se]}


def read(name):
    with open(os.path.join(HERE, name)) as f:
        return list(csv.DictReader(f))


out = {}
wdbc = read("wdbc_scores.csv")
out["wdbc"] = citl([float(r["score"]) for r in wdbc], [int(r["label"]) for r in wdbc])
fleet = read("fleet_scores.csv")
out["fleet"] = citl([float(r["score"]) for r in fleet], [int(r["label"]) for r in fleet])
for scanner in sorted({r["scanner"] for r in fleet}):
    rows = [r for r in fleet if r["scanner"] == scanner]
    out["fleet/" + scanner] = citl([float(r["score"]) for r in rows], [int(r["label"]) for r in rows])
with open(os.path.join(HERE, "citl.json"), "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
