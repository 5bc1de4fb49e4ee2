"""Training: one loop (`train`) for one run or a stack of runs, its settings, batches,
checkpoints and the CPU's subnormal-float setting."""

from .batches import BATCH_ORDERS, BatchSampler
from .checkpoint import Checkpoint
from .denormals import flush_denormals, flushing_denormals
from .loop import StepCallback, adam, check_finite, train, train_one
from .settings import TrainHistory, TrainSettings
from .stack import RunStack

__all__ = ["BATCH_ORDERS", "BatchSampler", "Checkpoint", "RunStack", "StepCallback", "TrainHistory", "TrainSettings", "adam",
           "check_finite", "flush_denormals", "flushing_denormals", "train", "train_one"]
