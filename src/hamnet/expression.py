"""A Hamiltonian written by the user as text, e.g. "p**2/2 + q**4/4 - q**2/2".

The text is never given to eval/exec, nor to sympy.sympify/parse_expr: those evaluate
Python code internally, so "__import__('os').system(...)" would run.  Instead the text
is parsed with `ast` and only a whitelist of nodes (numbers, the given names, pi, e,
+ - * / **, and one-argument calls of a few functions) is turned into a sympy
expression, which is then evaluated with plain torch operations.
"""

from __future__ import annotations

import ast
import keyword
import math
import reprlib
from dataclasses import dataclass
from typing import Callable, Sequence

import sympy
import torch
from torch import Tensor

from .errors import InvalidValueError

MAX_LENGTH = 10_000
_FUNCTIONS = {"sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp,
              "log": sympy.log, "sqrt": sympy.sqrt, "sinh": sympy.sinh, "cosh": sympy.cosh,
              "tanh": sympy.tanh, "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
              "abs": sympy.Abs}
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E}
_TORCH = {f: getattr(torch, name) for name, f in _FUNCTIONS.items() if name != "sqrt"}  # a Pow
_GROUPS = {ast.Add: sympy.Add, ast.Sub: sympy.Add, ast.Mult: sympy.Mul, ast.Div: sympy.Mul}
_INVERSES = {ast.Sub: lambda term: -term, ast.Div: lambda factor: 1 / factor}
_KINDS = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Compare: "comparison",
          ast.Lambda: "lambda", ast.Tuple: "tuple", ast.List: "list", ast.Constant: "constant"}
_NONFINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)
_REPR = reprlib.Repr()
_REPR.maxstring = 120  # error messages quote at most this much of the text
_quote = _REPR.repr


@dataclass(frozen=True)
class HamiltonianExpression:
    """H(q, p) from text.  Call it on states x[..., 2n] = [q_1..q_n, p_1..p_n] to get H[...]."""

    text: str
    coords: tuple[str, ...]
    momenta: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, coords: Sequence[str],
              momenta: Sequence[str]) -> HamiltonianExpression:
        """Vet and parse `text`; raises InvalidValueError (one line) on anything not allowed."""
        return cls(text, coords, momenta)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidValueError(f"the Hamiltonian must be text, not {type(self.text).__name__}")
        object.__setattr__(self, "text", self.text.strip())
        object.__setattr__(self, "coords", _check_names("coordinate", self.coords))
        object.__setattr__(self, "momenta", _check_names("momentum", self.momenta))
        if len(self.coords) != len(self.momenta):
            raise InvalidValueError(f"{len(self.coords)} coordinates {self.coords} but "
                                    f"{len(self.momenta)} momenta {self.momenta}; they must pair")
        if len(set(self.coords + self.momenta)) < self.dim:
            raise InvalidValueError(f"duplicate names in coordinates {self.coords} and "
                                    f"momenta {self.momenta}")
        symbols = tuple(sympy.Symbol(name, real=True) for name in self.coords + self.momenta)
        expr = _Builder(self, dict(zip(self.coords + self.momenta, symbols))).build()
        object.__setattr__(self, "_symbols", symbols)
        object.__setattr__(self, "_expr", expr)
        index = {symbol: i for i, symbol in enumerate(symbols)}
        object.__setattr__(self, "_evaluate", _compile(expr, index, self.text))

    def __reduce__(self):
        return (type(self), (self.text, self.coords, self.momenta))  # re-parse on unpickle

    @property
    def dim(self) -> int:
        """Length 2n of a state x = [q, p]."""
        return 2 * len(self.coords)

    @property
    def separable(self) -> bool:
        """True iff H = T(p) + V(q), i.e. every d2H/(dq_i dp_j) simplifies to 0."""
        n = len(self.coords)
        return all(sympy.simplify(sympy.diff(self._expr, q, p)) == 0
                   for q in self._symbols[:n] for p in self._symbols[n:])

    def __call__(self, x: Tensor) -> Tensor:
        """x[..., 2n] -> H[...], with torch ops only (autograd, any dtype and device)."""
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise InvalidValueError(f"the Hamiltonian {_quote(self.text)} expects states of "
                                    f"{self.dim} values (q then p), got shape {tuple(x.shape)}")
        return self._evaluate(x.unbind(-1))

    def sympy(self) -> sympy.Expr:
        """The symbolic expression (symbols are real sympy.Symbols named as coords/momenta)."""
        return self._expr

    def gradient(self, x: Tensor) -> Tensor:
        """∂H/∂x from the symbolic derivatives (no autograd), x[..., 2n] -> [..., 2n] in x's dtype."""
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise InvalidValueError(f"the Hamiltonian {_quote(self.text)} expects states of "
                                    f"{self.dim} values (q then p), got shape {tuple(x.shape)}")
        if "_gradient" not in self.__dict__:
            index = {symbol: i for i, symbol in enumerate(self._symbols)}
            derivatives = [sympy.diff(self._expr, symbol) for symbol in self._symbols]
            object.__setattr__(self, "_gradient", [_compile(d, index, self.text) for d in derivatives])
        cols = x.unbind(-1)
        return torch.stack([torch.as_tensor(f(cols), dtype=x.dtype, device=x.device).expand(x.shape[:-1])
                            for f in self._gradient], dim=-1)


def _check_names(kind: str, names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str) or not names:
        raise InvalidValueError(f"the {kind} names must be a non-empty list, got {names!r}")
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise InvalidValueError(f"{kind} name {name!r} is not a Python identifier")
        if name in _FUNCTIONS or name in _CONSTANTS:
            raise InvalidValueError(f"{kind} name {name!r} clashes with a function or constant "
                                    f"of the same name")
    return tuple(names)


class _Builder:
    """Turns the vetted AST of `h.text` into a sympy expression."""

    def __init__(self, h: HamiltonianExpression, symbols: dict[str, sympy.Symbol]) -> None:
        self.h, self.names = h, {**_CONSTANTS, **symbols}

    def fail(self, problem: str, hint: str = "") -> InvalidValueError:
        return InvalidValueError(f"{problem} in the Hamiltonian {_quote(self.h.text)}{hint}")

    def source(self, node: ast.AST) -> str:
        return _quote(ast.get_source_segment(self.h.text, node))

    def allowed(self) -> str:
        return (f"; it may use the coordinates {', '.join(self.h.coords)} and momenta "
                f"{', '.join(self.h.momenta)}, the constants pi and e, and the functions "
                f"{', '.join(_FUNCTIONS)}")

    def build(self) -> sympy.Expr:
        text = self.h.text
        if not text:
            raise InvalidValueError("the Hamiltonian is empty")
        if len(text) > MAX_LENGTH:
            raise InvalidValueError(f"the Hamiltonian is {len(text)} characters long; "
                                    f"the limit is {MAX_LENGTH}")
        try:
            expr = self.visit(ast.parse(text, mode="eval").body)
        except SyntaxError as err:
            raise InvalidValueError(f"cannot parse the Hamiltonian {_quote(text)}: "
                                    f"{err.msg}") from None
        except RecursionError:
            raise self.fail("too many nested or chained operations") from None
        if expr.has(*_NONFINITE):
            raise self.fail("a division by zero or an infinite value")
        if not expr.free_symbols:
            raise self.fail(f"a constant value ({expr})", ": it depends on none of the coordinates "
                            "and momenta, so it would have zero dynamics")
        return expr

    def visit(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return sympy.Integer(node.value) if type(node.value) is int else sympy.Float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.fail(f"unknown symbol {node.id!r}", self.allowed())
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _GROUPS:
            group, items = _GROUPS[type(node.op)], []  # a loop: long sums must not recurse
            while isinstance(node, ast.BinOp) and _GROUPS.get(type(node.op)) is group:
                item = self.visit(node.right)
                items.append(_INVERSES[type(node.op)](item) if type(node.op) in _INVERSES else item)
                node = node.left
            return group(self.visit(node), *items)  # one n-ary Add/Mul, not n binary ones
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, exponent = self.visit(node.left), self.visit(node.right)
            if base.is_number and exponent.is_number:  # as a float: 9**9**9 is no huge int
                return sympy.Pow(base, exponent, evaluate=False).evalf()
            return base**exponent
        if isinstance(node, ast.BinOp):
            hint = "; use ** for powers" if isinstance(node.op, ast.BitXor) else ""
            raise self.fail(f"the operator {type(node.op).__name__} in {self.source(node)}",
                            hint or "; only + - * / ** are allowed")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                raise self.fail(f"unknown function {self.source(node.func)}", self.allowed())
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                raise self.fail(f"{self.source(node)}", f": {node.func.id} takes exactly one "
                                "positional argument")
            return _FUNCTIONS[node.func.id](self.visit(node.args[0]))
        kind = _KINDS.get(type(node), type(node).__name__)
        raise self.fail(f"{kind} {self.source(node)} is not allowed")


def _compile(expr: sympy.Expr, index: dict[sympy.Symbol, int], text: str
             ) -> Callable[[Sequence[Tensor]], Tensor | float]:
    """A torch evaluator of `expr` on the columns x.unbind(-1); constants become Python floats."""
    if expr.is_number:
        value = complex(expr.evalf())
        if value.imag != 0 or not math.isfinite(value.real):
            raise InvalidValueError(f"the constant {expr} = {value} in the Hamiltonian "
                                    f"{_quote(text)} is not a finite real number")
        return lambda cols: value.real
    if isinstance(expr, sympy.Symbol):
        return lambda cols: cols[index[expr]]
    args = [_compile(arg, index, text) for arg in expr.args]
    if isinstance(expr, sympy.Add):
        return lambda cols: sum(f(cols) for f in args)
    if isinstance(expr, sympy.Mul):
        return lambda cols: math.prod(f(cols) for f in args)
    if isinstance(expr, sympy.Pow):
        return lambda cols: args[0](cols) ** args[1](cols)
    if expr.func not in _TORCH:
        raise InvalidValueError(f"cannot evaluate {expr} from the Hamiltonian {_quote(text)} "
                                f"with torch")
    return lambda cols: _TORCH[expr.func](args[0](cols))
