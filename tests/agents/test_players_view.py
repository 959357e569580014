"""What an agent gets is the players' view: no hidden truth, no facilitator events, until the end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from agents.actions import PLAYER_ACTIONS, model_of, parameters_schema
from agents.brief import player_facts
from agents.catalogue import catalogue
from agents.library import library_ids, load
from agents.mcpserver import ACTIONS_DOC, ACTIONS_URI, SCENARIO_URI, Desk, build_server
from engine.actions import ACTIONS
from engine.inputs import CATEGORY
from engine.metrics import GROUND_TRUTH


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _secrets(sid: str) -> list[str]:
    sc = load(sid)
    t = sc.truth
    cards = [c.text for c in sc.prompts]  # the facilitator's hints (a sent `say` line is public)
    return [
        sc.summary,
        t.trigger,
        t.root_cause,
        *t.contributing_factors,
        *t.causal_chain,
        *t.lucky,
        *cards,
    ]


@pytest.mark.parametrize("sid", library_ids())
async def test_no_hidden_truth_reaches_the_agent_before_the_end(sid: str) -> None:
    """Every investigation and observation over MCP: no truth text, no facilitator-only event
    (fault starts, prompt cards)."""
    desk = Desk()
    texts: list[str] = []
    seen: set[int] = set()
    async with Client(build_server(desk)) as client:

        async def call(name: str, args: dict[str, Any]) -> Any:
            r = await client.call_tool(name, args)
            if r.is_error:
                texts.append(r.content[0].text)
                return None
            value = json.loads(r.content[0].text)
            texts.extend(_strings(value))
            view = value.get("observation", value) if isinstance(value, dict) else {}
            seen.update(c["seq"] for c in view.get("changes", []))
            return value

        await call("start_drill", {"scenario": sid, "seed": 1})
        await call("wait", {"seconds": 600})
        assert desk.session is not None
        for a in catalogue(desk.session.scenario):
            if CATEGORY[a["type"]] == "investigate":
                await call(a["type"], {k: v for k, v in a.items() if k != "type"})
        while not desk.session.ended:
            await call("observe", {})
            await call("wait", {"seconds": 600})
        for uri in (ACTIONS_URI, SCENARIO_URI.format(id=sid)):
            texts += [c.text for c in (await client.read_resource(uri)).contents]
        hidden = {e.seq for e in desk.session.events if e.vis != "all"}
        assert hidden and seen and not seen & hidden
        blob = "\n".join(texts)
        for secret in _secrets(sid):
            assert secret.strip() not in blob
        assert "truth" not in texts and "injects" not in texts and "prompts" not in texts
        # nor what no real dashboard shows: the simulation's count of users affected
        assert "business.failed_rps" in texts and not set(GROUND_TRUTH) & set(texts)
        finished = await call("finish", {})
    # the debrief comes after the drill, and tells the truth
    assert load(sid).truth.root_cause.split(".")[0][:40] in finished["postmortem"]


def test_action_tools_take_the_engine_models_parameters() -> None:
    """Each action tool's schema lists exactly its engine model's fields and required ones."""
    players = {t for t, a in ACTIONS.items() if a.category != "facilitate"}
    assert set(PLAYER_ACTIONS) == players and "inject" not in PLAYER_ACTIONS
    assert {"rotate_certificate", "set_retries", "evacuate_region"} <= players
    for kind in PLAYER_ACTIONS:
        fields = model_of(kind).model_fields
        schema = parameters_schema(kind)
        assert set(schema["properties"]) == set(fields) - {"type"}
        assert set(schema.get("required", [])) == {
            n for n, f in fields.items() if f.is_required() and n != "type"
        }
    assert parameters_schema("shed_load")["properties"]["pct"]["maximum"] == 95


async def test_resources_are_the_action_reference_and_the_briefs() -> None:
    """docs/actions.md verbatim, and a brief per library scenario without the author's summary."""
    async with Client(build_server(Desk())) as client:
        uris = [str(r.uri) for r in (await client.list_resources()).resources]
        assert uris == [ACTIONS_URI, *(SCENARIO_URI.format(id=s) for s in library_ids())]
        doc = (await client.read_resource(ACTIONS_URI)).contents[0].text
        assert doc == ACTIONS_DOC.read_text(encoding="utf-8")
        brief = await client.read_resource(SCENARIO_URI.format(id="gateway-bad-pod"))
        text = brief.contents[0].text
        facts = player_facts(load("gateway-bad-pod"))
        assert text.startswith(f"# {facts['title']}\n")
        assert "- service `api-gateway`: 8 pods; endpoints " in text
        assert load("gateway-bad-pod").summary not in text
