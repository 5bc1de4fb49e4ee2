"""HamiltonianExpression: safe parsing, torch values and gradients, separability, pickling."""

from __future__ import annotations

import builtins
import pickle

import numpy as np
import pytest
import sympy
import torch

from hamnet.errors import InvalidValueError
from hamnet.expression import HamiltonianExpression

Q, P = ["q"], ["p"]
Q2, P2 = ["q1", "q2"], ["p1", "p2"]


def states(n: int, dim: int, dtype: torch.dtype = torch.float64, seed: int = 0) -> torch.Tensor:
    """n random states x[n, dim] in [-2, 2)."""
    generator = torch.Generator().manual_seed(seed)
    return 4 * torch.rand(n, dim, generator=generator, dtype=dtype) - 2


def close(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_one_dof_values_match_hand_written_torch() -> None:
    h = HamiltonianExpression.parse("  p**2/2 + q**4/4 - q**2/2 ", Q, P)
    x = states(64, 2)
    q, p = x.unbind(-1)
    close(h(x), p**2 / 2 + q**4 / 4 - q**2 / 2)
    assert (h.text, h.coords, h.momenta, h.dim) == ("p**2/2 + q**4/4 - q**2/2", ("q",), ("p",), 2)


def test_two_dof_values_match_hand_written_torch() -> None:
    h = HamiltonianExpression.parse("(p1**2 + p2**2)/2 - cos(q1) - 0.5*cos(q1 - q2)", Q2, P2)
    x = states(64, 4)
    q1, q2, p1, p2 = x.unbind(-1)
    close(h(x), (p1**2 + p2**2) / 2 - torch.cos(q1) - 0.5 * torch.cos(q1 - q2))
    assert h.dim == 4


def test_every_function_and_constant() -> None:
    text = ("sin(q) + cos(p) + tan(q/4) + exp(p/3) + log(2 + q**2) + sqrt(1 + p**2) + sinh(q)"
            " + cosh(p) + tanh(q) + asin(q/9) + acos(p/9) + atan(q) + abs(p) + pi*q + e**p"
            " + sqrt(2)*q + 2**p - +q + 1/(3 + p) + q**-2")
    x = states(64, 2)
    q, p = x.unbind(-1)
    expected = (torch.sin(q) + torch.cos(p) + torch.tan(q / 4) + torch.exp(p / 3)
                + torch.log(2 + q**2) + torch.sqrt(1 + p**2) + torch.sinh(q) + torch.cosh(p)
                + torch.tanh(q) + torch.asin(q / 9) + torch.acos(p / 9) + torch.atan(q)
                + torch.abs(p) + torch.pi * q + torch.exp(p) + 2**0.5 * q + 2**p - q
                + 1 / (3 + p) + q**-2)
    close(HamiltonianExpression.parse(text, Q, P)(x), expected)


def test_autograd_gradient_equals_symbolic_gradient() -> None:
    text = ("p1**2/2 + p2**2 - p1*p2*cos(q1 - q2) - 2*cos(q1) - cos(q2)"
            " + exp(q1*p2)/10 + sqrt(1 + q2**2)")
    h = HamiltonianExpression.parse(text, Q2, P2)
    by_name = {s.name: s for s in h.sympy().free_symbols}
    symbols = [by_name[name] for name in Q2 + P2]
    gradient = sympy.lambdify(symbols, [sympy.diff(h.sympy(), s) for s in symbols], "numpy")
    x = states(32, 4, seed=1).requires_grad_(True)
    (autograd,) = torch.autograd.grad(h(x).sum(), x)
    symbolic = np.stack(gradient(*x.detach().numpy().T), axis=-1)
    close(autograd, torch.from_numpy(symbolic))


@pytest.mark.parametrize("text, coords, momenta, separable", [
    ("p**2/2 + q**4/4", Q, P, True),
    ("(p1**2+p2**2)/2 - cos(q1)", Q2, P2, True),
    ("(p + q)**2 - 2*p*q", Q, P, True),  # separable only after simplification
    ("p1*p2*cos(q1-q2) + q1**2", Q2, P2, False),
    ("p**2/(2*(1 + q**2))", Q, P, False),
])
def test_separable(text: str, coords: list[str], momenta: list[str], separable: bool) -> None:
    assert HamiltonianExpression.parse(text, coords, momenta).separable is separable


def test_float32_in_float32_out() -> None:
    h = HamiltonianExpression.parse("p**2/2 - cos(q) + 0.1*q + pi", Q, P)
    x = states(16, 2)
    out = h(x.float())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), h(x), rtol=1e-5, atol=1e-5)
    assert h(x).dtype == torch.float64


def test_batched_shapes_and_other_devices() -> None:
    h = HamiltonianExpression.parse("(p1**2 + p2**2)/2 + q1*q2", Q2, P2)
    assert h(states(12, 4).reshape(3, 4, 4)).shape == (3, 4)
    one_dof = HamiltonianExpression.parse("p**2/2 + q", Q, P)
    assert one_dof(states(12, 2).reshape(3, 4, 2)).shape == (3, 4)
    assert h(states(1, 4)[0]).shape == ()
    assert h(torch.empty(0, 4)).shape == (0,)
    meta = h(torch.empty(5, 4, device="meta"))  # constants are Python floats, never CPU tensors
    assert (meta.shape, meta.device.type) == ((5,), "meta")


@pytest.mark.parametrize("shape", [(3, 2), (3,), ()])
def test_wrong_state_width_is_rejected(shape: tuple[int, ...]) -> None:
    h = HamiltonianExpression.parse("(p1**2 + p2**2)/2 + q1*q2", Q2, P2)
    with pytest.raises(InvalidValueError, match="expects states of 4 values"):
        h(torch.zeros(shape))


def test_pickle_round_trip() -> None:
    h = HamiltonianExpression.parse("(p1**2 + p2**2)/2 - cos(q1) - 0.5*cos(q1 - q2)", Q2, P2)
    clone = pickle.loads(pickle.dumps(h))
    x = states(8, 4)
    assert clone == h
    assert torch.equal(clone(x), h(x))
    assert clone.sympy() == h.sympy()


def test_sympy_expression_and_unusual_names() -> None:
    h = HamiltonianExpression.parse("p**2/2 + q**4/4", Q, P)
    q, p = sympy.symbols("q p", real=True)
    assert sympy.simplify(h.sympy() - (p**2 / 2 + q**4 / 4)) == 0
    # names that sympify would read as sympy objects are plain symbols here
    odd = HamiltonianExpression.parse("E**2/2 + I**2/2 + S", ["I", "S"], ["E", "N"])
    x = states(4, 4)
    close(odd(x), x[:, 2] ** 2 / 2 + x[:, 0] ** 2 / 2 + x[:, 1])


def test_long_sums_do_not_hit_the_recursion_limit() -> None:
    h = HamiltonianExpression.parse("+".join(["q*p"] * 2000), Q, P)
    x = states(4, 2)
    close(h(x), 2000 * x[:, 0] * x[:, 1])


@pytest.mark.parametrize("text, expected", [
    ("__import__('os').system('ls')", "__import__('os').system"),
    ("q.real", "attribute access 'q.real'"),
    ("q[0]", "'q[0]'"),
    ("q^2", "use ** for powers"),
    ("lambda: 1", "lambda"),
    ("'a'", "'a'"),
    ("(q, p)", "(q, p)"),
    ("[q, p]", "[q, p]"),
    ("q < p", "comparison 'q < p'"),
    ("q and p", "q and p"),
    ("sin(q, p)", "sin(q, p)"),
    ("sin(x=q)", "sin(x=q)"),
    ("sin(*q)", "sin(*q)"),
    ("foo(q)", "unknown function 'foo'"),
    ("r + p", "unknown symbol 'r'"),
    ("", "empty"),
    ("   ", "empty"),
    ("1 + 2", "zero dynamics"),
    ("q - q", "zero dynamics"),
    ("q +", "cannot parse the Hamiltonian 'q +'"),
    ("q\n+ p", "cannot parse"),
    ("q % 2", "Mod"),
    ("True*q", "True"),
    ("1j*q", "1j"),
    ("q/0", "division by zero"),
    ("log(-1)*q", "not a finite real number"),
    ("q*10**10**10", "not a finite real number"),
    ("(q := 1)", "q := 1"),
    ("q" * 10_001, "10001 characters"),
    ("-" * 3000 + "q", "too many nested"),
])
def test_rejected_expressions(text: str, expected: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        HamiltonianExpression.parse(text, Q, P)
    message = str(info.value)
    assert "\n" not in message
    assert expected in message


def test_unknown_symbol_message_lists_what_is_allowed() -> None:
    with pytest.raises(InvalidValueError) as info:
        HamiltonianExpression.parse("p**2/2 + r", Q, P)
    assert str(info.value).startswith("unknown symbol 'r' in the Hamiltonian 'p**2/2 + r'; it may "
                                      "use the coordinates q and momenta p, the constants pi and e")
    assert "sin, cos" in str(info.value)


@pytest.mark.parametrize("coords, momenta, expected", [
    ([], [], "non-empty"),
    ("q", "p", "non-empty list, got 'q'"),
    (["q"], ["p1", "p2"], "must pair"),
    (["q", "q"], ["p1", "p2"], "duplicate"),
    (["q"], ["q"], "duplicate"),
    (["1q"], ["p"], "'1q'"),
    (["q"], ["p-1"], "'p-1'"),
    (["lambda"], ["p"], "'lambda'"),
    ([3], ["p"], "3"),
    (["sin"], ["p"], "'sin'"),
    (["q"], ["pi"], "'pi'"),
    (["e"], ["p"], "'e'"),
])
def test_rejected_name_lists(coords: list, momenta: list, expected: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        HamiltonianExpression.parse("q + p", coords, momenta)
    assert "\n" not in str(info.value)
    assert expected in str(info.value)


def test_code_in_the_text_never_runs(tmp_path, monkeypatch) -> None:
    marker = tmp_path / "pwned"
    attacks = [f"__import__('os').system('touch {marker}')",
               f"q + (lambda: __import__('os').system('touch {marker}'))()",
               f"[c for c in ().__class__.__base__.__subclasses__()] and open('{marker}', 'w')"]

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be called")

    # SymPy imports some of its modules on first use, and an import executes the module's
    # code (which ones depends on what ran before in this process): parse every text once
    # before the ban, so that only the parser's own calls are left to catch. Were the parser
    # to run an attack here, the marker would exist and the test still fail.
    for attack in attacks:
        with pytest.raises(InvalidValueError):
            HamiltonianExpression.parse(attack, Q, P)
    for text in ("p**2/2 + q**4/4", "p**2/2 - cos(q) + q*p"):
        warm = HamiltonianExpression.parse(text, Q, P)
        warm(states(2, 2))
        assert warm.separable == (text == "p**2/2 + q**4/4")  # deciding it imports more of SymPy
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for attack in attacks:
        with pytest.raises(InvalidValueError):
            HamiltonianExpression.parse(attack, Q, P)
    assert not marker.exists()
    h = HamiltonianExpression.parse("p**2/2 + q**4/4", Q, P)  # the happy path needs no eval either
    assert h.separable and h(states(2, 2)).shape == (2,)
