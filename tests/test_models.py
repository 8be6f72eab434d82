"""Realistic models written in plain NumPy, differentiated unchanged (against finite differences)."""

from __future__ import annotations

import numpy as np

import autotape as at
from autotape.testing import check_grads


def test_a_double_pendulum_energy_in_plain_numpy():
    # Positions from angles with sin/cos, the angle of the lower bob with arctan2 and its
    # distance from the pivot with hypot: every op a physics code reaches for.
    lengths, masses, g = np.array([1.0, 0.7]), np.array([1.5, 0.5]), 9.81

    def energy(state):
        theta, omega = state[:2], state[2:]
        x1, y1 = lengths[0] * np.sin(theta[0]), -lengths[0] * np.cos(theta[0])
        x2, y2 = x1 + lengths[1] * np.sin(theta[1]), y1 - lengths[1] * np.cos(theta[1])
        v1 = lengths[0] * omega[0]
        vx2 = v1 * np.cos(theta[0]) + lengths[1] * omega[1] * np.cos(theta[1])
        vy2 = v1 * np.sin(theta[0]) + lengths[1] * omega[1] * np.sin(theta[1])
        kinetic = 0.5 * masses[0] * v1**2 + 0.5 * masses[1] * (vx2**2 + vy2**2)
        potential = g * (masses[0] * y1 + masses[1] * y2)
        reach = np.hypot(x2, y2)
        bearing = np.arctan2(x2, -y2)
        return kinetic + potential + 0.1 * reach * np.tanh(bearing)

    state = np.array([0.4, -0.3, 1.2, 0.5])
    check_grads(energy, (state,), order=2)
    # Energy is conserved by the equations of motion; its gradient in the velocities is the
    # momentum: for the upper bob alone (masses[1] = 0) dE/d omega_0 = m l^2 omega_0.
    top_only = at.grad(lambda s: energy(s))(np.array([0.0, 0.0, 2.0, 0.0]))
    expected = masses[0] * lengths[0] ** 2 * 2.0 + masses[1] * lengths[0] ** 2 * 2.0
    np.testing.assert_allclose(top_only[2], expected, rtol=1e-12)


def test_an_rnn_with_accumulated_loss_in_plain_numpy():
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    params = {
        "w_in": rng.normal(size=(3, 4)) * 0.5,
        "w_h": rng.normal(size=(4, 4)) * 0.3,
        "w_out": rng.normal(size=(4, 2)),
    }

    def loss(p):
        h = np.zeros(4)
        total = 0.0
        for x, y in zip(xs, ys):
            h = np.tanh(x @ p["w_in"] + h @ p["w_h"])
            total += np.mean((h @ p["w_out"] - y) ** 2)
        return total / len(xs)

    check_grads(loss, (params,), order=1)
