"""A distilled law: H = Σ_k c_k θ_k(q, p) over the chosen library terms, as text the
`--hamiltonian` options read, as LaTeX, and as a dynamics model that rolls out and is
scored like any trained network (`FormulaModel`)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
import torch
from torch import Tensor, nn

from ..expression import HamiltonianExpression
from ..hamiltonian import symplectic_gradient
from ..models import DynamicsModel
from ..systems.expression import ExpressionSystem, Sampler

#: Significant digits of the coefficients in the formula's text (what --hamiltonian reads).
DIGITS = 8


@dataclass(frozen=True)
class Formula:
    """Σ_k coefficients[k] · terms[k] over states [coords, momenta]; `intervals[k]` the
    bootstrap interval (low, high) of coefficients[k]."""

    terms: tuple[str, ...]
    coefficients: tuple[float, ...]
    intervals: tuple[tuple[float, float], ...]
    coords: tuple[str, ...]
    momenta: tuple[str, ...]

    @property
    def text(self) -> str:
        """The formula as an expression `HamiltonianExpression` parses (`hamnet simulate
        --hamiltonian`), e.g. "1.0000012*(q**2) + 0.99999*(p**2)"."""
        return " + ".join(f"{c:.{DIGITS}g}*({term})" for c, term in zip(self.coefficients, self.terms)) or "0"

    def sympy(self, digits: int = 4) -> sympy.Expr:
        """The formula with coefficients rounded to `digits` significant digits."""
        return sympy.Add(*(sympy.Float(c, digits) * HamiltonianExpression.parse(t, self.coords, self.momenta).sympy()
                           for c, t in zip(self.coefficients, self.terms)))

    @property
    def latex(self) -> str:
        return sympy.latex(self.sympy())

    def expression(self) -> HamiltonianExpression:
        return HamiltonianExpression.parse(self.text, self.coords, self.momenta)

    def system(self, sampler: Sampler = Sampler()) -> ExpressionSystem:
        """The formula as a hamnet system (`hamnet.systems.get("hamiltonian", ...)`): its
        field, energy and sampled trajectories, like any built-in system's."""
        return ExpressionSystem(self.expression(), sampler)

    def to_dict(self) -> dict:
        return {"text": self.text, "pretty": str(self.sympy()), "latex": self.latex, "coords": list(self.coords),
                "momenta": list(self.momenta),
                "terms": [{"term": t, "coefficient": c, "interval": list(i)}
                          for t, c, i in zip(self.terms, self.coefficients, self.intervals)]}

    @classmethod
    def from_dict(cls, raw: dict) -> "Formula":
        terms = raw["terms"]
        return cls(tuple(t["term"] for t in terms), tuple(float(t["coefficient"]) for t in terms),
                   tuple(tuple(t["interval"]) for t in terms), tuple(raw["coords"]), tuple(raw["momenta"]))


class FormulaModel(DynamicsModel):
    """dx/dt = J ∇H_formula (+ ∇D_formula for a distilled dissipative model), in float64.

    The gradients come from the terms' symbolic derivatives, so rollouts need no autograd.
    The coefficients are the module's parameters (so `.double()` and friends work)."""

    kind, title, color = "formula", "formula", "tab:red"
    description = "a distilled formula: dx/dt = J grad H_formula"

    def __init__(self, hamiltonian: Formula, dissipation: Formula | None = None):
        dim = 2 * len(hamiltonian.coords)
        super().__init__(dim, ())
        self.formula, self.dissipation_formula = hamiltonian, dissipation
        self._h = [HamiltonianExpression.parse(t, hamiltonian.coords, hamiltonian.momenta) for t in hamiltonian.terms]
        self.h_coefficients = nn.Parameter(torch.tensor(hamiltonian.coefficients, dtype=torch.float64),
                                           requires_grad=False)
        self._d = [] if dissipation is None else [HamiltonianExpression.parse(t, dissipation.coords, dissipation.momenta)
                                                   for t in dissipation.terms]
        self.d_coefficients = nn.Parameter(torch.tensor(dissipation.coefficients if dissipation else (),
                                                        dtype=torch.float64), requires_grad=False)

    @staticmethod
    def _gradient(terms: list[HamiltonianExpression], coefficients: Tensor, x: Tensor) -> Tensor:
        if not terms:
            return torch.zeros_like(x)
        return torch.stack([term.gradient(x) for term in terms], dim=-1) @ coefficients.to(x.dtype)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """H_formula.  x[batch, dim] -> [batch] in x's dtype."""
        values = [torch.as_tensor(term(x), dtype=x.dtype).expand(x.shape[:-1]) for term in self._h]
        return torch.stack(values, dim=-1) @ self.h_coefficients.to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        field = symplectic_gradient(self._gradient(self._h, self.h_coefficients, x))
        return field + self._gradient(self._d, self.d_coefficients, x) if self._d else field
