"""Tools for developers, apart from the product: benchmarks (`bench`, `search_bench`,
`sync_bench`, `synthetic`), evaluations (`tasks`, `search_eval`, `retrieval_eval`,
`intent_eval`) and training (`train_understanding`). `concierge bench|eval` load them on
demand; the serving path never imports them (checked by the import contracts in
pyproject.toml)."""
