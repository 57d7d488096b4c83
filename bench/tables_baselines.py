"""Baselines for `npm run bench:tables` on the exact split and inputs mlctl trained on.

usage: python3 bench/tables_baselines.py TRAIN.csv TEST.csv classification|regression

Each CSV holds mlctl's encoded inputs (one-hot categories, missing-value indicators, date features) and a
last column `target` (a class index or a value). Prints one JSON object: the test metric (accuracy or R²)
of predicting the training mean / majority class, of linear least squares (regression) or logistic
regression (classification), and of scikit-learn's HistGradientBoosting with its defaults.
"""
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, :-1], data[:, -1]


def main():
    train_path, test_path, task = sys.argv[1:4]
    x_train, y_train = load(train_path)
    x_test, y_test = load(test_path)
    if task == "classification":
        y_train, y_test = y_train.astype(int), y_test.astype(int)
        majority = np.bincount(y_train).argmax()
        linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(x_train, y_train)
        boosted = HistGradientBoostingClassifier(random_state=0).fit(x_train, y_train)
        result = {
            "mean": accuracy_score(y_test, np.full_like(y_test, majority)),
            "linear": accuracy_score(y_test, linear.predict(x_test)),
            "boosting": accuracy_score(y_test, boosted.predict(x_test)),
        }
    else:
        design = lambda x: np.hstack([x, np.ones((len(x), 1))])
        weights, *_ = np.linalg.lstsq(design(x_train), y_train, rcond=None)
        boosted = HistGradientBoostingRegressor(random_state=0).fit(x_train, y_train)
        result = {
            "mean": r2_score(y_test, np.full_like(y_test, y_train.mean())),
            "linear": r2_score(y_test, design(x_test) @ weights),
            "boosting": r2_score(y_test, boosted.predict(x_test)),
        }
    print(json.dumps(result))


main()
