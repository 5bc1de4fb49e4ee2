"""Candidate terms of a distilled Hamiltonian: monomials of the coordinates and momenta up
to a degree, sin and cos of every position, 1/r of the distance between every two bodies,
and terms the user writes. Each term is a `HamiltonianExpression`, so its gradient comes
from its symbolic derivatives and the final formula is text `--hamiltonian` reads."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..expression import HamiltonianExpression

#: Largest polynomial degree a library may ask for (the count of monomials grows as C(2n + d, d)).
MAX_DEGREE = 8
#: Largest library (terms); beyond it the regression is ill-posed on any data set hamnet makes.
MAX_TERMS = 2000


@dataclass(frozen=True)
class LibrarySpec:
    """Which terms to try: monomials of total degree 1..`degree` (0: none) in all 2n state
    variables; `trig`: sin and cos of every position; `pairwise`: the spatial dimension D
    of bodies whose positions are q = (body 1's D coordinates, body 2's, ...), adding 1/r
    for every pair (None: no such terms); `terms`: the user's own expressions."""

    degree: int = 4
    trig: bool = True
    pairwise: int | None = None
    terms: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not isinstance(self.degree, int) or not 0 <= self.degree <= MAX_DEGREE:
            raise InvalidValueError(f"the library's degree must be an integer in 0..{MAX_DEGREE}, got {self.degree!r}")
        if self.pairwise is not None and (not isinstance(self.pairwise, int) or self.pairwise < 1):
            raise InvalidValueError(f"--pairwise must be a spatial dimension of at least 1, got {self.pairwise!r}")

    def to_dict(self) -> dict:
        return {"degree": self.degree, "trig": self.trig, "pairwise": self.pairwise, "terms": list(self.terms)}


def parse_terms(text: str | None) -> tuple[str, ...]:
    """The user's `--terms "cos(q1-q2), q1*p2"`: comma-separated expressions (commas inside
    parentheses belong to their term)."""
    if text is None:
        return ()
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text + ","):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(text[start:i].strip())
            start = i + 1
    if not all(terms):
        raise InvalidValueError(f"--terms must be comma-separated expressions, got {text!r}")
    return tuple(terms)


def build_library(spec: LibrarySpec, coords: tuple[str, ...], momenta: tuple[str, ...]) -> list[HamiltonianExpression]:
    """The library's terms over the named state variables, without duplicates (the user's
    terms last). Raises `InvalidValueError` (one line) for a term in unknown symbols or a
    constant term, and for a `pairwise` dimension that does not divide the positions."""
    names = (*coords, *momenta)
    texts: list[str] = []
    for degree in range(1, spec.degree + 1):
        for combo in itertools.combinations_with_replacement(names, degree):
            texts.append(_monomial(combo))
    if spec.trig:
        texts += [f"{fn}({q})" for q in coords for fn in ("sin", "cos")]
    if spec.pairwise is not None:
        if len(coords) % spec.pairwise:
            raise InvalidValueError(f"--pairwise {spec.pairwise}: the {len(coords)} positions are not bodies of "
                                    f"{spec.pairwise} coordinates each")
        bodies = [coords[i:i + spec.pairwise] for i in range(0, len(coords), spec.pairwise)]
        for a, b in itertools.combinations(bodies, 2):
            texts.append("1/sqrt(" + " + ".join(f"({u} - {v})**2" for u, v in zip(a, b)) + ")")
    library: list[HamiltonianExpression] = []
    seen = set()
    for text in [*texts, *spec.terms]:
        try:
            term = HamiltonianExpression.parse(text, coords, momenta)
        except InvalidValueError as exc:
            raise InvalidValueError(f"library term {text!r}: {exc}") from None
        if term.sympy() not in seen:
            seen.add(term.sympy())
            library.append(term)
    if len(library) > MAX_TERMS:
        raise InvalidValueError(f"the library has {len(library)} terms, more than {MAX_TERMS}; lower --degree")
    return library


def _monomial(combo: tuple[str, ...]) -> str:
    """("q", "q", "p") -> "q**2*p"."""
    powers = Counter(combo)
    return "*".join(name if power == 1 else f"{name}**{power}" for name, power in powers.items())


def term_gradients(library: list[HamiltonianExpression], x: Tensor) -> Tensor:
    """∂θ_k/∂x of every term at every state.  x[N, 2n] float64 -> [N, 2n, K]."""
    return torch.stack([term.gradient(x) for term in library], dim=-1)


def term_values(library: list[HamiltonianExpression], x: Tensor) -> Tensor:
    """θ_k(x) of every term.  x[N, 2n] -> [N, K]."""
    return torch.stack([torch.as_tensor(term(x), dtype=x.dtype).expand(x.shape[:-1]) for term in library], dim=-1)
