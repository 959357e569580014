"""The drill lifecycle table: legal moves, and illegal ones that change nothing."""

from __future__ import annotations

import pytest

from server.lifecycle import ACTIONS, TRANSITIONS, IllegalTransition, Lifecycle, NotRunning, Status


def test_the_table_drives_every_transition() -> None:
    """created -> running <-> paused -> ended, one action at a time."""
    life = Lifecycle()
    assert [
        life.apply(a) for a in ("speed", "start", "pause", "step", "resume", "jump", "end")
    ] == [
        Status.CREATED,
        Status.RUNNING,
        Status.PAUSED,
        Status.PAUSED,
        Status.RUNNING,
        Status.RUNNING,
        Status.ENDED,
    ]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", ACTIONS)
def test_an_illegal_transition_raises_and_changes_nothing(status: Status, action: str) -> None:
    """Every (status, action) pair missing from the table is refused, naming what is allowed."""
    if (status, action) in TRANSITIONS:
        return
    life = Lifecycle(status)
    with pytest.raises(IllegalTransition) as info:
        life.apply(action)
    assert life.status is status
    assert str(info.value).startswith(f"cannot {action} a drill that is {status}; allowed now: ")


def test_ended_is_final() -> None:
    """Nothing leaves ended, and it says so."""
    with pytest.raises(IllegalTransition, match="allowed now: none"):
        Lifecycle(Status.ENDED).check("resume")


def test_players_may_only_chat_unless_running() -> None:
    """Inputs by state and role: facilitators any time before the end, players while running."""
    Lifecycle(Status.RUNNING).check_input("player", "rollback")
    Lifecycle(Status.PAUSED).check_input("player", "chat")
    Lifecycle(Status.PAUSED).check_input("facilitator", "inject")
    with pytest.raises(NotRunning, match="the drill is paused; only chat is accepted"):
        Lifecycle(Status.PAUSED).check_input("player", "rollback")
    with pytest.raises(NotRunning, match="has ended"):
        Lifecycle(Status.ENDED).check_input("facilitator", "note")
