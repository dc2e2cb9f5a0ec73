"""Scale-out tests reuse the sync suite's sandbox and linked-account fixtures."""

from tests.sandbox.conftest import authorize, base_url, connect, control, sandbox_server  # noqa: F401
from tests.sync.conftest import link  # noqa: F401
