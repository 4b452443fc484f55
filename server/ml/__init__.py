"""The no-show model: features, training, evaluation, the model registry and prediction."""
