"""maxpool-repro: the engine under the book (Brutzkus & Globerson, UAI 2021).

Public names: the distribution D of §3 (`OrthogonalPatterns`) and the book's variants, the network
ConvPool of Eq. 1 and the fully connected baseline (batched over a leading replica axis), the
trainers (`train` end to end, `train_layerwise` the paper's Algorithm 1, `accuracy`), and experiments
run through the results cache (`run`, `current_profile`).
"""

from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns, pattern_statistics
from lib.devices import default_device
from lib.mnist import MnistPatterns
from lib.models import MLP, ConvPool, FullyConnected
from lib.sweep import current_profile, run, settings_for
from lib.training import (
    LayerwiseResult,
    TrainingDivergedError,
    TrainResult,
    accuracy,
    train,
    train_layerwise,
)

__all__ = [
    "OrthogonalPatterns",
    "NoisyOrthogonalPatterns",
    "MnistPatterns",
    "pattern_statistics",
    "ConvPool",
    "FullyConnected",
    "MLP",
    "train",
    "train_layerwise",
    "accuracy",
    "TrainResult",
    "LayerwiseResult",
    "TrainingDivergedError",
    "default_device",
    "run",
    "settings_for",
    "current_profile",
]
