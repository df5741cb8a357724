"""docs/clients/mageflow-python.md shows examples/python/worker.py and caller.py as they are."""

from __future__ import annotations

import pytest

from .conftest import REPO_ROOT


@pytest.mark.parametrize("example", ["worker.py", "caller.py"])
def test_the_page_shows_the_example_as_it_is(example: str) -> None:
    page = (REPO_ROOT / "docs" / "clients" / "mageflow-python.md").read_text()
    code = (REPO_ROOT / "examples" / "python" / example).read_text()
    assert f"```python\n{code}```\n" in page, f"docs/clients/mageflow-python.md does not show examples/python/{example}"
