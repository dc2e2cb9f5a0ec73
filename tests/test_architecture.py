"""The layers' import contracts (pyproject.toml, `lint-imports` in .ci/run) cover the code
as it is: a module added to assistant/ is named in the core's forbidden list."""

from __future__ import annotations

import tomllib

from assistant.core.settings import PROJECT_ROOT


def test_the_core_contract_forbids_every_other_module_of_assistant() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    core = next(c for c in config["contracts"] if c["source_modules"] == ["assistant.core"])
    modules = {
        f"assistant.{path.stem if path.is_file() else path.name}"
        for path in (PROJECT_ROOT / "assistant").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert set(core["forbidden_modules"]) == (modules - {"assistant.core"}) | {"search", "sync", "sandbox"}
