"""Holonomic distance constraints on point masses in d dimensions, and the constrained
Hamiltonian field they leave (Finzi, Wang & Wilson 2020, "Simplifying Hamiltonian and
Lagrangian Neural Networks via Explicit Constraints").

States are z = (x, p): x [b, n·d] every body's Cartesian position, body by body, and p
[b, n·d] their momenta, p_i = m_i v_i. Each constraint k ties body i to body j, or to a
fixed point, at distance l_k: Φ_k(x) = |r_k|² − l_k² with r_k = x_i − x_j (or x_i − a_k).
A motion that keeps Φ = 0 also keeps Φ̇_k = 2 r_k · (v_i − v_j) = 0, so the state lies on
the manifold Ψ(z) = (Φ, Φ̇) = 0 of dimension 2(n·d − C).

The field: ż = P J∇H with P f = f − J DΨ λ, λ solving (DΨᵀ J DΨ) λ = DΨᵀ f, the Lagrange
multipliers that keep DΨᵀ ż = 0. Written with K = ∂Φ/∂x [n·d, C] (columns 2 A r),
L = ∂Φ̇/∂x [n·d, C] (columns 2 A u, u = A v) and M⁻¹ the inverse masses, DΨ has the blocks
[[K, L], [0, M⁻¹K]], and DΨᵀ J DΨ = [[0, S], [−S, E]] with S = Kᵀ M⁻¹ K (symmetric
positive definite while the constraints are independent) and E = Lᵀ M⁻¹ K − Kᵀ M⁻¹ L. So
λ takes two solves with S (C × C) per state instead of one with the 2C × 2C antisymmetric
matrix: fewer products, and elimination without pivoting suffices (`hamnet.models.solve`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..models.solve import solve


@dataclass(frozen=True)
class DistanceConstraints:
    """C distance constraints on n bodies in d dimensions: constraint k ties body `first[k]`
    to body `second[k]` (−1: to the fixed point `anchors[k]`) at distance `lengths[k]`."""

    bodies: int
    d: int
    first: tuple[int, ...]
    second: tuple[int, ...]
    lengths: tuple[float, ...]
    anchors: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        count = len(self.first)
        if not (len(self.second) == len(self.lengths) == len(self.anchors) == count) or count == 0:
            raise InvalidValueError("a constraint set needs, per constraint, two ends, a length and an anchor")
        if any(not 0 <= i < self.bodies or not -1 <= j < self.bodies or i == j
               for i, j in zip(self.first, self.second)):
            raise InvalidValueError(f"constraints must tie two different bodies of 0..{self.bodies - 1} "
                                    "(or a body to a fixed point, −1)")
        if any(not (length > 0) for length in self.lengths):
            raise InvalidValueError("constraint lengths must be positive")
        if count > self.bodies * self.d:
            raise InvalidValueError(f"{count} constraints on {self.bodies * self.d} coordinates leave no motion")
        ends = [(min(i, j), max(i, j)) if j >= 0 else (i, -1, *anchor)
                for i, j, anchor in zip(self.first, self.second, self.anchors)]
        for k, end in enumerate(ends):
            if end in ends[:k]:
                raise InvalidValueError(f"constraints {ends.index(end)} and {k} tie the same bodies: the constraint "
                                        "Jacobian is singular (keep one of them)")

    @property
    def count(self) -> int:
        return len(self.first)

    def _incidence(self, like: Tensor) -> Tensor:
        """A [C, n]: +1 at each constraint's first body, −1 at its second (none for an anchor)."""
        a = like.new_zeros(self.count, self.bodies)
        rows = torch.arange(self.count)
        a[rows, torch.tensor(self.first)] = 1.0
        tied = torch.tensor([j >= 0 for j in self.second])
        a[rows[tied], torch.tensor([j for j in self.second if j >= 0], dtype=torch.long)] = -1.0
        return a

    def _separations(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(A, r): the incidence [C, n] and r_k = x_i − x_j or x_i − a_k, [b, C, d]."""
        a = self._incidence(x)
        anchors = x.new_tensor(self.anchors) * x.new_tensor([j < 0 for j in self.second]).unsqueeze(-1)
        return a, self._per_constraint(a, x) - anchors

    def _per_constraint(self, a: Tensor, y: Tensor) -> Tensor:
        """A y per body: [C, n] × y [b, n·d] -> [b, C, d] (r from positions, u from velocities)."""
        return a @ y.reshape(-1, self.bodies, self.d)

    def _columns(self, a: Tensor, r: Tensor) -> Tensor:
        """The gradients 2 A r as columns: [C, n] × r [b, C, d] -> [b, n·d, C]."""
        columns = a.transpose(0, 1)[None, :, None, :] * r.transpose(1, 2).unsqueeze(1)  # [b, n, d, C]
        return 2 * columns.reshape(-1, self.bodies * self.d, self.count)

    def residual(self, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """(Φ, Φ̇): |r_k|² − l_k² and 2 r_k · (v_i − v_j).  x, v [..., n·d] -> [..., C] each."""
        shape = x.shape[:-1]
        x, v = x.reshape(-1, x.shape[-1]), v.reshape(-1, v.shape[-1])
        phi, rate = self._residual(x, v)
        return phi.reshape(*shape, -1), rate.reshape(*shape, -1)

    def _residual(self, x: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        a, r = self._separations(x)
        u = self._per_constraint(a, v)
        return (r * r).sum(-1) - x.new_tensor(self.lengths) ** 2, 2 * (r * u).sum(-1)

    def project_field(self, f: Tensor, x: Tensor, v: Tensor, inverse_mass: Tensor) -> Tensor:
        """P f: the field f [..., 2·n·d] with the constraint forces that keep Ψ = 0 added
        (module docstring). x, v [..., n·d]; inverse_mass [n·d] (each body's 1/m, per coordinate)."""
        shape = f.shape
        f, x, v = f.reshape(-1, shape[-1]), x.reshape(-1, x.shape[-1]), v.reshape(-1, v.shape[-1])
        return self._project_field(f, x, v, inverse_mass).reshape(shape)

    def _project_field(self, f: Tensor, x: Tensor, v: Tensor, inverse_mass: Tensor) -> Tensor:
        a, r = self._separations(x)
        u = self._per_constraint(a, v)
        k, l = self._columns(a, r), self._columns(a, u)  # ∂Φ/∂x and ∂Φ̇/∂x [b, n·d, C]
        mk = inverse_mass.unsqueeze(-1) * k  # M⁻¹ K
        f_x, f_p = f.chunk(2, dim=-1)
        s = k.transpose(1, 2) @ mk  # [b, C, C]
        e = l.transpose(1, 2) @ mk - mk.transpose(1, 2) @ l
        r1 = (k * f_x.unsqueeze(-1)).sum(1)  # Kᵀ f_x [b, C]
        r2 = (l * f_x.unsqueeze(-1)).sum(1) + (mk * f_p.unsqueeze(-1)).sum(1)
        second = _solve(s, r1)
        first = _solve(s, (e @ second.unsqueeze(-1)).squeeze(-1) - r2)
        correction_x = (mk @ second.unsqueeze(-1)).squeeze(-1)
        correction_p = -(k @ first.unsqueeze(-1)).squeeze(-1) - (l @ second.unsqueeze(-1)).squeeze(-1)
        return f - torch.cat([correction_x, correction_p], dim=-1)

    def acceleration(self, force: Tensor, x: Tensor, v: Tensor, inverse_mass: Tensor) -> Tensor:
        """The acceleration of bodies under `force` that keeps the constraints (Lagrangian
        form, CLNN's): a = M⁻¹ (f + K λ) with Φ̈ = Kᵀ a + 2 |u_k|² = 0, so one C × C solve
        S λ = −2|u|² − Kᵀ M⁻¹ f, S = Kᵀ M⁻¹ K.  force, x, v [b, n·d]; inverse_mass [n·d] -> [b, n·d]."""
        a, r = self._separations(x)
        u = self._per_constraint(a, v)
        k = self._columns(a, r)  # [b, n·d, C]
        mk = inverse_mass.unsqueeze(-1) * k
        free = force * inverse_mass
        multipliers = _solve(k.transpose(1, 2) @ mk, -2 * (u * u).sum(-1) - (k * free.unsqueeze(-1)).sum(1))
        return free + (mk @ multipliers.unsqueeze(-1)).squeeze(-1)

    def project_state(self, x: Tensor, v: Tensor, inverse_mass: Tensor, tol: float = 1e-12,
                      max_iter: int = 50) -> tuple[Tensor, Tensor]:
        """The nearest state on the manifold: positions by Newton steps x ← x − K (KᵀK)⁻¹ Φ,
        then velocities with their normal part (in the mass metric) removed.  x, v [b, n·d]
        float64 -> (x, v); `InvalidValueError` where Newton does not reach |Φ| < tol·(1 + l²)
        (constraints that cannot all hold, or a state too far off them)."""
        scale = 1 + max(self.lengths) ** 2
        for _ in range(max_iter):
            phi, _ = self._residual(x, v)
            if bool((phi.abs().amax(-1) < tol * scale).all()):
                break
            a, r = self._separations(x)
            k = self._columns(a, r)
            x = x - (k @ _solve(k.transpose(1, 2) @ k, phi).unsqueeze(-1)).squeeze(-1)
        else:
            worst = float(self._residual(x, v)[0].abs().max())
            raise InvalidValueError(f"the constraints cannot all hold here: after {max_iter} Newton steps "
                                    f"a distance is still off by {worst:.3g} (squared)")
        a, r = self._separations(x)
        k = self._columns(a, r)
        mk = inverse_mass.unsqueeze(-1) * k
        normal = _solve(k.transpose(1, 2) @ mk, (k * v.unsqueeze(-1)).sum(1))
        return x, v - (mk @ normal.unsqueeze(-1)).squeeze(-1)

    def violation(self, x: Tensor, v: Tensor) -> Tensor:
        """Per state how far it is off the manifold: max_k of |Φ_k| / l_k² and |Φ̇_k| / (l_k
        (1 + |u_k|)), relative errors of the squared distances and of their rates.
        x, v [b, n·d] -> [b]."""
        phi, rate = self._residual(x, v)
        lengths = x.new_tensor(self.lengths)
        a, _ = self._separations(x)
        speed = self._per_constraint(a, v).norm(dim=-1)
        return torch.maximum((phi / lengths ** 2).abs().amax(-1), (rate / (lengths * (1 + speed))).abs().amax(-1))


def _solve(a: Tensor, b: Tensor) -> Tensor:
    """`solve`, with a singular matrix (dependent constraints at some state) refused in one line."""
    try:
        return solve(a, b)
    except torch.linalg.LinAlgError:
        raise InvalidValueError("the constraint Jacobian is singular at some state: the constraints are not "
                                "independent there (bodies on top of each other or of their anchor?)") from None
