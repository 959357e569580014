"""A Gymnasium environment over one library scenario (``pip install firedrill[gym]``).

``FiredrillEnv(scenario)`` follows the Gymnasium API: ``reset(seed=...)``
starts a drill of that seed; ``step(action)`` submits one action as a player
(by the think-time rule of agents.session), then lets ``step_seconds`` pass.

- Actions: ``Discrete(1 + n)``; 0 does nothing, ``i`` submits entry ``i - 1``
  of the scenario's action catalogue (agents.catalogue; ``env.actions``
  lists it). ``step`` also takes an engine input as a dict (docs/actions.md),
  for agents that write actions rather than pick them.
- Observations: ``t`` (simulated seconds), ``paged`` (0/1), ``alerts`` (one
  bit per scenario alert, in ``env.alert_names`` order) and ``dashboards``
  (the top-level metrics a player sees, in ``env.metric_names`` order). The
  full player view (channel, changes, investigation answers) is in
  ``info["observation"]``.
- Reward: 0 until the drill ends, then the grade's overall score / 100 (the
  weighted mean of its dimensions); ``info["scores"]`` holds every
  dimension. ``terminated`` is the drill's end; ``truncated`` is never set.
  A refused action is ``info["refused"]`` (its message) and costs its time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError("agents.env needs gymnasium: pip install 'firedrill[gym]'") from exc

from .brief import player_facts
from .catalogue import catalogue
from .library import load
from .player import Observation, Refused
from .session import THINK_SECONDS, HeadlessSession

ObsType = dict[str, Any]
# Every metric is a rate, a count, a share or a duration: none is negative, and the
# largest (money lost, failed requests) stay far below this bound.
METRIC_MAX = 1e15


class FiredrillEnv(gym.Env[ObsType, Any]):
    """One library scenario as a Gymnasium environment (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": ["ansi"]}  # noqa: RUF012 - Gymnasium's API

    def __init__(
        self,
        scenario: str = "gateway-bad-pod",
        step_seconds: float = 30.0,
        think: float = THINK_SECONDS,
        agent: str = "agent",
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        if step_seconds <= 0:
            raise ValueError(f"step_seconds must be > 0 (got {step_seconds})")
        self.render_mode = render_mode
        self._scenario = load(scenario)
        self.step_seconds = float(step_seconds)
        self.think = think
        self.agent = agent
        facts = player_facts(self._scenario)
        probe = HeadlessSession(self._scenario, seed=0, agent=agent, think=0)
        self.alert_names = [a["name"] for a in facts["alerts"]]
        self.metric_names = sorted(probe.look().dashboards)
        self.actions = self._catalogue(probe)
        end = float(self._scenario.duration + self._scenario.tick)
        self.observation_space = spaces.Dict(
            {
                "t": spaces.Box(0.0, end, shape=(1,), dtype=np.float64),
                "paged": spaces.Discrete(2),
                "alerts": spaces.MultiBinary(len(self.alert_names)),
                "dashboards": spaces.Box(
                    0.0, METRIC_MAX, shape=(len(self.metric_names),), dtype=np.float64
                ),
            }
        )
        self.action_space = spaces.Discrete(1 + len(self.actions))
        self._session: HeadlessSession | None = None
        self._last: Observation | None = None

    def _catalogue(self, session: HeadlessSession) -> list[dict[str, Any]]:
        # Pods are named per seed; the catalogue names this drill's, in the same order for
        # every seed, so action i always means the same pod of the same service.
        pods = {n: [p.name for p in s.pods] for n, s in session.drill.world.services.items()}
        return catalogue(player_facts(self._scenario), pods)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[ObsType, dict[str, Any]]:
        """A new drill: of ``seed`` if given, else drawn from the environment's generator."""
        super().reset(seed=seed)
        drill_seed = seed if seed is not None else int(self.np_random.integers(0, 2**31 - 1))
        self._session = HeadlessSession(
            self._scenario, seed=drill_seed, agent=self.agent, think=self.think
        )
        self.actions = self._catalogue(self._session)
        self._last = self._session.look()
        return self._encode(self._last), {"observation": self._last.to_dict(), "seed": drill_seed}

    def step(self, action: Any) -> tuple[ObsType, float, bool, bool, dict[str, Any]]:
        """Submit ``action`` (an index, or an engine input dict), then let step_seconds pass."""
        s = self._session
        if s is None:
            raise RuntimeError("call reset() before step()")
        if s.ended:
            raise RuntimeError("the drill has ended; call reset() for a new one")
        info: dict[str, Any] = {}
        chosen = self._decode(action)
        if chosen is not None:
            try:
                acted = s.act(chosen)
                info["acted"] = acted.to_dict()
            except Refused as exc:
                info["refused"] = exc.message
        if not s.ended:
            s.wait(min(self.step_seconds, max(0.0, self._scenario.duration + 1 - s.now)))
        self._last = s.look()
        info["observation"] = self._last.to_dict()
        reward = 0.0
        if s.ended:
            done = s.finish()
            reward = done.grade.overall / 100.0
            info["scores"] = dict(done.grade.scores)
        return self._encode(self._last), reward, s.ended, False, info

    def render(self) -> str | None:
        """``ansi``: the clock, the alerts firing and the last channel message."""
        if self.render_mode != "ansi" or self._last is None:
            return None
        o = self._last
        last = o.channel[-1]["text"] if o.channel and "text" in o.channel[-1] else ""
        return f"T+{o.t:.0f}s alerts: {', '.join(o.alerts) or 'none'} | {last}"

    def _decode(self, action: Any) -> dict[str, Any] | None:
        if isinstance(action, dict):
            return action
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0..{len(self.actions)} or a dict (got {action!r})")
        i = int(action)
        return None if i == 0 else self.actions[i - 1]

    def _encode(self, o: Observation) -> ObsType:
        return {
            "t": np.array([o.t], dtype=np.float64),
            "paged": int(o.page_at is not None),
            "alerts": np.array([int(a in o.alerts) for a in self.alert_names], dtype=np.int8),
            "dashboards": np.array(
                [float(o.dashboards.get(k, 0.0)) for k in self.metric_names], dtype=np.float64
            ).clip(0.0, METRIC_MAX),
        }
