"""Drive writes beyond a first share, end to end against the sandbox: taking access away,
changing someone's role (a downgrade included), renaming a file, and the requests that
change nothing (the person already has the role, has no access to take away) or that the
user may not make (they can only view the file). Each write is confirmed twice (once is
what happens) and undone, and the sandbox is read after each."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.agents.base import SourceItem, StepFailed, Unchanged
from assistant.agents.drive import _share_payload, _whose_access, holders
from assistant.pipeline import ClarificationEvent
from assistant.plan import Operation, PlanStep
from tests.execution.conftest import ALEX, World, google
from tests.execution.test_actions import only_action


def access(world: World, file_id: str) -> dict[str, str]:
    """Who has access to the file at the sandbox, and with which role."""
    drive = google(world.sandbox, ALEX, "drive")
    listed = drive.permissions().list(fileId=file_id, fields="permissions(emailAddress,role)").execute()
    return {p["emailAddress"]: p["role"] for p in listed["permissions"] if p.get("emailAddress")}


def name_of(world: World, file_id: str) -> str:
    drive = google(world.sandbox, ALEX, "drive")
    file: dict[str, Any] = drive.files().get(fileId=file_id, fields="name").execute()
    return str(file["name"])


async def test_stop_sharing_takes_the_access_away_and_undo_gives_the_same_role_back(world: World) -> None:
    _, done = await world.ask("stop sharing the Atlas pricing model with Tom Becker")
    action = only_action(done, "unshare")
    file_id = action.fields["file_id"]
    before = access(world, file_id)
    assert action.fields["emails"] == ["tom.becker@northwindlabs.com"] and "tom.becker@northwindlabs.com" in before
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    await desk.confirm(world.alex, action.id)
    assert "tom.becker@northwindlabs.com" not in access(world, file_id)
    await desk.undo(world.alex, action.id)
    assert access(world, file_id) == before


async def test_a_lower_case_first_name_is_read_as_whose_access_goes(world: World) -> None:
    events, done = await world.ask("unshare the atlas priceing model with tom")
    assert not [event for event in events if isinstance(event, ClarificationEvent)], done.answer
    assert only_action(done, "unshare").fields["emails"] == ["tom.becker@northwindlabs.com"]


def _file(*permissions: tuple[str, str, str]) -> SourceItem:
    return SourceItem(
        service="drive",
        id="f1",
        account_id="a1",
        title="Atlas pricing model",
        details={"permissions": [{"email": e, "name": n, "role": r, "type": "user"} for e, n, r in permissions]},
    )


def _step(operation: Operation, **params: Any) -> PlanStep:
    return PlanStep(id="s", service="drive", operation=operation, description="", params=params)


FILE = _file(
    ("alex.rivera@northwindlabs.com", "Alex Rivera", "owner"), ("tom.becker@northwindlabs.com", "Tom Becker", "writer")
)
TOMS = {"Tom": ["tom.becker@northwindlabs.com", "tom@whitehead.com"]}


def test_a_name_that_may_mean_several_people_is_the_one_with_access() -> None:
    step = _step(Operation.UNSHARE, emails=[], candidates=TOMS)
    assert _whose_access(step, FILE, holders(FILE)) == ["tom.becker@northwindlabs.com"]
    lowered = _step(Operation.SHARE, emails=[], candidates=TOMS, role="reader", exact=True)
    assert _share_payload(lowered, FILE, holders(FILE)).emails == ["tom.becker@northwindlabs.com"]


def test_when_several_or_none_of_the_people_a_name_may_mean_have_access_nothing_is_guessed() -> None:
    both = _file(
        ("tom.becker@northwindlabs.com", "Tom Becker", "writer"), ("tom@whitehead.com", "Tom Dawson", "reader")
    )
    with pytest.raises(StepFailed, match="which Tom"):
        _whose_access(_step(Operation.UNSHARE, emails=[], candidates=TOMS), both, holders(both))
    neither = _file(("alex.rivera@northwindlabs.com", "Alex Rivera", "owner"))
    with pytest.raises(Unchanged, match="No Tom"):
        _whose_access(_step(Operation.UNSHARE, emails=[], candidates=TOMS), neither, holders(neither))


def test_the_owner_cannot_lose_access() -> None:
    with pytest.raises(StepFailed, match="owns"):
        _whose_access(_step(Operation.UNSHARE, emails=["alex.rivera@northwindlabs.com"]), FILE, holders(FILE))


def test_a_stronger_role_is_kept_by_a_grant_and_lowered_only_when_exact() -> None:
    grant = _step(Operation.SHARE, emails=["tom.becker@northwindlabs.com"], role="reader")
    with pytest.raises(Unchanged, match="Tom Becker can already edit"):
        _share_payload(grant, FILE, holders(FILE))
    exact = _step(Operation.SHARE, emails=["tom.becker@northwindlabs.com"], role="reader", exact=True)
    assert _share_payload(exact, FILE, holders(FILE)).emails == ["tom.becker@northwindlabs.com"]


async def test_making_an_editor_view_only_lowers_the_role_and_undo_restores_it(world: World) -> None:
    _, done = await world.ask("make Daniel view-only on the Atlas launch deck")
    action = only_action(done, "share")
    file_id = action.fields["file_id"]
    assert access(world, file_id)["daniel.okafor@northwindlabs.com"] == "writer"
    assert action.fields["role"] == "reader" and action.fields["exact"] is True
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    await desk.confirm(world.alex, action.id)
    assert access(world, file_id)["daniel.okafor@northwindlabs.com"] == "reader"
    await desk.undo(world.alex, action.id)
    assert access(world, file_id)["daniel.okafor@northwindlabs.com"] == "writer"


async def test_a_file_is_renamed_when_no_event_has_its_name_and_undo_names_it_back(world: World) -> None:
    _, done = await world.ask("rename 'Beacon PRD' to 'Beacon PRD v1'")
    action = only_action(done, "rename")
    assert action.service == "drive" and action.fields["name"] == "Beacon PRD v1"
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    await desk.confirm(world.alex, action.id)
    assert name_of(world, action.fields["file_id"]) == "Beacon PRD v1"
    await desk.undo(world.alex, action.id)
    assert name_of(world, action.fields["file_id"]) == "Beacon PRD"


async def test_giving_a_role_someone_already_has_proposes_nothing_and_says_so(world: World) -> None:
    _, done = await world.ask("share the Atlas launch deck with Daniel as an editor")
    assert not done.actions
    assert "already" in done.answer and "Daniel Okafor" in done.answer


async def test_taking_away_access_someone_does_not_have_says_who_has_it(world: World) -> None:
    _, done = await world.ask("stop sharing the Beacon PRD with Marco Bianchi")
    assert not done.actions
    assert "doesn't have access" in done.answer and "Alex Rivera (owner)" in done.answer


async def test_a_file_someone_else_owns_is_not_shared_and_the_owner_is_named(world: World) -> None:
    """Alex can only view the API design and can edit the Q4 review, but neither is his:
    its owner shares it. Nothing is proposed, and the answer says whom to ask."""
    for request, owner in [
        ("share the Beacon API design doc with Marco", "Daniel Okafor"),
        ("share the Q4 financial review sheet with Priya", "Sarah Chen"),
    ]:
        _, done = await world.ask(request)
        assert not done.actions, done.answer
        assert f"belongs to {owner}" in done.answer and f"ask {owner.split()[0]}" in done.answer


async def test_an_editor_renames_a_file_someone_else_owns(world: World) -> None:
    _, done = await world.ask("rename the Q4 Financial Review - Product sheet to Q4 Financial Review (final)")
    assert only_action(done, "rename").fields["name"] == "Q4 Financial Review (final)"
