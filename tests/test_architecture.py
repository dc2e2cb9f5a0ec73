"""The layers' import contracts (pyproject.toml, `lint-imports` in .ci/run) cover the code
as it is: every package and module of ours sits in exactly one layer, and the contract
that keeps the product away from the Google stand-in names every product layer."""

from __future__ import annotations

import tomllib
from typing import Any

from assistant.core.settings import PROJECT_ROOT

#: Ours, outside `assistant/`; the sandbox is the Google stand-in, not the product.
OTHER_PACKAGES = {"search", "sync"}
#: Above the product: they drive the sandbox on purpose.
TOOLS = {"assistant.cli", "assistant.tools"}


def contracts() -> list[dict[str, Any]]:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def assistant_modules() -> set[str]:
    return {
        f"assistant.{path.stem if path.is_file() else path.name}"
        for path in (PROJECT_ROOT / "assistant").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path.is_dir() and (path / "__init__.py").exists())
    }


def layer_modules() -> list[str]:
    layers = next(c for c in contracts() if c["type"] == "layers")["layers"]
    return [name.strip() for layer in layers for name in layer.replace("|", ":").split(":")]


def test_every_module_sits_in_exactly_one_layer() -> None:
    named = layer_modules()
    assert len(named) == len(set(named)), "a module is named in two layers"
    assert set(named) == assistant_modules() | OTHER_PACKAGES


def test_the_layers_run_from_the_delivery_down_to_the_core() -> None:
    named = layer_modules()
    order = ["assistant.cli", "assistant.api", "assistant.composition", "assistant.pipeline", "assistant.agents"]
    order += ["sync", "search", "assistant.google", "assistant.core"]
    assert [named.index(module) for module in order] == sorted(named.index(module) for module in order)


def test_no_product_module_imports_the_sandbox() -> None:
    forbidden = next(c for c in contracts() if c.get("forbidden_modules") == ["sandbox"])
    assert set(forbidden["source_modules"]) == (assistant_modules() | OTHER_PACKAGES) - TOOLS
