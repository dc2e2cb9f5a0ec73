"""The Google layer: everything that speaks Google's APIs, and nothing above it.

- `client`: OAuth endpoints, credentials, discovery documents (Google's or the sandbox's)
  and `build_service`;
- `calls`: the call policy (quota units, retries that honour `Retry-After`, re-consent);
- `rate_limit`: the per-account token buckets in Redis;
- `api`: `google_api_for(account, api)`, the one way to an account's client;
- `accounts`: linking an account and its stored, encrypted credentials;
- `content` and `resources`: Google's JSON (Gmail MIME trees, Calendar events, Drive
  files) as the cache's items (`assistant.core.items`).

Imports only the core; sync, search's callers and the agents import it.
"""
