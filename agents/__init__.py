"""Agents as players: one player interface over a drill, and what is built on it.

``agents.player`` is the interface (observe, act, wait) and the player's view;
``agents.session`` plays it headless against the engine, ``agents.live`` over
the server's WebSocket protocol. On top: the MCP server (``agents.mcp``), the
Gymnasium environment (``agents.env``), baseline agents (``agents.baselines``)
and the benchmark (``agents.bench``). docs/agents.md is the reference.
"""
