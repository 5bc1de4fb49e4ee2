"""Hyperparameter tuning with Optuna: a search space (`space`), trials that train on the
training split and score on a validation split cut from it (`trial`), studies per task ×
model on the job backends (`study`, each a `record.Study`), and the tuned preset and its
report (`report`)."""
