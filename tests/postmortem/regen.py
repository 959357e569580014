"""Regenerate the stored postmortems after a deliberate change.

    .venv/bin/python -m tests.postmortem.regen          # write every golden file
    .venv/bin/python -m tests.postmortem.regen --check  # exit 1 if any is stale

Writes tests/postmortem/golden/<scenario>/<script>[.<template>].md, one JSON
golden, and the committed example docs/examples/postmortem-checkout-deploy-500s.md.
Review the diff before committing: every changed number should be explained
by the change you made.
"""

from __future__ import annotations

import sys

from .runs import GOLDEN, ROOT, expected_files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    files = expected_files()
    for path, text in files.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    orphans = [p for p in GOLDEN.rglob("*") if p.is_file() and p not in files]
    for p in orphans:
        stale.append(p)
        if not check:
            p.unlink()
    verb = "stale" if check else "written"
    for p in stale:
        print(f"{verb}: {p.relative_to(ROOT)}")
    print(f"{len(files)} files, {len(stale)} {verb}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
