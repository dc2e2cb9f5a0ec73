"""Language-model providers behind one interface, with timeouts, retries, a circuit
breaker per provider and a fallback chain (primary -> secondary -> local)."""
