"""A distillation's files: formula.json (everything), formula.txt (the text --hamiltonian
reads), formula.md (tables a person reads) and selection.png (the residual of every support
the sparse path found, the chosen one marked); each written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..atomic import ensure_writable_dir, write_text  # noqa: E402
from ..figure_files import save_figure  # noqa: E402
from . import Distillation  # noqa: E402
from .formula import Formula  # noqa: E402

FILES = ("formula.json", "formula.txt", "formula.md", "selection.png")


def write_distillation(result: Distillation, out: str | Path) -> list[Path]:
    """Write the files above into `out` (created if needed).  -> their paths."""
    out = ensure_writable_dir(out)
    write_text(out / "formula.json", json.dumps(result.to_dict(), indent=2, default=float))
    write_text(out / "formula.txt", result.hamiltonian.text + "\n")
    write_text(out / "formula.md", markdown(result))
    save_figure(selection_figure(result), out / "selection.png")
    return [out / name for name in FILES]


def _terms_table(formula: Formula) -> list[str]:
    rows = ["| term | coefficient | 95 % bootstrap interval |", "|---|---|---|"]
    rows += [f"| `{t}` | {c:.6g} | [{lo:.6g}, {hi:.6g}] |"
             for t, c, (lo, hi) in zip(formula.terms, formula.coefficients, formula.intervals)]
    return rows


def markdown(result: Distillation) -> str:
    """The report: formula (text and LaTeX), terms with intervals, scores, truth, SINDy."""
    h = result.hamiltonian
    lines = [f"# Distilled from {result.source}", "", f"H = {h.to_dict()['pretty']}", "", f"$$H = {h.latex}$$", "",
             *_terms_table(h), "",
             f"{len(h.terms)} of {result.library_size} library terms; relative residual of the gradient fit "
             f"{result.residual:.3g} (tolerance {result.settings.tolerance:g}).", ""]
    if result.dissipation is not None:
        lines += [f"D = {result.dissipation.to_dict()['pretty']}", "", *_terms_table(result.dissipation), ""]
    if result.truth is not None:
        t = result.truth
        error = t["max_coefficient_error"]
        lines += ["## Against the true H", "",
                  f"- exact support: {'yes' if t['exact_support'] else 'no'}"
                  + (f" (missing {', '.join(t['missing'])})" if t["missing"] else "")
                  + (f" (extra {', '.join(t['extra'])})" if t["extra"] else ""),
                  f"- largest relative coefficient error: {'—' if error is None else f'{100 * error:.3g} %'}", ""]
    names = sorted({k for scores in result.scores.values() for k in scores})
    columns = list(result.scores)
    lines += ["## Scores", "", "| metric | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    lines += [f"| {name} | " + " | ".join(f"{result.scores[c].get(name, float('nan')):.4g}" for c in columns) + " |"
              for name in names]
    if result.sindy is not None:
        s = result.sindy
        lines += ["", "## Plain SINDy on the same data", "", f"{s['terms']} terms; relative residual {s['residual']:.3g}"
                  + (f"; field error against the truth {s['field_error_vs_truth']:.3g}" if "field_error_vs_truth" in s
                     else "")
                  + ("" if s.get("exact_support") is None else
                     f"; exact support: {'yes' if s['exact_support'] else 'no'}"), "",
                  *[f"    {eq}" for eq in s["equations"]]]
    return "\n".join(lines) + "\n"


def selection_figure(result: Distillation) -> plt.Figure:
    """Relative residual against the number of terms of every support on the path."""
    fig, ax = plt.subplots(figsize=(5, 3.4))
    sizes, residuals = zip(*result.path)
    ax.semilogy(sizes, residuals, "o", color="tab:gray", label="supports on the STLSQ path")
    best = min(residuals)
    ax.axhline(best + result.settings.tolerance, color="tab:orange", ls="--", lw=1,
               label=f"best + tolerance ({result.settings.tolerance:g})")
    ax.semilogy([len(result.hamiltonian.terms)], [result.residual], "*", ms=14, color="tab:red", label="chosen")
    ax.set_xlabel("terms in the formula")
    ax.set_ylabel("relative residual of ∇H")
    ax.set_title("Sparse selection", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
