"""deploy/k8s and compose.yaml parse, and agree with the code: every command is one the
`concierge` CLI accepts, every variable one the settings read, every reference resolves.
(No Docker or cluster here: this is what can be checked without one.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.cli import build_parser
from assistant.core.settings import PROJECT_ROOT, Settings
from sync.queues import QUEUE_ORDER

K8S = PROJECT_ROOT / "deploy" / "k8s"
COMPOSE = PROJECT_ROOT / "compose.yaml"
#: Read by libraries, not by our settings.
OTHER_VARIABLES = {"CHAINLIT_AUTH_SECRET"}


def setting_variables() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(choice for choice in getattr(alias, "choices", []) if isinstance(choice, str))
    return names


def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d is not None]
    return documents


def containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])


def assert_runs_in_the_image(command: list[str]) -> None:
    if command[0] == "concierge":
        build_parser().parse_args(command[1:])  # SystemExit on anything the CLI rejects
        if "--queues" in command:
            queues = command[command.index("--queues") + 1 :]
            assert set(queues) <= {q.value for q in QUEUE_ORDER}, queues
    else:
        assert command[:2] == ["chainlit", "run"] and (PROJECT_ROOT / command[2]).exists(), command


def test_every_manifest_is_a_named_kubernetes_object() -> None:
    documents = manifests()
    assert {d["kind"] for d in documents} >= {
        "ConfigMap",
        "Job",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
    }
    for document in documents:
        assert document["apiVersion"] and document["metadata"]["name"], document


def test_commands_and_variables_are_ones_the_code_knows() -> None:
    known = setting_variables() | OTHER_VARIABLES
    for document in manifests():
        if document["kind"] == "ConfigMap":
            assert set(document["data"]) <= known, set(document["data"]) - known
            assert all(isinstance(value, str) for value in document["data"].values())
            Settings(**{k.removeprefix("CONCIERGE_").lower(): v for k, v in document["data"].items()})  # valid values
        for container in containers(document):
            assert_runs_in_the_image(container["command"])
            assert {e["name"] for e in container.get("env", [])} <= known


def test_references_resolve() -> None:
    documents = manifests()
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    config_maps = {d["metadata"]["name"] for d in documents if d["kind"] == "ConfigMap"}
    for document in documents:
        if document["kind"] == "HorizontalPodAutoscaler":
            assert document["spec"]["scaleTargetRef"]["name"] in deployments
        if document["kind"] == "Ingress":
            for rule in document["spec"]["rules"]:
                for path in rule["http"]["paths"]:
                    assert path["backend"]["service"]["name"] in services
        for container in containers(document):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
    for service in services.values():
        selector = service["spec"]["selector"]
        assert any(
            selector.items() <= d["spec"]["template"]["metadata"]["labels"].items() for d in deployments.values()
        ), selector
    for name, deployment in deployments.items():
        assert (
            deployment["spec"]["selector"]["matchLabels"].items()
            <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ), name
    worker_queues = {
        tuple(c["command"][c["command"].index("--queues") + 1 :])
        for d in deployments.values()
        for c in containers(d)
        if "worker" in c["command"]
    }
    assert worker_queues == {(q.value,) for q in QUEUE_ORDER}  # a Deployment per queue


def test_compose_runs_the_same_commands_with_known_variables() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    known = setting_variables() | OTHER_VARIABLES
    anchor = compose["x-app"]
    for name, service in compose["services"].items():
        if "build" not in service:
            continue  # PostgreSQL and Redis images
        environment = service.get("environment") or anchor["environment"]
        assert set(environment) <= known, (name, set(environment) - known)
        if "command" in service:
            assert_runs_in_the_image(service["command"])
    redis_command = compose["services"]["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"  # queued jobs survive restarts


@pytest.mark.parametrize("path", sorted(K8S.glob("*.yaml")), ids=lambda p: p.name)
def test_every_file_is_listed_in_the_kustomization(path: Path) -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert path.name == "kustomization.yaml" or path.name in listed
