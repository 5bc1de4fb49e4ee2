"""A system of your own for hamnet: the Duffing double well, H = p²/2 + q⁴/4 − q²/2.

Use it with `hamnet train --task docs/examples/duffing.py:Duffing --model hnn --out runs/duffing`
(or `my_module:Duffing` for a module on your Python path), or register it in your
package's pyproject.toml:

    [project.entry-points."hamnet.systems"]
    duffing = "my_package.duffing:Duffing"

and then `--task duffing`. See docs/your-system.md.
"""

import torch
from torch import Tensor

from hamnet.systems import EnergyProtocol, System, TrajectoryRecipe


class Duffing(System):
    name = "duffing"          # how results and run directories name it
    dim = 2                   # x = [q, p]
    separable = True          # H = T(p) + V(q): leapfrog may integrate it
    description = "Duffing double well, H = p^2/2 + q^4/4 - q^2/2"
    # Training data: 50 trajectories over 10 time units, 40 samples each, noise 0.02.
    recipe = TrajectoryRecipe(n_trajectories=50, t_end=10.0, n_points=40, noise_std=0.02)
    # Energy MSE: 15 fresh states rolled out over 10 time units.
    energy_protocol = EnergyProtocol(n_states=15, t_end=10.0, n_points=100)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return p**2 / 2 + q**4 / 4 - q**2 / 2

    def vector_field(self, x: Tensor) -> Tensor:  # optional: the default is J∇H by autograd
        q, p = x[..., 0], x[..., 1]
        return torch.stack([p, q - q**3], dim=-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """At rest at the outer turning point of an energy between −0.2 (inside one well)
        and 0.3 (over the barrier at 0), either side: -> [n, 2] float64."""
        energy = -0.2 + 0.5 * torch.rand(n, generator=generator, dtype=torch.float64)
        side = torch.where(torch.rand(n, generator=generator, dtype=torch.float64) < 0.5, -1.0, 1.0)
        q = side * torch.sqrt(1 + torch.sqrt(1 + 4 * energy))  # V(q) = q⁴/4 − q²/2 = energy
        return torch.stack([q, torch.zeros_like(q)], dim=-1)
