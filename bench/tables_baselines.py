"""Baselines for `npm run bench:tables` on the exact split and inputs mlctl trained on.

usage: python3 bench/tables_baselines.py TRAIN.csv TEST.csv classification|regression [CATEGORIES]

Each CSV holds mlctl's encoded inputs (one-hot categories, missing-value indicators, date features, and for a
category over mlctl's one-hot limit one column of its index: 0 for unknown, 1..K) and a last column `target`
(a class index or a value). CATEGORIES, JSON [[column, count], ...], names those index columns and their
number of indices. Prints one JSON object: the test metric (accuracy or R²) of predicting the training
mean / majority class, of linear least squares (regression) or logistic regression (classification), and of
scikit-learn's HistGradientBoosting with its defaults.

An index column is one-hot encoded for the linear models (a category's index means nothing as a number) and
given to HistGradientBoosting as a categorical feature when it has at most 255 indices (its max_bins); a
larger one stays an ordinal code, which trees can still split.
"""
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MAX_BINS = 255


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, :-1], data[:, -1]


def one_hot(x, categories):
    """The index columns replaced by one 0/1 column per index."""
    index_columns = {column for column, _ in categories}
    parts = [x[:, [c for c in range(x.shape[1]) if c not in index_columns]]]
    for column, count in categories:
        parts.append(np.eye(count)[x[:, column].astype(int)])
    return np.hstack(parts)


def main():
    train_path, test_path, task = sys.argv[1:4]
    categories = json.loads(sys.argv[4]) if len(sys.argv) > 4 else []
    x_train, y_train = load(train_path)
    x_test, y_test = load(test_path)
    linear_train, linear_test = one_hot(x_train, categories), one_hot(x_test, categories)
    categorical = np.zeros(x_train.shape[1], dtype=bool)
    for column, count in categories:
        categorical[column] = count <= MAX_BINS
    trees = {"categorical_features": categorical if categorical.any() else None, "random_state": 0}
    if task == "classification":
        y_train, y_test = y_train.astype(int), y_test.astype(int)
        majority = np.bincount(y_train).argmax()
        linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(linear_train, y_train)
        boosted = HistGradientBoostingClassifier(**trees).fit(x_train, y_train)
        result = {
            "mean": accuracy_score(y_test, np.full_like(y_test, majority)),
            "linear": accuracy_score(y_test, linear.predict(linear_test)),
            "boosting": accuracy_score(y_test, boosted.predict(x_test)),
        }
    else:
        design = lambda x: np.hstack([x, np.ones((len(x), 1))])
        weights, *_ = np.linalg.lstsq(design(linear_train), y_train, rcond=None)
        boosted = HistGradientBoostingRegressor(**trees).fit(x_train, y_train)
        result = {
            "mean": r2_score(y_test, np.full_like(y_test, y_train.mean())),
            "linear": r2_score(y_test, design(linear_test) @ weights),
            "boosting": r2_score(y_test, boosted.predict(x_test)),
        }
    print(json.dumps(result))


main()
