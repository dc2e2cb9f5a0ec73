"""Understanding: a message and the conversation so far -> its `Meaning`.

- `service.Understander`: the entry point (frame cache -> provider chain -> resolution);
  `service.record_user_turn` stores the turn with its meaning and the answering provider.
- `frame`: the request frame, the one meaning model (a language model's structured output
  is a `Frame`); `meaning`: the frame resolved (contacts, absolute times, earlier items).
- `reader`: the offline path into the frame: `local` (trained classifier + CRF tagger +
  rules) completed by `quantities`, `wording`, `roles` and `when`; also the last fallback.
- `dates`, `contacts`, `context`, `cache`, `schema`: one job each.

Kept free of imports: `concierge --help` imports this package.
"""
