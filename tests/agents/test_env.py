"""The Gymnasium environment: passes gymnasium's checker, plays to a graded end."""

from __future__ import annotations

import pytest

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from agents.env import FiredrillEnv  # noqa: E402


def test_passes_gymnasiums_environment_checker() -> None:
    """gymnasium.utils.env_checker.check_env finds nothing wrong (warnings are errors here)."""
    check_env(FiredrillEnv("gateway-bad-pod"), skip_render_check=True)


def test_an_episode_ends_with_the_grade_as_reward() -> None:
    """Doing nothing for a whole drill: zero reward on the way, overall/100 at the end."""
    env = FiredrillEnv("gateway-bad-pod", step_seconds=60)
    obs, info = env.reset(seed=3)
    assert info["seed"] == 3 and obs["paged"] == 0
    rewards, steps = [], 0
    terminated = False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(0)
        rewards.append(reward)
        steps += 1
        assert not truncated
    assert steps == 36  # 35 simulated minutes, a minute per step
    assert rewards[:-1] == [0.0] * (steps - 1)
    assert rewards[-1] == info["scores"]["overall"] / 100
    assert obs["paged"] == 1 and obs["alerts"].tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="the drill has ended; call reset"):
        env.step(0)


def test_actions_by_index_and_by_dict_and_refusals() -> None:
    """An index picks from env.actions; a dict is an engine input; a refusal is reported."""
    env = FiredrillEnv("gateway-bad-pod")
    env.reset(seed=0)
    i = env.actions.index({"type": "view_dashboard", "service": "api-gateway", "breakdown": "pod"})
    _, _, _, _, info = env.step(i + 1)
    assert info["acted"]["result"]["panel"] == "api-gateway/pod"
    assert info["acted"]["t"] == 10.0
    _, _, _, _, info = env.step({"type": "rollback", "service": "nope"})
    assert info["refused"] == "unknown service 'nope'; valid: api-gateway"
    with pytest.raises(ValueError, match=r"action must be 0\.\.\d+ or a dict \(got 99999\)"):
        env.step(99999)


def test_bad_constructor_arguments_are_refused() -> None:
    """An unknown scenario, a zero step or an unknown render mode: a clear error at once."""
    with pytest.raises(
        KeyError, match="unknown scenario 'nope'; available: card-network-timeouts, "
    ):
        FiredrillEnv("nope")
    with pytest.raises(ValueError, match=r"step_seconds must be > 0 \(got 0\)"):
        FiredrillEnv(step_seconds=0)
    with pytest.raises(ValueError, match=r"render_mode must be one of \['ansi'\]"):
        FiredrillEnv(render_mode="human")
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
        FiredrillEnv().step(0)
