"""The bottom layer: what every other part stands on, and which imports none of them.

Settings (`settings`), the database (`db`, `models`, `migrate`), secrets at rest
(`crypto`), logs and metrics (`logs`, `metrics`), the process's connections (`runtime`)
and the embedded PostgreSQL and Valkey (`embedded`), and the registry of services
(`services`). The import contracts in pyproject.toml keep it at the bottom.
"""
