"""Understanding: a message and the conversation so far -> a resolved `ParsedIntent`.

- `service.Understander`: the entry point (intent cache -> provider chain -> resolution);
  `service.record_user_turn` stores the turn with its intent and the answering provider.
- `schema`: `IntentDraft` (what a provider reads; the structured-output schema) and
  `ParsedIntent` (contacts, absolute times, referenced items resolved).
- `local`: offline understanding (trained classifier + CRF tagger + rules), also the last
  fallback; `train` rebuilds its weights in `data/`.
- `dates`, `contacts`, `context`, `cache`, `resolve`: one job each.
- `evaluate`: `concierge eval intent`.

Kept free of imports: `concierge --help` imports this package.
"""
