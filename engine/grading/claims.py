"""Every claim a player makes, read from what they said and checked against the simulation.

A claim is one checkable statement in a ``state_impact`` or ``status_update``
input: the share of users affected, the trend, the state of the data, which
services are hit, that impact is over (``monitoring`` / ``resolved`` or words
such as "fixed"), or that an action is under way. Structured fields are read
as they are; free text (a status update's ``impact``, ``action`` and ``text``,
a statement's ``scope``) is read by the patterns below, documented in
docs/grading.md ("Reading claims"). Each claim is compared with the metric
samples in force when it was made and gets a ``score`` from 0 (false) to 1
(true); a share is scored by the size of its error.
"""

from __future__ import annotations

import re

from ..log import Event
from . import rubric as R
from .model import Claim
from .timeline import AFFECTED_5XX_PCT, USERS, Timeline

NEGATION = re.compile(
    r"\b(?:no|not|never|nothing|none|without|zero|cannot|can't|won't|don't|doesn't|didn't|"
    r"isn't|aren't|wasn't|weren't)\b"
)
FUTURE = re.compile(r"\b(?:would|could|will|plan\w*|consider\w*|if|instead of|rather than)\b")
LATER = re.compile(
    r"\b(?:next|later|soon|to follow|planned|afterwards|follow[\s-]?ups?|action items?)\b"
)
LATER_HEADING = re.compile(r"(?:follow[\s-]?ups?|next steps?|action items?|to do|todo|later)")
# A share in a clause like these is about the past (checked against the peak so far) ...
PAST = re.compile(
    r"\b(?:failed|were|was|had|peaked|at (?:its |the )?peak|earlier|between|in the last|"
    r"for (?:about |roughly |around |some )?\d+ min\w*)\b"
)
DROP = re.compile(r"\b(?:drop\w*|down|fell|fall\w*|lower\w*) by\b")
USER_NOUNS = re.compile(
    r"\b(?:users?|customers?|members?|shoppers?|visitors?|people|players?|accounts?|buyers?)\b"
)
REQUEST_NOUNS = re.compile(
    r"\b(?:requests?|attempts?|payments?|calls?|orders?|transactions?|checkouts?|"
    r"redemptions?|traffic|volume|errors?|success)\b"
)
DATA_NOUNS = re.compile(
    r"\b(?:data|rows?|records?|orders?|events?|messages?|balances?|payments?|points|"
    r"confirmations?|jobs?|runs?|transactions?|work)\b"
)
IMPACT_NOUNS = re.compile(
    r"\b(?:users?|customers?|members?|shoppers?|visitors?|impact|errors?|failures?|failing)\b"
)
AFTER_NEGATION = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:rejected|ruled out|avoided|not)\b")
# ... or about who is fine (checked as 100 minus the share affected).
SUCCESS = re.compile(r"\b(?:work\w*|succeed\w*|success\w*|normal\w*|restored|able to|back)\b")
# A share: "40%", "40 percent", "half", "a third", "one in five" ...
PCT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)")
FRACTIONS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\btwo[\s-]thirds\b"), 200.0 / 3),
    (re.compile(r"\b(?:a|one)[\s-]third\b"), 100.0 / 3),
    (re.compile(r"\b(?:a|one)[\s-]quarter\b"), 25.0),
    (re.compile(r"\bthree[\s-]quarters\b"), 75.0),
    (re.compile(r"\bhalf\b"), 50.0),
)
ONE_IN = re.compile(r"\bone in (\d+|two|three|four|five|ten)\b")
SMALL = {"two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
TREND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rising", re.compile(r"\b(?:rising|increasing|growing|worsening|getting worse|climbing)\b")),
    ("falling", re.compile(r"\b(?:falling|decreasing|improving|dropping|easing|subsiding)\b")),
    ("stable", re.compile(r"\b(?:stable|steady|flat|holding steady)\b")),
)
DATA_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("corrupted", re.compile(r"\bcorrupt\w*")),
    ("lost", re.compile(r"\b(?:lost|loss|losing)\b")),
    ("delayed", re.compile(r"\b(?:delay\w*|backlog\w*|queued|behind)\b")),
    ("intact", re.compile(r"\b(?:intact|safe)\b")),
)
OVER = re.compile(
    r"\b(?:mitigated|resolved|fixed|restored|recovered|normal|normally|all clear|"
    r"(?:works?|working|flowing|starting|running) again)\b"
)
# Actions said to be under way, by the mitigation they name (first match wins per span).
ACTION_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rollback_config",
        re.compile(
            r"\b(?:roll\w*[\s-]?back|revert\w*|restor\w*) (?:\w+ ){0,3}"
            r"(?:config\w*|rules?(?:set)?|settings?)\b|\bprevious (?:config\w*|ruleset)\b"
        ),
    ),
    (
        "halt_config_push",
        re.compile(
            r"\b(?:halt\w*|paus\w*|stopp?\w*|froze|freez\w*) (?:\w+ ){0,3}"
            r"(?:push\w*|rollouts?|sync\w*|propagation)\b"
        ),
    ),
    (
        "rotate_certificate",
        re.compile(
            r"\b(?:rotat\w*|renew\w*|reissu\w*|replac\w*|new) (?:\w+ ){0,3}"
            r"(?:cert\w*|credentials?|keys?)\b|\bcert\w* (?:\w+ ){0,2}(?:rotated|renewed)\b"
        ),
    ),
    (
        "restore_record",
        re.compile(
            r"\b(?:restor\w*|republish\w*|fix\w*|recreat\w*|re-?add\w*|repopulat\w*) "
            r"(?:\w+ ){0,3}(?:dns|records?)\b|\bdns (?:\w+ ){0,2}(?:restored|republished|fixed)\b"
        ),
    ),
    (
        "set_retries",
        re.compile(
            r"\b(?:turn\w*|switch\w*|disabl\w*|reduc\w*|lower\w*|cut\w*|stopp?\w*) "
            r"(?:\w+ ){0,3}retr(?:y|ies)\b|\bretr(?:y|ies) (?:\w+ ){0,2}"
            r"(?:off|disabled|reduced|lowered|cut|jittered)\b"
            r"|\b(?:add\w*|turn\w* on|enabl\w*|switch\w* on) (?:\w+ ){0,3}jitter\b"
            r"|\bjitter (?:\w+ ){0,2}(?:on|enabled|added)\b"
        ),
    ),
    (
        "evacuate_region",
        re.compile(
            r"\b(?:evacuat\w*|drain\w* (?:\w+ ){0,2}region|mov\w* (?:\w+ ){0,3}traffic "
            r"(?:out of|away from|to)|shift\w* (?:\w+ ){0,3}traffic|traffic (?:\w+ ){0,3}"
            r"(?:moved|moving|shifted|shifting|evacuated|drained) (?:out of|away from|from))\b"
        ),
    ),
    (
        "reroute",
        re.compile(
            r"\b(?:re-?rout\w*|(?:point\w*|switch\w*|send\w*|sent) (?:\w+ ){0,3}(?:calls|queries|"
            r"connections) (?:\w+ ){0,3}to (?:the )?(?:other|another|\w+-\w+) region\w*)\b"
        ),
    ),
    (
        "pause_autoscaler",
        re.compile(
            r"\b(?:paus\w*|freez\w*|froze|disabl\w*|stopp?\w*) (?:\w+ ){0,2}autoscal\w*|"
            r"\bautoscal\w* (?:\w+ ){0,2}(?:paused|frozen|disabled|stopped)\b"
        ),
    ),
    (
        "cap_autoscaler",
        re.compile(
            r"\b(?:cap\w*|limit\w*|bound\w*) (?:\w+ ){0,2}autoscal\w*|"
            r"\bautoscal\w* (?:\w+ ){0,2}(?:capped|limited)\b"
        ),
    ),
    (  # before the quota: "raised the memory limit" is not a provider's quota
        "raise_limit",
        re.compile(
            r"\b(?:rais\w*|increas\w*|bump\w*|doubl\w*) (?:\w+ ){0,3}(?:memory|heap|"
            r"file[\s-]?descriptors?|fds?|ulimits?|disks?|volumes?)(?: (?:limits?|size))?\b"
        ),
    ),
    (
        "request_quota_raise",
        re.compile(
            r"\b(?:rais\w*|increas\w*|lift\w*|more) (?:\w+ ){0,3}"
            r"(?:quota|(?:rate[\s-]?)?limit)s?\b|"
            r"\bquota (?:\w+ ){0,2}(?:raise|increase)\w*"
        ),
    ),
    (
        "warm_cache",
        re.compile(r"\b(?:pre[\s-]?)?warm\w* (?:\w+ ){0,3}caches?\b|\bcache (?:\w+ ){0,2}warm\w*"),
    ),
    (
        "set_coalescing",
        re.compile(r"\b(?:coalesc\w*|collaps\w* (?:\w+ ){0,2}requests?|single[\s-]?flight)\b"),
    ),
    (
        "free_resource",
        re.compile(
            r"\b(?:free\w*|clean\w*|clear\w*|purg\w*|delet\w*|reclaim\w*) (?:\w+ ){0,3}"
            r"(?:disks?|space|volumes?|logs?|memory|file descriptors?)\b"
        ),
    ),
    (
        "set_timeout",
        re.compile(
            r"\b(?:lower\w*|reduc\w*|shorten\w*|tighten\w*|cut\w*|rais\w*) (?:\w+ ){0,3}"
            r"timeouts?\b"
        ),
    ),
    ("rollback", re.compile(r"\broll\w*[\s-]?back\w*|\brevert\w*|\bprevious version\b")),
    (
        "forward_fix",
        re.compile(
            r"\b(?:hot[\s-]?fix\w*|fix(?:ing)? forward|forward[\s-]fix|deploy\w* (?:a |the )?fix)"
        ),
    ),
    (
        "set_flag",
        re.compile(
            r"\b(?:flag|feature toggle|kill switch|disabl\w*|(?:turn|switch)\w* (?:\w+ ){0,3}off)\b"
        ),
    ),
    ("set_breaker", re.compile(r"\b(?:circuit|breaker|fail\w* fast)\b")),
    (
        "drain_pod",
        re.compile(
            r"\b(?:drain\w*|remov\w*) (?:\w+ ){0,3}(?:pod|instance|host|node|server)s?\b|"
            r"\b(?:pod|instance|host|node|server)s? (?:\w+ ){0,3}(?:drained|"
            r"(?:out of|from) (?:the )?rotation)"
        ),
    ),
    (
        "rate_limit",  # before the throttle: a rate limit said of a client or an endpoint
        re.compile(
            r"\brate[\s-]?limit\w* (?:\w+ ){0,3}(?:clients?|endpoints?|apps?|integrations?)\b"
            r"|\b(?:clients?|endpoints?|app|integration) (?:\w+ ){0,2}rate[\s-]?limited\b"
        ),
    ),
    (
        "throttle_producer",
        re.compile(
            r"\b(?:throttl\w*|rate[\s-]?limit\w*|"
            r"limit\w* (?:\w+ ){0,2}(?:intake|producers?|traffic|events))"
        ),
    ),
    ("shed_load", re.compile(r"\b(?:shed\w*|load[\s-]?shedding)\b")),
    (
        "skip_poison",
        re.compile(
            r"\b(?:poison\w*|dead[\s-]?letter\w*|dlq|"
            r"skip\w* (?:\w+ ){0,2}(?:messages?|events?|offsets?))\b"
        ),
    ),
    (
        "scale_consumers",
        re.compile(r"\b(?:add\w*|more|doubl\w*|scal\w*) (?:\w+ ){0,3}consumers?\b"),
    ),
    (
        "scale",
        re.compile(
            r"\b(?:scal\w* (?:up|out)|add\w* (?:\w+ ){0,2}(?:pods?|capacity|instances|replicas))\b"
        ),
    ),
    ("restart", re.compile(r"\b(?:restart\w*|bounc\w*|reboot\w*)\b")),
    ("failover", re.compile(r"\b(?:fail\w*[\s-]?over|promot\w* (?:the )?replica)\b")),
    (
        "kill_query",
        re.compile(
            r"\b(?:kill\w*|cancel\w*|terminat\w*) (?:\w+ ){0,3}"
            r"(?:quer\w*|sessions?|transactions?)\b"
        ),
    ),
)
# Levers plain words do not tell apart: "we are rate limiting traffic" is true of load
# shedding as of a producer throttle, "we paused the autoscaler" of a cap at today's size.
SAME_WORDS: dict[str, tuple[str, ...]] = {
    "throttle_producer": ("throttle_producer", "shed_load", "rate_limit"),
    "shed_load": ("shed_load", "throttle_producer", "rate_limit"),
    "pause_autoscaler": ("pause_autoscaler", "cap_autoscaler"),
    "cap_autoscaler": ("cap_autoscaler", "pause_autoscaler"),
}
# A data word in free text, (word, negated) -> the data states in which it is true.
# "Safe" and "intact" allow a backlog; "lost" for corrupted data is half right.
TEXT_DATA: dict[tuple[str, bool], tuple[str, ...]] = {
    ("corrupted", False): ("corrupted",),
    ("lost", False): ("corrupted",),
    ("delayed", False): ("delayed",),
    ("intact", False): ("intact", "delayed"),
    ("corrupted", True): ("intact", "delayed"),
    ("lost", True): ("intact", "delayed"),
    ("delayed", True): ("intact", "corrupted"),
    ("intact", True): ("delayed", "corrupted"),
}
ACTION_GRACE = 120.0  # an action said to be under way may be submitted this soon after
# "checkout-api is working again": a recovery (affected, fine now), not "never affected".
SCOPE_RECOVERED = re.compile(
    r"^\W*(?:\w+\W+){0,4}?(?:(?:working|fine|healthy|normal|up|available|flowing|serving) "
    r"again|back (?:to normal|up|online)|recovered|restored)\b"
)
SCOPE_OK = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:unaffected|not affected|fine|healthy|working|normal)\b"
)


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[.;:!?\n]|,\s*(?:but|and|while)\b|\bbut\b", text.lower()) if c]


def _negated(clause: str, start: int, end: int | None = None) -> bool:
    before = clause[:start].split()[-4:]
    after = clause[end:] if end is not None else ""
    return (
        bool(NEGATION.search(" ".join(before)))
        or bool(re.search(r"\b(?:un|non)$", clause[max(0, start - 3) : start]))
        or bool(end is not None and AFTER_NEGATION.search(after))
    )


def _future(clause: str, start: int) -> bool:
    return bool(FUTURE.search(" ".join(clause[:start].split()[-5:])))


def over_words(text: str) -> list[str]:
    """Words in ``text`` saying the impact is over ("fixed", "back to normal" ...)."""
    return [
        m.group(0)
        for c in _clauses(text)
        for m in OVER.finditer(c)
        if not _negated(c, m.start(), m.end())
    ]


def shares(text: str) -> list[tuple[float, str]]:
    """Every stated share in ``text``: (percent, ``now`` / ``past`` / ``fine``)."""
    out: list[tuple[float, str]] = []
    for clause in _clauses(text):
        past = bool(PAST.search(clause))
        fine = bool(SUCCESS.search(clause)) and not DROP.search(clause)
        how = "fine" if fine else "past" if past else "now"
        if REQUEST_NOUNS.search(clause) and not USER_NOUNS.search(clause):
            how = f"requests-{how}"
        if PCT.search(clause):
            out += [
                (float(m.group(1)), how) for m in PCT.finditer(clause) if float(m.group(1)) <= 100
            ]
            continue
        m1 = ONE_IN.search(clause)
        if m1:
            n = SMALL.get(m1.group(1)) or int(m1.group(1))
            if n > 0:
                out.append((100.0 / n, how))
            continue
        for pat, value in FRACTIONS:
            if pat.search(clause):
                out.append((value, how))
                break
    return out


def words(
    text: str, table: tuple[tuple[str, re.Pattern[str]], ...], about: re.Pattern[str]
) -> list[tuple[str, bool]]:
    """(label, negated) for every entry of ``table`` found in a clause of ``text`` that
    is ``about`` the right thing (data nouns for data words, impact for trends)."""
    found: dict[str, bool] = {}
    for clause in _clauses(text):
        if not about.search(clause):
            continue
        for label, pat in table:
            for m in pat.finditer(clause):
                neg = _negated(clause, m.start())
                found[label] = found.get(label, True) and neg
    return sorted(found.items(), key=lambda kv: [x[0] for x in table].index(kv[0]))


def actions_named(text: str) -> list[str]:
    """Mitigations ``text`` says are under way or done (not negated, not hypothetical)."""
    out: list[str] = []
    heading = False  # "Follow-ups: ..." says what comes after it is still to do
    for clause in _clauses(text):
        if heading:
            heading = False
            continue
        if LATER_HEADING.fullmatch(clause.strip()):
            heading = True
            continue
        taken: list[tuple[int, int]] = []
        for label, pat in ACTION_WORDS:
            for m in pat.finditer(clause):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                if (
                    label not in out
                    and not _negated(clause, m.start(), m.end())
                    and not _future(clause, m.start())
                    and not LATER.search(clause)
                ):
                    out.append(label)
    return out


def services_named(text: str, names: list[str]) -> list[tuple[str, str]]:
    """(service, what is said of it) for every topology service named in ``text``: ``fine``
    (unaffected), ``recovered`` (working again) or ``affected``."""
    low = text.lower()
    out = []
    for name in names:
        i = low.find(name.lower())
        if i >= 0:
            rest = low[i + len(name) :]
            said = (
                "recovered"
                if SCOPE_RECOVERED.search(rest)
                else "fine"
                if SCOPE_OK.search(rest)
                else "affected"
            )
            out.append((name, said))
    return out


def share_score(said: float, truth: float) -> tuple[float, float]:
    """(score, tolerance): full within the tolerance, falling linearly to 0 at 3x."""
    tol = max(R.USERS_TOL_ABS, R.USERS_TOL_REL * truth)
    off = abs(said - truth)
    return max(0.0, min(1.0, 1.0 - (off - tol) / (2.0 * tol))), tol


class _Reader:
    def __init__(self, tl: Timeline, rb: R.Rubric) -> None:
        self.tl, self.rb = tl, rb
        self.services = sorted(
            (s.name for s in tl.scenario.topology.services), key=len, reverse=True
        )
        self.mits = tl.inputs_of(*R.MITIGATIONS)
        self.hit = tl.affected_services()

    def claim(
        self,
        e: Event,
        source: str,
        kind: str,
        said: str,
        truth: str,
        score: float,
        off_by: str | None,
        structured: bool,
        value: float | None = None,
    ) -> Claim:
        return Claim(
            e.seq,
            e.t,
            e.actor,
            source,
            kind,
            said,
            truth,
            score,
            None if score >= 1.0 else off_by,
            structured,
            value,
        )

    def share(
        self, e: Event, source: str, said: float, structured: bool, how: str = "now"
    ) -> Claim:
        requests = how.startswith("requests-")
        how = how.removeprefix("requests-")
        stated = 100.0 - said if how == "fine" else said
        past = how == "past"
        figures = self.request_shares(e.t, past) if requests else []
        if not figures:
            if past:
                seen = [s.values.get(USERS, 0.0) for s in self.tl.samples if s.t <= e.t + 1e-9]
                figures = [(max(seen, default=0.0), "users affected")]
            else:
                figures = [(self.tl.users(e.t), "users affected")]
        # A share of requests may mean any failure rate the charts show: the closest counts.
        truth, name = min(figures, key=lambda f: (abs(stated - f[0]), f[1]))
        what = f"{name}{' at the peak so far' if past else ''}"
        score, tol = share_score(stated, truth)
        off = stated - truth
        noun = "requests" if requests else "users"
        text = (
            f"{said:g}% of {noun} fine ({stated:g}% failing)"
            if how == "fine"
            else f"{said:g}% of {noun}{' (in the past)' if how == 'past' else ''}"
        )
        return self.claim(
            e,
            source,
            "users",
            text,
            f"{truth:.1f}% ({what})",
            score,
            f"{'+' if off >= 0 else ''}{off:.1f} points (right within {tol:.1f})",
            structured,
            stated,
        )

    def request_shares(self, t: float, past: bool) -> list[tuple[float, str]]:
        """Failure rates of requests the top-level charts show at ``t`` (or their peak so
        far): each service's 5xx rate and each business flow's failure rate."""
        used = [s for s in self.tl.samples if s.t <= t + 1e-9]
        if not past:
            used = used[-1:]
        out: dict[str, float] = {}
        for s in used:
            for k, v in s.values.items():
                if k.endswith(".err_5xx_pct"):
                    name = f"{k[: -len('.err_5xx_pct')]} 5xx"
                    out[name] = max(out.get(name, 0.0), v)
                elif k.startswith("business.") and k.endswith("_success_pct"):
                    name = f"{k[len('business.') : -len('_success_pct')]} failures"
                    out[name] = max(out.get(name, 0.0), 100.0 - v)
        return sorted((v, k) for k, v in out.items())

    def trend(self, e: Event, source: str, said: str, structured: bool) -> Claim:
        allowed = self.tl.trends(e.t, self.rb.w("trend"))
        ok = said in allowed
        return self.claim(
            e,
            source,
            "trend",
            said,
            " or ".join(allowed),
            1.0 if ok else 0.0,
            f"said {said}",
            structured,
        )

    def data(self, e: Event, source: str, said: str, negated: bool, structured: bool) -> Claim:
        state = self.tl.data_state(e.t)
        if structured:
            score = 1.0 if said == state else 0.5 if (said, state) == ("lost", "corrupted") else 0.0
            text = f"data {said}"
        else:
            holds = TEXT_DATA[(said, negated)]
            score = (0.5 if (said, negated) == ("lost", False) else 1.0) if state in holds else 0.0
            text = f"data {'not ' if negated else ''}{said}"
        return self.claim(
            e, source, "data", text, f"data {state}", score, f"data was {state}", structured
        )

    def over(self, e: Event, source: str, said: str, structured: bool) -> Claim:
        ongoing = self.tl.harm_at(e.t, self.rb.threshold)
        later = said == "resolved" and self.tl.harm_after(e.t, self.rb.threshold)
        users = self.tl.users(e.t)
        losses = [h.removeprefix("business.").replace("_", " ") for h in ongoing if h != USERS]
        truth = (
            f"{users:.1f}% of users affected"
            + (f"; {' and '.join(losses)} still growing" if losses else "")
            + ("; impact returned later" if later and not ongoing else "")
        )
        ok = not ongoing and not later
        return self.claim(
            e,
            source,
            "over",
            said,
            truth,
            1.0 if ok else 0.0,
            "impact was still ongoing",
            structured,
        )

    def scope(self, e: Event, source: str, service: str, said: str) -> Claim:
        """``said`` of ``service`` (fine, recovered, affected) against the samples: fine is
        true if it was never hit so far, recovered if it was and its 5xx is low now."""
        hit = service in self.hit_by(e.t)
        if said == "recovered":
            now = self.tl.value(f"{service}.err_5xx_pct", e.t)
            true = hit and now < AFFECTED_5XX_PCT
            truth = (
                f"{service} {'recovered' if true else 'still failing' if hit else 'never hit'}"
                f" ({now:.1f}% 5xx)"
            )
            why = f"{service} {'was never affected' if not hit else f'still at {now:.1f}% 5xx'}"
            return self.claim(
                e, source, "scope", f"{service} recovered", truth, float(true), why, False
            )
        fine = said == "fine"
        return self.claim(
            e,
            source,
            "scope",
            f"{service} {'unaffected' if fine else 'affected'}",
            f"{service} {'affected' if hit else 'unaffected'}",
            1.0 if hit != fine else 0.0,
            f"{service} was {'affected' if hit else 'not affected'}",
            False,
        )

    def hit_by(self, t: float) -> set[str]:
        return self.tl.affected_services(until=t)

    def action(self, e: Event, source: str, action: str) -> Claim:
        kin = SAME_WORDS.get(action, (action,))
        done = [m for m in self.mits if m.data["type"] in kin and m.t <= e.t + ACTION_GRACE]
        truth = (
            f"{action} submitted at {self.tl.at(done[0].t)}" if done else f"no {action} submitted"
        )
        return self.claim(
            e, source, "action", action, truth, 1.0 if done else 0.0, f"nobody ran {action}", False
        )

    def read(self, e: Event) -> list[Claim]:
        d = e.data
        kind = d.get("type")
        out: list[Claim] = []
        if kind == "state_impact":
            src = "state_impact"
            out.append(self.share(e, src, float(d["users_pct"]), True))
            out.append(self.trend(e, src, str(d["trend"]), True))
            out.append(self.data(e, src, str(d["data"]), False, True))
            out += self.text_claims(e, src, str(d.get("scope", "")), with_share=False)
            return out
        src = f"status_update ({d.get('audience')})"
        said = f"{d.get('impact', '')}. {d.get('text', '')}"
        over = over_words(said)
        if d.get("state") in ("monitoring", "resolved"):
            # The state field says it is over; the words may say so too (then it counts
            # as said in words, not only picked from a list).
            out.append(self.over(e, src, str(d["state"]), not over))
        elif over:
            out.append(self.over(e, src, over[0], False))
        out += self.text_claims(e, src, said, with_share=True)
        for action in actions_named(f"{d.get('action', '')}. {d.get('text', '')}"):
            out.append(self.action(e, src, action))
        return out

    def text_claims(self, e: Event, src: str, text: str, with_share: bool) -> list[Claim]:
        out: list[Claim] = []
        if with_share:
            out += [self.share(e, src, v, False, how) for v, how in shares(text)]
        for label, neg in words(text, TREND_WORDS, IMPACT_NOUNS):
            if not neg:
                out.append(self.trend(e, src, label, False))
        for label, neg in words(text, DATA_WORDS, DATA_NOUNS):
            # Only a world with queues keeps a backlog: elsewhere "delayed" is about speed.
            if label != "delayed" or self.tl.scenario.topology.topics:
                out.append(self.data(e, src, label, neg, False))
        for service, said in services_named(text, self.services):
            out.append(self.scope(e, src, service, said))
        return out


def read_claims(tl: Timeline, rb: R.Rubric) -> list[Claim]:
    """Every claim in the log's state_impact and status_update inputs, in log order."""
    reader = _Reader(tl, rb)
    return [c for e in tl.inputs_of("state_impact", "status_update") for c in reader.read(e)]


def summary(claims: list[Claim]) -> tuple[float, Claim | None, Claim | None]:
    """(credit, latest, worst): the mean of the latest claim's and the worst claim's
    scores, so a wrong statement costs however many right ones surround it."""
    if not claims:
        return 0.0, None, None
    latest = claims[-1]
    worst = min(claims, key=lambda c: (c.score, c.seq))
    return (latest.score + worst.score) / 2.0, latest, worst


def describe_claim(c: Claim) -> str:
    """``said ≠ truth`` in one line, for details and the report."""
    mark = "true" if c.true else "partly true" if c.score > 0 else "false"
    return f"{c.actor} said {c.said!s}; the simulation had {c.truth} ({mark})"


__all__ = ["Claim", "describe_claim", "read_claims", "summary"]
