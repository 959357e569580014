"""The postmortem templates: each one's sections, in order, and the blocks each holds.

``render`` writes the blocks; the model lists the section titles. Both read this
table, which imports neither.
"""

from __future__ import annotations

TEMPLATES: dict[str, list[tuple[str, list[str]]]] = {
    "default": [
        ("Participants", ["participants"]),
        ("Summary", ["summary"]),
        ("Impact", ["impact", "key_times"]),
        ("Timeline", ["timeline"]),
        (
            "Trigger and root cause",
            ["trigger", "root_cause", "contributing", "detection", "resolution"],
        ),
        ("What responders believed vs what was true", ["beliefs"]),
        ("Five whys", ["whys"]),
        ("What went well", ["grade_note", "well"]),
        ("What went wrong", ["wrong"]),
        ("Where we got lucky", ["lucky"]),
        ("Action items", ["actions"]),
    ],
    "pagerduty": [
        ("Overview", ["summary"]),
        ("What Happened", ["trigger", "root_cause", "detection"]),
        ("Contributing Factors", ["contributing", "whys"]),
        ("Resolution", ["resolution"]),
        ("Impact", ["impact", "key_times"]),
        ("Responders", ["participants"]),
        ("Timeline", ["timeline"]),
        (
            "How'd We Do?",
            [
                "grade_note",
                "h3:What Went Well",
                "well",
                "h3:What Didn't Go So Well",
                "wrong",
                "h3:Where We Got Lucky",
                "lucky",
                "h3:What Responders Believed vs What Was True",
                "beliefs",
            ],
        ),
        ("Action Items", ["actions"]),
        ("Messaging", ["messaging"]),
    ],
    "google-sre": [
        ("Summary", ["summary"]),
        ("Impact", ["impact"]),
        ("Root Causes", ["root_cause", "contributing", "whys"]),
        ("Trigger", ["trigger"]),
        ("Resolution", ["resolution"]),
        ("Detection", ["detection", "key_times"]),
        ("Action Items", ["actions"]),
        (
            "Lessons Learned",
            [
                "grade_note",
                "h3:What went well",
                "well",
                "h3:What went wrong",
                "wrong",
                "h3:Where we got lucky",
                "lucky",
                "h3:What responders believed vs what was true",
                "beliefs",
            ],
        ),
        ("Timeline", ["timeline"]),
        ("Supporting information", ["participants"]),
    ],
}


def section_titles(template: str) -> list[str]:
    """The section titles of ``template``, in order."""
    return [title for title, _ in TEMPLATES[template]]
