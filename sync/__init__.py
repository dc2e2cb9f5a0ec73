"""Background RQ jobs that mirror Gmail, Calendar and Drive into the caches."""
