"""Security tests: the real app, probed as an attacker on the same host would.

They reuse the HTTP API suite's fixtures (the app on the demo workspace, users signed in
through the sandbox's consent screen).
"""

from tests.api.conftest import alex, api_url, daniel, sarah  # noqa: F401  (fixtures)
from tests.execution.conftest import demo_sandbox, world  # noqa: F401  (fixtures)
