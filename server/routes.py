"""The REST API: scenarios, drills, joining, controls, log export, reports, health."""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine import __version__
from engine.vocabulary import ActionTable, action_table

from .auth import Principal, may, require
from .drills import Drills
from .errors import Conflict, Forbidden, NotFound, Unauthorized
from .history import NOBODY, REFERENCE, nobody_events, reference_events, side
from .lifecycle import Status
from .reports import render_report
from .schemas import (
    Accepted,
    Codes,
    Comparison,
    Control,
    CreateDrill,
    CreateSolo,
    DrillCreated,
    DrillState,
    ErrorBody,
    Health,
    History,
    InvalidBody,
    Join,
    Joined,
    Report,
    ScenarioInfo,
    SoloCreated,
    SubmitInput,
    Urls,
)
from .session import DrillSession
from .store import RunQuery, RunRecord

router = APIRouter(prefix="/api")
bearer = HTTPBearer(
    auto_error=False, description="A token from POST /api/drills (facilitator) or /join."
)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": InvalidBody if c == 422 else ErrorBody} for c in codes}


# What any route with a JSON body may answer: not JSON (400), too big (413), not sent as JSON
# (415), of the wrong shape (422).
BODY = (400, 413, 415, 422)


async def drills_of(request: Request) -> Drills:  # async: no threadpool hop
    return request.app.state.drills  # type: ignore[no-any-return]


DrillsDep = Annotated[Drills, Depends(drills_of)]


async def session_of(drill_id: str, drills: DrillsDep) -> DrillSession:
    return await drills.get(drill_id)


async def principal_of(
    drill_id: str,
    drills: DrillsDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if creds is None:
        raise Unauthorized("send your token as `Authorization: Bearer <token>`")
    return drills.authenticate(drill_id, creds.credentials)


SessionDep = Annotated[DrillSession, Depends(session_of)]
WhoDep = Annotated[Principal, Depends(principal_of)]


def _urls(request: Request, drill_id: str) -> tuple[str, str]:
    base = (request.app.state.settings.public_url or str(request.base_url)).rstrip("/")
    ws = "ws" + base[4:] if base.startswith("http") else base
    return base, f"{ws}/ws/{drill_id}"


# ------------------------------------------------------------------ routes
@router.get("/health", response_model=Health, tags=["server"])
async def health(drills: DrillsDep) -> dict[str, Any]:
    """Liveness, load and pacing quality of this process; `degraded` while the store fails."""
    clients = sum(len(s.hub) for s in drills.live.values())
    return {
        "status": "ok" if drills.health.ok else "degraded",
        "storage": drills.health.snapshot(),
        "version": __version__,
        "drills": {"live": len(drills.live), "limit": drills.limits.drills},
        "clients": clients,
        "tick_lateness": drills.lateness.percentiles(),
        "worker": os.getpid(),  # which of several workers answered (each has its own figures)
    }


@router.get("/actions", response_model=ActionTable, tags=["actions"])
async def actions() -> ActionTable:
    """Every action a drill accepts: its category, its parameters (kind, bounds, choices),
    how the console offers it and words it, and which roles may send it. The web client
    builds its console from this table (engine/actions.py and engine/inputs.py)."""
    return action_table()


@router.get("/scenarios", response_model=list[ScenarioInfo], tags=["scenarios"])
async def scenarios(drills: DrillsDep) -> list[dict[str, Any]]:
    """The scenario library: what each drill teaches, how hard it is, where it comes from."""
    return drills.library.infos()


@router.post(
    "/drills",
    response_model=DrillCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["drills"],
    responses=errors(*BODY, 404, 503),
)
async def create_drill(body: CreateDrill, request: Request, drills: DrillsDep) -> dict[str, Any]:
    """Create a drill (status `created`). The token and codes are shown only here."""
    session, s = drills.create(body.scenario, body.seed, body.speed, body.facilitator, body.cohort)
    base, ws = _urls(request, session.id)
    return {
        "drill_id": session.id,
        "status": str(session.status),
        "facilitator_token": s.facilitator_token,
        "player_code": s.player_code,
        "observer_code": s.observer_code,
        # secrets ride in the fragment, which browsers never send to a server
        "urls": Urls(
            facilitator=f"{base}/drills/{session.id}/facilitate#token={s.facilitator_token}",
            player_join=f"{base}/drills/{session.id}/join#code={s.player_code}",
            observer_join=f"{base}/drills/{session.id}/join#code={s.observer_code}",
            websocket=ws,
        ),
    }


@router.post(
    "/solo",
    response_model=SoloCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["drills"],
    responses=errors(*BODY, 404, 409, 503),
)
async def create_solo(body: CreateSolo, request: Request, drills: DrillsDep) -> dict[str, Any]:
    """Practise alone: a drill in which you are the only player (the on-call engineer),
    with the scenario's simulated teammates to page and delegate to. The clock waits
    for you: start it with the clock token (POST /control)."""
    coach = "coach" if body.name.casefold() != "coach" else "clock"
    session, s = drills.create(body.scenario, body.seed, body.speed, coach, body.cohort)
    who, token = drills.join(session, s.player_code, body.name, None)
    base, ws = _urls(request, session.id)
    return {
        "drill_id": session.id,
        "status": str(session.status),
        "token": token,
        "clock_token": s.facilitator_token,
        "name": who.name,
        "play": f"{base}/drills/{session.id}/play#token={token}",
        "websocket": ws,
    }


@router.post(
    "/drills/{drill_id}/join",
    response_model=Joined,
    status_code=status.HTTP_201_CREATED,
    tags=["drills"],
    responses=errors(*BODY, 401, 404, 409, 503),
)
async def join(
    body: Join, session: SessionDep, drills: DrillsDep, request: Request
) -> dict[str, Any]:
    """Trade the player code (with a name) or observer code for a personal token."""
    who, token = drills.join(session, body.code, body.name, body.role)
    return {
        "drill_id": session.id,
        "token": token,
        **who.public(),
        "websocket": _urls(request, session.id)[1],
    }


@router.get(
    "/drills/{drill_id}",
    response_model=DrillState,
    tags=["drills"],
    responses=errors(401, 403, 404),
)
async def drill_state(session: SessionDep, who: WhoDep) -> dict[str, Any]:
    """The drill as the token holder may see it (hidden truth for the facilitator only)."""
    require(who.role, "read:state")
    return session.state(who)


@router.post(
    "/drills/{drill_id}/control",
    response_model=Accepted,
    tags=["drills"],
    responses=errors(*BODY, 401, 403, 404, 409, 503),
)
async def control(body: Control, session: SessionDep, who: WhoDep) -> dict[str, Any]:
    """Facilitator clock: start, pause, resume, speed, step, jump, end (logged as inputs)."""
    require(who.role, f"control:{body.action}")
    data = body.model_dump(exclude_none=True)
    action = data.pop("action")
    if action == "end":
        inp = {"type": "end", **data}
    else:
        inp = {"type": "clock", "action": action, **data}
    done = await session.submit(who, inp)
    return {"seq": done.seq, "status": done.status, "t": done.t}


@router.post(
    "/drills/{drill_id}/inputs",
    response_model=Accepted,
    tags=["drills"],
    responses=errors(*BODY, 401, 403, 404, 409, 429, 503),
)
async def submit(
    body: SubmitInput, session: SessionDep, who: WhoDep, drills: DrillsDep
) -> dict[str, Any]:
    """Submit one engine input, as over the WebSocket (for scripts and bots)."""
    drills.throttle(who, asyncio.get_running_loop().time())
    done = await session.submit(who, body.input, body.as_)
    return {"seq": done.seq, "status": done.status, "t": done.t}


@router.post(
    "/drills/{drill_id}/codes",
    response_model=Codes,
    tags=["drills"],
    responses=errors(401, 403, 404),
)
async def rotate_codes(
    session: SessionDep, who: WhoDep, drills: DrillsDep, request: Request
) -> dict[str, str]:
    """Replace both join codes (tokens already issued keep working)."""
    require(who.role, "drill:codes")
    player, observer = drills.rotate_codes(session)
    base, _ = _urls(request, session.id)
    return {
        "player_code": player,
        "observer_code": observer,
        "player_join": f"{base}/drills/{session.id}/join#code={player}",
        "observer_join": f"{base}/drills/{session.id}/join#code={observer}",
    }


@router.get(
    "/drills/{drill_id}/log",
    tags=["drills"],
    response_class=Response,
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": "The drill log as JSON lines, filtered to your view.",
        },
        **errors(401, 403, 404),
    },
)
async def export_log(session: SessionDep, who: WhoDep) -> Response:
    """The drill log (JSONL). The facilitator gets every event; others their view."""
    require(who.role, "read:log")
    body = session.export(who.view)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={
            "X-Log-Digest": hashlib.sha256(body).hexdigest(),
            "X-Log-Seq": str(session.seq),
            "Content-Disposition": f'attachment; filename="{session.id}.jsonl"',
        },
    )


def _after_end(kind: str, session: DrillSession, who: Principal) -> None:
    """Reports are read after the end, except by the facilitator."""
    if session.status is not Status.ENDED and not may(who.role, "read:report_live"):
        raise Conflict(
            f"the {kind} is available once the drill has ended (it is {session.status}); "
            "only the facilitator sees it live"
        )


async def _report(kind: str, session: DrillSession, who: Principal) -> Any:
    _after_end(kind, session, who)
    require(who.role, "read:report")
    events = list(session.drill.log.events)
    return await asyncio.to_thread(render_report, kind, session.scenario, events)


# documented, not enforced: the engine owns the fields, the route only adds `markdown`
REPORT: dict[int | str, dict[str, Any]] = {200: {"model": Report}, **errors(401, 403, 404, 409)}


@router.get("/drills/{drill_id}/grade", tags=["reports"], responses=REPORT)
async def grade(session: SessionDep, who: WhoDep) -> Any:
    """The explainable grade (after the end; live for the facilitator)."""
    return await _report("grade", session, who)


@router.get("/drills/{drill_id}/postmortem", tags=["reports"], responses=REPORT)
async def postmortem(session: SessionDep, who: WhoDep) -> Any:
    """The postmortem draft (after the end; live for the facilitator)."""
    return await _report("postmortem", session, who)


# ------------------------------------------------------------------ history
PlayerFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=40,
        pattern=r"^[\w][\w .'@-]*$",
        description="Facilitator only: the runs of this one player of the cohort.",
    ),
]


async def _history(
    session: DrillSession, who: Principal, drills: Drills, player: str | None = None
) -> tuple[str | None, list[RunRecord]]:
    """(the facilitator's cohort, the runs of this drill's scenario the caller may see):
    a player's own, or a facilitator's cohort's (this drill's alone without a cohort).
    Drills are graded when they end; this waits only for gradings still under way."""
    require(who.role, "read:history")
    scenario = session.scenario.id
    await drills.graded(scenario)
    store = drills.store
    if who.role != "facilitator":
        if player is not None and player.casefold() != who.name.casefold():
            raise Forbidden("only the facilitator may read another player's runs")
        return None, store.runs(RunQuery(scenario, who.name))
    record = store.drill(session.id)
    cohort = record.cohort if record is not None else None
    alone = None if cohort is not None else session.id
    return cohort, store.runs(RunQuery(scenario, player, cohort, alone))


@router.get(
    "/drills/{drill_id}/history",
    response_model=History,
    tags=["reports"],
    responses=errors(401, 403, 404, 422),
)
async def history(
    session: SessionDep, who: WhoDep, drills: DrillsDep, player: PlayerFilter = None
) -> dict[str, Any]:
    """Finished runs of this drill's scenario with their scores, oldest first: your own
    (a player token), or every player's of this drill's cohort (the facilitator's; only
    this drill's when it has no cohort), narrowed to one with `player`."""
    cohort, runs = await _history(session, who, drills, player)
    return {
        "scenario": session.scenario.id,
        "player": player if who.role == "facilitator" else who.name,
        "cohort": cohort,
        "runs": [r.public() for r in runs],
    }


@router.get(
    "/drills/{drill_id}/compare",
    response_model=Comparison,
    tags=["reports"],
    responses=errors(401, 403, 404, 409),
)
async def compare(
    session: SessionDep, who: WhoDep, drills: DrillsDep, other: str = REFERENCE
) -> dict[str, Any]:
    """This run beside another of the caller's runs of the scenario (`other`: a drill id),
    the strong reference play with the same seed (`other=reference`), or the same drill
    had nobody done anything (`other=nobody`): both by deterministic replay."""
    require(who.role, "read:history")
    _after_end("comparison", session, who)
    _, runs = await _history(session, who, drills)
    scenario = session.scenario
    mine = list(session.drill.log.events)
    if other == REFERENCE:
        theirs = await asyncio.to_thread(reference_events, scenario, session.drill.seed)
        if theirs is None:
            raise NotFound(f"scenario {scenario.id} has no strong reference play")
        label = "reference strong play"
    elif other == NOBODY:
        until = mine[-1].t if mine else 0.0
        theirs = await asyncio.to_thread(nobody_events, scenario, session.drill.seed, until)
        label = "nobody did anything"
    else:
        if other not in {r.drill_id for r in runs}:
            shown = other if len(other) <= 40 else other[:37] + "..."
            raise NotFound(f"no finished run {shown!r} of {scenario.id} that you may see")
        theirs = list((await drills.get(other)).drill.log.events)
        label = f"drill {other}"
    a, b = await asyncio.to_thread(
        lambda: (side(scenario, mine, f"drill {session.id}"), side(scenario, theirs, label))
    )
    return {"a": a, "b": b}
