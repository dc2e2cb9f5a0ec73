"""pyproject.toml declares what our code imports (issue 20, item 8).

Runtime code (assistant/, search/, sync/, sandbox/, migrations/, chat_app.py) imports only
the distributions in [project] dependencies: the Docker image installs nothing else. Tests
import those or the `dev` extra. Every declared distribution is imported somewhere, or says
below why it is not. The source is read with `ast`; a module is mapped to the installed
distribution that provides it (importlib.metadata), so this runs in the dev venv.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_CODE = ("assistant", "search", "sync", "sandbox", "migrations", "chat_app.py")
TEST_CODE = ("tests",)
FIRST_PARTY = {"assistant", "search", "sync", "sandbox", "migrations", "chat_app", "tests"}

# Runtime modules that are developer tools: they may import a `dev` dependency, inside the
# function that needs it, so that the product runs without it.
DEV_TOOL_IMPORTS = {
    "assistant/tools/train_understanding.py": {"scikit-learn", "scipy", "python-crfsuite"},
    "assistant/tools/bench/chart.py": {"matplotlib"},
}

# Declared, and rightly, but never imported by the code that they are declared for.
NOT_IMPORTED = {
    "asyncpg": "SQLAlchemy's driver, named in the database URL (postgresql+asyncpg)",
    "pytest-asyncio": "a pytest plugin (asyncio_mode = auto)",
    "uv": "a command: compiles requirements.lock and requirements-dev.lock",
    "import-linter": "a command: lint-imports checks the layers' import contracts",
    "ruff": "a command: ruff format and ruff check in .ci/run",
    "mypy": "a command: mypy in .ci/run",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return canonical(match.group(1))


@cache
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def runtime_declared() -> set[str]:
    return {requirement_name(r) for r in pyproject()["project"]["dependencies"]}


def dev_declared() -> set[str]:
    return {requirement_name(r) for r in pyproject()["project"]["optional-dependencies"]["dev"]}


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    module: str
    in_function: bool


def python_files(roots: tuple[str, ...]) -> Iterator[Path]:
    for name in roots:
        path = ROOT / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


@cache
def third_party_imports(roots: tuple[str, ...]) -> tuple[Import, ...]:
    return tuple(_third_party_imports(roots))


def _third_party_imports(roots: tuple[str, ...]) -> Iterator[Import]:
    for file in python_files(roots):
        tree = ast.parse(file.read_text(), str(file))
        in_function: set[ast.AST] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                in_function.update(ast.walk(node))
                in_function.discard(node)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top in sys.stdlib_module_names or top in FIRST_PARTY:
                    continue
                yield Import(str(file.relative_to(ROOT)), node.lineno, module, node in in_function)


@cache
def _packages_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def _files(distribution: str) -> tuple[str, ...]:
    return tuple(str(f) for f in importlib.metadata.distribution(distribution).files or ())


@cache
def distribution_of(module: str) -> str | None:
    """The installed distribution that provides `module`; for a namespace package shared by
    several (google.auth, google.api_core, ...), the one whose files hold the module."""
    parts = module.split(".")
    candidates = list(dict.fromkeys(_packages_distributions().get(parts[0], [])))
    if len(candidates) <= 1:
        return canonical(candidates[0]) if candidates else None
    for depth in range(len(parts), 1, -1):
        prefix = "/".join(parts[:depth])
        owners = [d for d in candidates if any(f == prefix + ".py" or f.startswith(prefix + "/") for f in _files(d))]
        if len(owners) == 1:
            return canonical(owners[0])
    raise AssertionError(f"{module} is in several distributions: {candidates}")


def _where(found: Import, distribution: str | None) -> str:
    what = f"distribution {distribution}" if distribution else "no installed distribution"
    return f"{found.path}:{found.line} imports {found.module} ({what})"


def test_runtime_code_imports_only_runtime_dependencies() -> None:
    runtime, dev = runtime_declared(), dev_declared()
    undeclared = []
    for found in third_party_imports(RUNTIME_CODE):
        distribution = distribution_of(found.module)
        if distribution in runtime:
            continue
        if distribution in dev and found.in_function and distribution in DEV_TOOL_IMPORTS.get(found.path, ()):
            continue
        undeclared.append(_where(found, distribution))
    assert not undeclared, "runtime code imports what [project] dependencies does not declare:\n" + "\n".join(
        undeclared
    )


def test_tests_import_only_declared_dependencies() -> None:
    declared = runtime_declared() | dev_declared()
    undeclared = [
        _where(found, distribution)
        for found in third_party_imports(TEST_CODE)
        if (distribution := distribution_of(found.module)) not in declared
    ]
    assert not undeclared, "tests import what pyproject.toml declares neither at runtime nor in `dev`:\n" + "\n".join(
        undeclared
    )


def test_every_declared_dependency_is_imported() -> None:
    runtime_imported = {distribution_of(f.module) for f in third_party_imports(RUNTIME_CODE)}
    dev_imported = runtime_imported | {distribution_of(f.module) for f in third_party_imports(TEST_CODE)}
    unused = sorted(
        (runtime_declared() - runtime_imported - NOT_IMPORTED.keys())
        | (dev_declared() - dev_imported - NOT_IMPORTED.keys())
    )
    assert not unused, f"declared but imported nowhere (drop them, or say why in NOT_IMPORTED): {unused}"
    assert not runtime_declared() & dev_declared(), "declared both at runtime and in `dev`"


def _locked(lock: str) -> set[str]:
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==", (ROOT / lock).read_text(), re.M)
    return {canonical(name) for name in pins}


def test_locks_pin_every_declared_dependency() -> None:
    build = {requirement_name(r) for r in pyproject()["dependency-groups"]["build"]}
    assert build == {requirement_name(r) for r in pyproject()["build-system"]["requires"]}
    runtime_lock, dev_lock = _locked("requirements.lock"), _locked("requirements-dev.lock")
    assert not (runtime_declared() | build) - runtime_lock, "requirements.lock is stale: see docs/dependencies.md"
    assert not (runtime_declared() | dev_declared() | build) - dev_lock, (
        "requirements-dev.lock is stale: see docs/dependencies.md"
    )
