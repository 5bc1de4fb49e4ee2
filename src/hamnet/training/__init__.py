"""Training: one loop (`train`) for one run or a stack of runs, its settings, batches,
checkpoints, the precision of its steps and the CPU's subnormal-float setting."""

from .batches import BATCH_ORDERS, BatchSampler
from .checkpoint import Checkpoint
from .denormals import flush_denormals, flushing_denormals
from .loop import StepCallback, check_finite, optimizer_for, train, train_one
from .precision import PRECISIONS, bf16_supported, check_precision
from .settings import OPTIMIZERS, SCHEDULES, TrainHistory, TrainSettings
from .stack import RunStack

__all__ = ["BATCH_ORDERS", "BatchSampler", "Checkpoint", "OPTIMIZERS", "PRECISIONS", "SCHEDULES", "RunStack", "StepCallback", "TrainHistory",
           "TrainSettings", "bf16_supported", "check_finite", "check_precision", "flush_denormals",
           "flushing_denormals", "optimizer_for", "train", "train_one"]
