"""maxpool-repro: the engine under the book (Brutzkus & Globerson, UAI 2021).

Public names: the distribution (`OrthogonalPatterns`), the models (`MaxPoolCNN`, `FullyConnected`,
batched over a leading replica axis), the trainer (`train`, `accuracy`), and experiments run through
the results cache (`run`, `current_profile`).
"""
from lib.distributions import DigitPatterns, NoisyOrthogonalPatterns, OrthogonalPatterns, pattern_statistics
from lib.models import FullyConnected, MaxPoolCNN
from lib.sweep import current_profile, run
from lib.training import TrainingDivergedError, TrainResult, accuracy, default_device, train

__all__ = [
    "OrthogonalPatterns",
    "NoisyOrthogonalPatterns",
    "DigitPatterns",
    "pattern_statistics",
    "MaxPoolCNN",
    "FullyConnected",
    "train",
    "accuracy",
    "TrainResult",
    "TrainingDivergedError",
    "default_device",
    "run",
    "current_profile",
]
