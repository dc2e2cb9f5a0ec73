"""Adding routes to Chainlit's app so that they are reached.

Chainlit registers a catch-all `GET /{path}` (it serves the single-page app), and a
route added after it is never matched. Ours go to the front of the route list.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def include_first(app: FastAPI, router: APIRouter) -> None:
    """Include `router`'s routes ahead of every route already on `app`."""
    app.include_router(router)
    ours = {id(route) for route in router.routes}

    def is_ours(route: object) -> bool:
        # FastAPI 0.165 includes a router as one entry wrapping it; older versions copy its routes.
        return getattr(route, "original_router", None) is router or id(route) in ours

    app.router.routes.sort(key=lambda route: not is_ours(route))  # stable: each group keeps its order
