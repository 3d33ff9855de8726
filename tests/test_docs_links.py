"""docs/ and the README stay inside the repository: every relative link or `../` path resolves to a file
in the checkout (a reader of a fresh clone has nothing outside it)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)")
PARENT = re.compile(r"(?<![\w.])((?:\.\./)+[\w./-]+)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_stay_in_the_repository(page):
    text = page.read_text()
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # a web address: not a path
            continue
        path = (page.parent / target).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{page.name} links to {target}"
    for target in PARENT.findall(text):
        path = (page.parent / target).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{page.name} points outside the repository: {target}"
