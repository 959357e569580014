"""Restart and recovery herds: a fleet that comes back at once hits what it calls.

A pod that has just started is cold for ``cold_start.for`` seconds: its
caches are empty and it opens new connections, so each request it serves
calls every callee ``cold_start.call_factor`` times (fetches that a warm pod
answers from memory). The service offers its callees its call rate times
``1 + (call_factor - 1) x cold pods / serving pods`` (``ServiceState._warm``).

So a fleet that comes back all at once (``restart`` with ``mode: all``, the
crash-looping pods of a rolled-back config, a scale-out) sends a thundering
herd at its callees: one with a capacity queues, its wait times calls out,
and with retries the herd outlives the warm-up (the retry feedback of
``engine.mechanics.retries``). What relieves it is what spreads or lowers the
load: a rolling restart (few pods cold at once), shedding at the caller,
fewer or jittered retries. Scaling the caller out during a herd adds cold
pods: it makes the herd worse.

Restarting a fleet that already fails everything is not doing nothing: while
every pod is down its callees get no calls (a queue drains, ``healthy_pods``
is 0, the load balancer answers 503 fast), and then every pod comes back cold
at once.

The mechanic has no lever and no fault of its own: the herd is caused, by
what the responders (or a fault) do to the fleet.
"""

from __future__ import annotations

from .base import Mechanic

MECHANIC = Mechanic(name="herds")
