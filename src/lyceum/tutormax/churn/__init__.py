"""TutorMax's churn model, pure (NumPy, pandas, SciPy, scikit-learn; no database or web).

- `features`: the feature spec in plain words, and features from windowed counts;
- `survival`: person-period rows, survival curves, the 7/30/90-day horizons;
- `model`: the sign-constrained logistic discrete-time hazard model and its artifact;
- `risk`: the 0-100 risk score, its levels, reasons' sizes in points;
- `explain`: the reasons in words (`contributing_factors`);
- `predict`: everything a prediction row holds, for many tutors at once;
- `training`: snapshot days and the fit with its metadata;
- `metrics`: AUC, Brier score, calibration table, expected calibration error;
- `baselines`: the recency and logins-only yardsticks;
- `evaluation`: the time-holdout evaluation and its targets.

The SQL that feeds it is `repository/features.py`; the orchestration `service/churn.py`.
"""
