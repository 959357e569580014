"""Plain-English sentences for log events: facts only, no judgement.

Each function turns one event (or its data) into a sentence for the
timeline. Unknown input types, state changes and effects fall back to a
generic but faithful wording, so a new engine event never breaks a postmortem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from .. import mechanics
from ..scenario import (
    BlockerFault,
    DependencyFault,
    FlagFault,
    PodFault,
    PoisonFault,
    ReleaseFault,
    Scenario,
    Tool,
)
from ..timeexpr import format_clock

MAX_QUOTE = 240


def quote(text: Any, limit: int = MAX_QUOTE) -> str:
    """A one-line quotation, shortened with an ellipsis past ``limit`` characters."""
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return f"“{s}”"


def onoff(value: Any) -> str:
    return "on" if value else "off"


def mmss(seconds: float) -> str:
    """A duration as ``m:ss`` (``h:mm:ss`` past an hour)."""
    s = round(max(0.0, seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def clock(t: float) -> str:
    return format_clock(t)


def describe_input(d: Mapping[str, Any]) -> str:
    """What an input did, as a verb phrase: 'rolled back checkout-api'."""
    k = str(d.get("type"))
    g = d.get
    simple = {
        "take_command": "took incident command",
        "list_changes": "listed recent changes",
    }
    if k in simple:
        return simple[k]
    if k == "declare_incident":
        tail = f": {quote(g('summary'))}" if g("summary") else ""
        return f"declared a {g('severity')} incident{tail}"
    if k == "assign_role":
        role = str(g("role"))
        title = {"ic": "incident command", "sme": "SME"}.get(role, role.capitalize())
        return f"assigned {title} to {g('person')}"
    if k == "page_team":
        return f"paged the {g('team')} team"
    if k == "decide":
        return f"decided: {quote(g('text'))}"
    if k == "hypothesis":
        return f"stated a hypothesis: {quote(g('text'))}"
    if k == "view_dashboard":
        return f"opened the {g('service')} dashboard broken down by {g('breakdown')}"
    if k == "read_logs":
        return f"read the {g('service')} logs"
    if k == "check_migration":
        return f"checked the migrations of {g('service')}"
    if k == "inspect_queue":
        return f"inspected topic {g('topic')}"
    if k == "inspect_dependency":
        return f"inspected dependency {g('dependency')}"
    if k == "inspect_database":
        return f"inspected database {g('database')}"
    if k == "ask_sme":
        q = f": {quote(g('question'))}" if g("question") else ""
        return f"asked the {g('team')} expert{q}"
    if k == "state_impact":
        scope = f" ({quote(g('scope'))})" if g("scope") else ""
        return (
            f"stated the impact: {g('users_pct'):g}% of users, {g('trend')}, "
            f"data {g('data')}{scope}"
        )
    return _mitigation(k, d) or _comms(k, d) or _generic(k, d)


def _mitigation(k: str, d: Mapping[str, Any]) -> str | None:
    g = d.get
    table = {
        "rollback": lambda: f"rolled back {g('service')}",
        "drain_pod": lambda: f"drained pod {g('pod')} of {g('service')}",
        "undrain_pod": lambda: f"returned pod {g('pod')} of {g('service')} to rotation",
        "scale": lambda: f"scaled {g('service')} to {g('pods')} pods",
        "scale_consumers": lambda: (
            f"set the {g('topic')} consumer group to {g('consumers')} consumers"
        ),
        "set_flag": lambda: f"turned flag {g('flag')} {onoff(g('enabled'))}",
        "set_breaker": lambda: f"set the circuit breaker to {g('dependency')} {g('state')}",
        "throttle_producer": lambda: (
            f"throttled producers to {g('topic')} to {g('allow_pct'):g}% of traffic"
        ),
        "skip_poison": lambda: f"skipped the poison messages on {g('topic')}",
        "restart": lambda: f"restarted {g('target')} ({g('mode', 'rolling')})",
        "failover": lambda: f"failed over database {g('database')}",
        "shed_load": lambda: f"shed {g('pct'):g}% of the load on {g('service')}",
        "kill_query": lambda: f"cancelled the longest-running transaction on {g('database')}",
        "forward_fix": lambda: (
            f"started a forward fix of {g('service')}"
            + (f": {quote(g('summary'))}" if g("summary") else "")
        ),
    }
    fn = table.get(k)
    if fn is None:
        says = mechanics.SAYS.get(k)
        return says(d) if says is not None else None
    return fn()


def _comms(k: str, d: Mapping[str, Any]) -> str | None:
    g = d.get
    if k == "status_update":
        nxt = g("next_update_min")
        when = f"; next update in {nxt} min" if nxt else ""
        action = f" Action: {quote(g('action'))}" if g("action") else ""
        text = f" {quote(g('text'))}" if g("text") else ""
        aud = str(g("audience"))
        article = "an" if aud[:1] in "aeiou" else "a"
        return (
            f"posted {article} {aud} status update ({g('state')}{when}): "
            f"{quote(g('impact'))}{action}{text}"
        )
    if k == "chat":
        return f"said in the incident channel: {quote(g('text'))}"
    if k == "inject":
        return f"released the prepared message {g('id')!r}"
    if k == "message":
        return (
            f"sent a message as {g('sender')} ({g('role', 'teammate')}, "
            f"{g('channel', 'chat')}): {quote(g('text'))}"
        )
    if k == "note":
        return "recorded a private facilitator note (text kept out of the postmortem)"
    if k == "clock":
        extra = g("speed") or g("seconds")
        return f"clock control: {g('action')}" + (f" {extra:g}" if extra else "")
    if k == "end":
        return f"ended the drill ({g('reason', 'ended by facilitator')})"
    return None


def _generic(k: str, d: Mapping[str, Any]) -> str:
    params = ", ".join(f"{key}={d[key]}" for key in sorted(d) if key not in ("type", "by"))
    return f"{k}({params})"


def describe_observation(kind: str, result: Mapping[str, Any]) -> str | None:
    """What the asker saw, in one clause; None when there is nothing short to say."""
    if result.get("stale") or result.get("unavailable"):  # a tool that shared the outage's fate
        return str(result.get("note") or "no answer: the tool was down")
    if kind == "view_dashboard":
        rows = result.get("rows") or {}
        scored = [
            (float(r.get("err_5xx_pct", 0.0)), name)
            for name, r in rows.items()
            if isinstance(r, Mapping)
        ]
        if not scored:
            return None
        worst = max(scored)
        if worst[0] <= 0.0:
            return "no errors in any row"
        return f"highest 5xx: {worst[1]} at {worst[0]:g}%"
    if kind == "read_logs":
        lines = result.get("lines") or []
        return f"loudest line: {quote(lines[0].get('text'), 160)}" if lines else None
    if kind == "list_changes":
        changes = result.get("changes") or []
        if not changes:
            return "no changes recorded"
        last = changes[-1]
        mig = ", with a migration" if last.get("has_migration") else ""
        return (
            f"{len(changes)} changes; latest {last.get('id')} at "
            f"{clock(float(last.get('at', 0.0)))}{mig}"
        )
    if kind == "check_migration":
        return str(result.get("verdict")) if result.get("verdict") else None
    if kind == "inspect_queue":
        stuck = result.get("stuck_partitions") or {}
        tail = f", {len(stuck)} stuck partition(s)" if stuck else ""
        return (
            f"lag {result.get('consumer_lag')} messages, {result.get('consumers')} consumers{tail}"
        )
    if kind == "inspect_dependency":
        return (
            f"latency {result.get('latency_ms')} ms, errors {result.get('error_pct')}%, "
            f"breaker {result.get('breaker')}"
        )
    if kind == "inspect_database":
        txns = result.get("long_running_transactions") or []
        tail = f", {len(txns)} long-running transaction(s)" if txns else ""
        return (
            f"pool {result.get('pool_active')}/{result.get('pool_size')} active, "
            f"{result.get('pool_waiting')} waiting{tail}"
        )
    if kind == "ask_sme":
        return f"{result.get('from')} answered {quote(result.get('answer'))}"
    return None


def describe_fault(scenario: Scenario, data: Mapping[str, Any]) -> str:
    """The hidden trigger, from the scenario's fault definition."""
    fid = data.get("fault")
    fault = next((f for f in scenario.faults if (f.id or f.kind) == fid), None)
    if isinstance(fault, ReleaseFault):
        what = "deploy" if fault.kind == "deploy" else "config push"
        mig = f" with migration {fault.migration.id}" if fault.migration else ""
        return f"{what.capitalize()} of {fault.service} {fault.version} began{mig}"
    if isinstance(fault, PodFault):
        return f"Pod {data.get('pod')} of {fault.service} became unhealthy ({fault.reason})"
    if isinstance(fault, DependencyFault):
        parts = []
        if fault.latency_ms is not None:
            parts.append(f"latency {fault.latency_ms:g} ms")
        if fault.error_pct is not None:
            parts.append(f"errors {fault.error_pct:g}%")
        return f"Dependency {fault.dependency} degraded ({', '.join(parts) or 'degraded'})"
    if isinstance(fault, FlagFault):
        return f"Flag {fault.flag} was turned {onoff(fault.enabled)}"
    if isinstance(fault, PoisonFault):
        where = ", ".join(str(p) for p in data.get("partitions") or [])
        return f"{fault.count} malformed message(s) reached topic {fault.topic}" + (
            f" (partition {where})" if where else ""
        )
    if isinstance(fault, BlockerFault):
        return f"A {fault.description} began on {fault.database}"
    tells = mechanics.TELLS.get(str(data.get("kind")))
    if fault is not None and tells is not None:
        return tells(fault)
    return f"Fault {fid} ({data.get('kind')}) began"


STATE_VERBS = {
    "deploy": "Deploy",
    "config": "Config push",
    "rollback": "Rollback",
    "forward fix": "Forward fix",
}


def describe_state(d: Mapping[str, Any]) -> str:
    comp, what = d.get("component"), str(d.get("what"))
    for prefix, noun in STATE_VERBS.items():
        for phase in ("started", "complete"):
            if what == f"{prefix} {phase}":
                to = " to" if prefix == "rollback" else ""
                return f"{noun} of {comp}{to} {d.get('version')} {phase}."
    if what == "migration applied":
        return f"Migration {d.get('migration')} applied on {comp}."
    if what == "flag changed":
        return f"Flag {comp} turned {onoff(d.get('enabled'))}."
    if what == "rebalance":
        cause = f": {d.get('cause')}" if d.get("cause") else ""
        return f"Consumer group of {comp} rebalanced{cause}."
    if what == "dependency recovered":
        return f"{comp} recovered on its own."
    if what == "tool restored":
        return f"Internal tool {comp} working again."
    if d.get("reason") and comp in get_args(Tool):
        return f"Internal tool down: {what} ({d.get('reason')})."
    extra = _extras(d, ("component", "what", "for_seq", "for"))
    return f"{comp}: {what}{extra}."


def describe_effect(d: Mapping[str, Any]) -> str:
    comp, what = d.get("component"), str(d.get("what"))
    if what == "flag propagated":
        return f"Flag {comp} is now {onoff(d.get('enabled'))} on every pod."
    if what.startswith("pod "):
        return f"Pod {d.get('pod')} of {comp} is now {what[4:]}."
    if what.startswith("circuit breaker "):
        return f"Circuit breaker to {comp} is now {what.rsplit(' ', 1)[-1]}."
    if what == "fix in progress":
        return f"Forward fix of {comp} in progress; ready in {mmss(d.get('ready_in_s', 0.0))}."
    if what == "producer throttle applied":
        return f"Producers to {comp} throttled to {d.get('allow_pct'):g}% of traffic."
    if what == "consumer joined; group rebalancing":
        return f"A consumer joined the {comp} group (now {d.get('consumers')}); it is rebalancing."
    if what == "offsets advanced past poison messages":
        return (
            f"Offsets of {comp} advanced past the poison messages "
            f"({d.get('moved_to_dlq')} moved to the dead-letter queue)."
        )
    extra = _extras(d, ("component", "what", "for"))
    return f"{comp}: {what}{extra}."


def _extras(d: Mapping[str, Any], skip: tuple[str, ...]) -> str:
    rest = [f"{k} {d[k]}" for k in sorted(d) if k not in skip and d[k] is not None]
    return f" ({', '.join(rest)})" if rest else ""


def describe_alert(e_type: str, d: Mapping[str, Any], op: str) -> str:
    value = d.get("value")
    if e_type == "alert.fired":
        summary = f" ({d['summary']})" if d.get("summary") else ""
        return (
            f"Alert {d.get('name')} fired [{d.get('severity')}]{summary}: "
            f"{d.get('metric')} {value:g} {op} {d.get('threshold'):g}."
        )
    return f"Alert {d.get('name')} resolved: {d.get('metric')} back to {value:g}."
