"""Group drills: what each player's inputs won and lost, beside the team's score."""

from __future__ import annotations

from tests.grading.helpers import SCRIPTS, Log, graded, steps_of


def test_each_player_is_credited_with_the_checks_their_inputs_moved() -> None:
    """In the group drill ben's unchecked, corrupting rollback lands on him, ana's look
    and flag on her (the flag and the rollback are different levers: no conflict)."""
    g = graded("mini", steps_of(SCRIPTS / "mini" / "group.yaml"))
    players = {p.actor: p for p in g.players}
    assert sorted(players) == ["ana", "ben", "cal"]
    ben = players["ben"]
    assert ben.checks == ("mitigation.harmful", "mitigation.unsafe_rollback")
    assert (ben.inputs, ben.won, ben.lost) == (1, 0.0, -40.0)
    assert dict(ben.categories) == {"mitigate": 1}
    assert "mitigation.choice" in players["ana"].checks
    assert "communication.public_update" in players["cal"].checks


def test_shared_points_are_split_between_the_players_who_earned_them() -> None:
    """Two people naming one role each share command.roles: 12.5 points apiece."""
    log = Log().page(100.0)
    log.input(130.0, "alex", type="assign_role", person="sam", role="comms")
    log.input(140.0, "kim", type="assign_role", person="priya", role="ops")
    players = {p.actor: p for p in log.grade().players}
    assert (players["alex"].won, players["kim"].won) == (12.5, 12.5)
    assert players["alex"].to_dict() == {
        "actor": "alex",
        "inputs": 1,
        "categories": {"command": 1},
        "points_won": 12.5,
        "points_lost": 0.0,
        "checks": ["command.roles"],
    }
