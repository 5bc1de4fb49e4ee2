"""What every physical system provides, and the recipes attached to it."""

from __future__ import annotations

import hashlib
import inspect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..hamiltonian import hamiltonian_vector_field
from ..render.shapes import Drawing


@dataclass(frozen=True)
class TrajectoryRecipe:
    """How the paper samples a training set from a system's true flow.

    `n_trajectories` initial states are integrated over t in [0, t_end] and observed at
    `n_points` evenly spaced times (both ends included); Gaussian noise of std `noise_std`
    is added to the observed states (the targets dx/dt are the noiseless field). All
    points are concatenated trajectory by trajectory and split at `test_fraction`:
    the test part is the first or the last block (`test_first`).
    With `chunk_points`, each trajectory is cut into consecutive chunks of that many points
    and only one of them, drawn at random, is kept (CHNN's training data: a short window of
    each long trajectory, so the set sees many initial states but little of each).
    """

    n_trajectories: int
    t_end: float
    n_points: int
    noise_std: float = 0.0
    test_fraction: float = 0.5
    test_first: bool = False
    rtol: float = 1e-10
    atol: float = 1e-10
    chunk_points: int | None = None

    def __post_init__(self) -> None:
        if self.chunk_points is not None and not (type(self.chunk_points) is int
                                                  and 2 <= self.chunk_points <= self.n_points):
            raise InvalidValueError(f"recipe chunk_points must be an integer from 2 to n_points ({self.n_points}), "
                                    f"got {self.chunk_points!r}")


@dataclass(frozen=True)
class EnergyProtocol:
    """Energy-MSE evaluation: `n_states` fresh initial states rolled out on t in [0, t_end].

    With `on_test_segment`, the reference is instead the measured test segment of the data
    set (its first state, its own time stamps); `n_states`, `t_end`, `n_points` are unused.
    With `reference_flow` too, the reference is the system's true flow from each test
    trajectory's first sample over its times (data simulated from a known H: the model's
    error without the observation noise), not the samples themselves.
    `plot_t_end` (None: `t_end`) is the horizon of the rollouts drawn in a run's figures.
    `reversibility_steps` > 0 also measures time reversibility: roll forward that many
    time units, reverse the momenta, roll forward as many again, reverse, and score the
    distance to the start (`hamnet.metrics.reversibility_error`). `horizon_states`: the
    held-out states of the long-horizon metrics, `horizon` their other settings
    (`hamnet.horizon.HorizonProtocol`'s fields; {}: its defaults).
    """

    n_states: int = 15
    t_end: float = 20.0
    n_points: int = 100
    on_test_segment: bool = False
    plot_t_end: float | None = None
    reversibility_steps: int = 0
    reference_flow: bool = False
    horizon_states: int = 15
    horizon: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.horizon_states, int) and self.horizon_states >= 1):
            raise InvalidValueError(f"protocol horizon_states must be a positive integer, got {self.horizon_states!r}")


#: Class attribute a plugin's loader sets: `source_digest` of the module as it was loaded.
SOURCE_DIGEST = "_hamnet_source_digest"


def source_digest(cls: type) -> str:
    """A digest of the source of `cls`'s module (a class defined interactively: of its
    methods' code and its attributes)."""
    try:
        source = Path(inspect.getfile(cls)).read_bytes()
    except (OSError, TypeError):
        source = repr([(key, (value.__code__.co_code, value.__code__.co_consts) if hasattr(value, "__code__")
                        else value) for key, value in sorted(vars(cls).items())]).encode()
    return hashlib.sha256(source).hexdigest()[:12]


class System:
    """A physical system in canonical coordinates x = [q..., p...] (float64 by default):
    Hamiltonian unless `conservative` is False.

    Subclasses set `name`, `dim`, `recipe`, `energy_protocol` and implement
    `hamiltonian` and `sample_initial`; they may override `vector_field` with a closed form.
    """

    name: ClassVar[str]
    dim: ClassVar[int]
    recipe: ClassVar[Any] = None  # a frozen dataclass (e.g. TrajectoryRecipe) read by the data source
    #: Size of what models observe when it is not the state itself (pixels), else None.
    observation_dim: ClassVar[int | None] = None
    #: Where training data comes from: a key of `hamnet.data.SOURCES`.
    data_source: ClassVar[str] = "trajectories"
    energy_protocol: ClassVar[EnergyProtocol] = EnergyProtocol()
    description: ClassVar[str] = ""
    #: Whether `vector_field` is J ∇`hamiltonian` (False: a damped system whose energy decays).
    conservative: ClassVar[bool] = True
    #: Whether dq/dt depends on p alone and dp/dt on q alone (H = T(p) + V(q)): what
    #: `leapfrog` and `yoshida4` need (`hamnet.integrators.is_separable`).
    separable: ClassVar[bool] = False
    #: Whether `mass_matrix` is the same at every q (models then compute it once).
    constant_mass: ClassVar[bool] = True
    #: Whether `hamiltonian` and `vector_field` are known (False: measured data without a
    #: known energy; energy metrics and true-field figures are left out).
    has_energy: ClassVar[bool] = True
    #: The holonomic constraints its states obey (`constraints.DistanceConstraints`), or
    #: None: unconstrained. Constrained models (`chnn`) impose them.
    constraints: Any = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "System":
        """The system built from its task options (`RunConfig.system_options`); most take none."""
        if options:
            raise InvalidValueError(f"task {cls.name!r} takes no options, got {', '.join(options)}")
        return cls()

    def options(self) -> dict[str, Any]:
        """The options that rebuild this system (`from_options`), spelled out."""
        return {}

    @property
    def label(self) -> str:
        """How results name the task (run directories, tables)."""
        return self.name

    @property
    def cache_name(self) -> str:
        """The name its generated data are cached under: hamnet's own systems by name; one
        defined elsewhere (a plugin) also by a digest of its module's source as loaded, so
        that an edit to the physics never meets data cached before it."""
        cls = type(self)
        if cls.__module__.startswith("hamnet."):
            return self.name
        return f"{self.name}-{getattr(cls, SOURCE_DIGEST, None) or source_digest(cls)}"

    def state_names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The names of q and p: a file's own (`MeasuredSystem`), else q, p for one degree of
        freedom and q1..qn, p1..pn for more."""
        if getattr(self, "coords", None) and getattr(self, "momenta", None):
            return tuple(self.coords), tuple(self.momenta)
        n = self.dim // 2
        if n == 1:
            return ("q",), ("p",)
        return tuple(f"q{i}" for i in range(1, n + 1)), tuple(f"p{i}" for i in range(1, n + 1))

    def mass_matrix(self, q: Tensor) -> Tensor:
        """M(q) with p = M(q) q̇, what models in (q, q̇) convert with (`hamnet.models.kinematics`):
        the inverse of ∂²H/∂p² at p = 0, by autograd (exact for a kinetic energy quadratic in
        p, every mechanical system's); systems may give it in closed form.
        q[..., n] -> [..., n, n]."""
        n = self.dim // 2
        flat = q.reshape(-1, n)

        def energy(p: Tensor) -> Tensor:  # Σ over the batch: its p-Hessian is block-diagonal
            return self.hamiltonian(torch.cat([flat, p], dim=-1)).sum()

        gradient, zero = torch.func.grad(energy), torch.zeros_like(flat)
        columns = [torch.func.jvp(gradient, (zero,), (torch.eye(n, dtype=q.dtype, device=q.device)[i].expand_as(flat),))[1]
                   for i in range(n)]  # each [b, n]: column i of every state's ∂²H/∂p²
        return torch.linalg.inv(torch.stack(columns, dim=-1)).reshape(*q.shape[:-1], n, n)

    def velocity_state(self, x: Tensor) -> Tensor:
        """Positions and velocities (q, q̇ = M(q)⁻¹ p) of states (q, p), as CHNN scores its
        rollouts.  x[..., 2n] -> [..., 2n]."""
        q, p = x.chunk(2, dim=-1)
        return torch.cat([q, torch.linalg.solve(self.mass_matrix(q), p.unsqueeze(-1)).squeeze(-1)], dim=-1)

    def mass_matrix_rate(self, q: Tensor, velocity: Tensor) -> Tensor:
        """dM/dt = Σ_k ∂M/∂q_k q̇_k along a motion, by forward-mode autograd of `mass_matrix`;
        systems may give it in closed form.  q, q̇ [..., n] -> [..., n, n]."""
        return torch.func.jvp(self.mass_matrix, (q,), (velocity,))[1]

    def training_span(self, recipe: dict[str, Any], protocol: dict[str, Any]) -> tuple[float, float] | None:
        """(the training data's time span, its time step) with which the long-horizon metrics
        (`hamnet.horizon`) scale, given a run's recipe and protocol fields; None where they
        do not apply (no true flow to roll out, or models that see observations)."""
        if not isinstance(self.recipe, TrajectoryRecipe) or self.observation_dim is not None:
            return None
        return recipe["t_end"], recipe["t_end"] / (recipe["n_points"] - 1)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """True energy.  x[..., dim] -> [...]."""
        raise NotImplementedError

    def vector_field(self, x: Tensor) -> Tensor:
        """True time derivative J ∇H by autograd (differentiable in x when x requires grad).
        x[..., dim] -> [..., dim]."""
        return hamiltonian_vector_field(self.hamiltonian, x, create_graph=x.requires_grad)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """Initial states of the training recipe.  -> [n, dim] float64."""
        raise NotImplementedError

    def sample_evaluation_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """Initial states of the energy-MSE protocol (default: the training sampler)."""
        return self.sample_initial(n, generator)

    def onto_manifold(self, x: Tensor) -> Tensor:
        """The nearest state a motion of the system can pass through (identity; constrained
        systems project onto their constraints): where the chaos floor's nudged states go
        (`hamnet.horizon`).  x [b, dim] -> [b, dim]."""
        return x

    def constraint_violation(self, x: Tensor) -> Tensor:
        """Per state how far it is off the system's constraints (relative; 0 for a system
        without any).  x [b, dim] -> [b]."""
        return x.new_zeros(x.shape[:-1])

    def body_positions(self, x: Tensor) -> Tensor | None:
        """Positions of point bodies in the plane, [..., N, 2], for orbit plots (None: no bodies)."""
        return None

    def turned(self, x: Tensor, angle: Tensor) -> Tensor:
        """The states x [n, dim] turned counter-clockwise about the origin by `angle` [n]
        (rad), for systems whose flow is symmetric under rotations of the plane (a frames
        recipe's `turn`); others raise InvalidValueError."""
        raise InvalidValueError(f"{self.name!r} has no rotations of the plane to turn its states by")

    def drawing(self, x: Tensor) -> Drawing | None:
        """What a frame of the states x [N, dim] shows (`hamnet.render`), for pixel tasks
        made of this system (`pixel_frames`); None: a system with nothing to draw."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"


def sample_annulus(
    n: int, r_min: float, r_max: float, generator: torch.Generator
) -> Tensor:
    """Points (q, p) with uniform direction and radius ~ U(r_min, r_max).  -> [n, 2] float64."""
    angle = torch.rand(n, generator=generator, dtype=torch.float64) * (2 * math.pi)
    radius = r_min + (r_max - r_min) * torch.rand(n, generator=generator, dtype=torch.float64)
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=-1)


def sample_pushed_box(n: int, dim: int, generator: torch.Generator) -> Tensor:
    """The paper's evaluation states: each coordinate U(-0.8, 0.8) pushed 0.2 away from 0.

    -> [n, dim] float64 with every |coordinate| in [0.2, 1.0].
    """
    x = (torch.rand(n, dim, generator=generator, dtype=torch.float64) * 1.6) - 0.8
    return x + 0.2 * torch.sign(x)
