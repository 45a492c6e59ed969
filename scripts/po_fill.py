"""Fill translations into locales/{fr,bn,ur}: ``python scripts/po_fill.py FILE.py`` where FILE.py
defines ``T = {msgid: (fr, bn, ur)}``. Only empty translations are filled; placeholders are
checked to be kept. A helper for translators' batches (``scripts/i18n update`` first)."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
_HOLES = re.compile(r"%\(\w+\)s|\{\w+\}")


def fill(table: dict[str, tuple[str, str, str]]) -> int:
    done = 0
    for n, lang in enumerate(("fr", "bn", "ur")):
        path = ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for msgid, texts in table.items():
            m = cat.get(msgid)
            if m is None or m.string:
                continue
            text = texts[n]
            if sorted(_HOLES.findall(text)) != sorted(_HOLES.findall(msgid)):
                raise SystemExit(f"{lang}: placeholders differ for {msgid!r}")
            m.string = text
            done += 1
        with path.open("wb") as fh:
            write_po(fh, cat, width=76, sort_output=True, ignore_obsolete=True)
    return done


if __name__ == "__main__":
    print(fill(runpy.run_path(sys.argv[1])["T"]), "translations filled")
