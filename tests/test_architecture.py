"""The layers' import contracts (pyproject.toml, `lint-imports` in .ci/run) cover the code
as it is: a module added to assistant/ is named in every contract it belongs to."""

from __future__ import annotations

import tomllib
from typing import Any

from assistant.core.settings import PROJECT_ROOT

OURS = {"search", "sync", "sandbox"}
#: The Google layer: below search and sync, above the core.
GOOGLE = {"assistant.accounts"}


def contracts() -> list[dict[str, Any]]:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def assistant_modules() -> set[str]:
    return {
        f"assistant.{path.stem if path.is_file() else path.name}"
        for path in (PROJECT_ROOT / "assistant").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path.is_dir() and (path / "__init__.py").exists())
    }


def contract(source: list[str] | str) -> dict[str, Any]:
    wanted = [source] if isinstance(source, str) else source
    return next(c for c in contracts() if c["source_modules"] == wanted)


def test_the_core_imports_nothing_else_of_ours() -> None:
    assert set(contract("assistant.core")["forbidden_modules"]) == (assistant_modules() - {"assistant.core"}) | OURS


def test_search_and_sync_import_only_the_core_and_the_google_layer() -> None:
    below = {"assistant.core"} | GOOGLE
    assert set(contract(["search", "sync"])["forbidden_modules"]) == assistant_modules() - below


def test_the_serving_path_never_imports_the_tools() -> None:
    tools = next(c for c in contracts() if c["forbidden_modules"] == ["assistant.tools"])
    assert set(tools["source_modules"]) == (assistant_modules() - {"assistant.tools"}) | OURS
