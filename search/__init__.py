"""Hybrid search over the local caches: full text, vectors and filters fused with RRF."""
