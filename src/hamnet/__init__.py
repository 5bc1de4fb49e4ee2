"""hamnet: Hamiltonian Neural Networks and baselines, from data to the paper's tables.

    import hamnet
    system = hamnet.systems.get("spring")
    model = hamnet.load("runs/spring-hnn")
    xs = hamnet.rollout(model.time_derivative, x0, t, method="dopri5")
"""

from . import data, errors, experiments, metrics, models, systems
from .errors import HamnetError
from .integrate import rollout
from .runs import RunConfig, load

__version__ = "0.1.0"

__all__ = ["HamnetError", "RunConfig", "data", "errors", "experiments", "load", "metrics",
           "models", "rollout", "systems"]
