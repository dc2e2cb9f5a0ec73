"""Schemathesis fuzzes every API operation from the running app's OpenAPI document, with
data that fits the schema and data that does not (bodies, parameters, headers). No answer
may be a 5xx.

Driven through hypothesis directly: schemathesis' own pytest fixture loader does not work
with pytest 9. The fuzzer is not testing the rate limits (test_limits.py does): the
buckets are emptied before each case so that every case reaches validation and the
handler. `POST /auth/revoke` is left out: with no body it revokes the fuzzer's own token.
"""

from __future__ import annotations

import hypothesis
import hypothesis.errors
import redis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests.api.conftest import ApiUser

API_TAGS = ["auth", "query", "actions", "conversations", "sync", "monitoring"]
EXAMPLES_PER_OPERATION_AND_MODE = 20


def test_no_operation_answers_5xx(api_url: str, alex: ApiUser, redis_url: str) -> None:
    # Revoking and signing out everywhere would end the token the fuzzer runs with.
    schema = (
        schemathesis.openapi.from_url(f"{api_url}/openapi.json")
        .include(tag=API_TAGS)
        .exclude(path="/auth/revoke")
        .exclude(path="/auth/sign-out-everywhere")
    )
    app_redis = redis.Redis.from_url(f"{redis_url}?db=8")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12
    server_errors: list[str] = []

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
                deadline=None,
                database=None,
                suppress_health_check=list(hypothesis.HealthCheck),
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            )
            def fuzz(case: schemathesis.Case) -> None:
                for key in app_redis.scan_iter("concierge:api:rate:*"):
                    app_redis.delete(key)
                headers = dict(case.headers or {})
                if "authorization" not in {name.lower() for name in headers}:
                    headers["Authorization"] = f"Bearer {alex.token}"
                case.call_and_validate(base_url=api_url, headers=headers, checks=[not_a_server_error], timeout=120)

            try:
                fuzz()
            except hypothesis.errors.Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to make invalid (no body, no parameters)
            except Exception as error:  # collect all operations' failures, then report them together
                server_errors.append(f"{operation.label} ({mode}): {error}")
    assert not server_errors, "\n\n".join(server_errors)
