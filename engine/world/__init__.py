"""The causal world model: components whose state produces the dashboards."""

from .model import World

__all__ = ["World"]
