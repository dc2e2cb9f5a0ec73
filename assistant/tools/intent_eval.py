"""`concierge eval intent --data FILE.jsonl [--provider local|openai|anthropic] [--json]`

Reads the labelled format of ../shared/eval/README.md, one request a line:
`{"text", "service", "operations", "slots": {type: [surface, ...]}}`, and optionally
`"context": [{"text", "items": [{"service", "id", "title"}]}]` (earlier turns, each
understood in order before the request) and `"ambiguous": true` (a clarification is the
right answer).

Scores: the intent is right when the primary service matches and the primary operation is
among the listed ones. A gold slot value counts as recalled when a predicted value of the
same type equals it or one contains the other, word for word, after normalisation
(annotators differ on "this saturday" vs "saturday"); `slot_recall_exact` needs equality.
Latency is the time to understand the request itself, resolution included, one at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="labelled requests (JSON lines)")
    parser.add_argument("--provider", choices=["local", "openai", "anthropic"], default="local")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")


def _contains(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return n > 0 and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def slot_found(gold: str, predicted: list[str], *, exact: bool) -> bool:
    from assistant.understanding.features import span_key

    gold_words = span_key(gold).split()
    for value in predicted:
        words = span_key(value).split()
        if words == gold_words or (not exact and (_contains(words, gold_words) or _contains(gold_words, words))):
            return True
    return False


def load_rows(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{path}: cannot read: {exc}") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row.get("text"), str) or row.get("service") not in {"gmail", "calendar", "drive"}:
                raise ValueError("needs a text and a service (gmail, calendar, drive)")
            if not isinstance(row.get("operations"), list) or not row["operations"]:
                raise ValueError("needs a non-empty list of operations")
            slots = row.setdefault("slots", {})
            if not isinstance(slots, dict) or not all(isinstance(v, list) for v in slots.values()):
                raise ValueError("slots must map a slot type to a list of strings")
            if not isinstance(row.setdefault("context", []), list):
                raise ValueError("context must be a list of earlier turns")
        except (ValueError, AttributeError) as exc:
            raise SystemExit(f"{path}:{number}: {exc}") from exc
        rows.append(row)
    return rows


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 2) if values else 0.0


async def evaluate(rows: list[dict[str, Any]], provider: str) -> dict[str, Any]:
    from assistant.core.settings import get_settings
    from assistant.llm.factory import build_chain
    from assistant.understanding.contacts import ContactBook
    from assistant.understanding.context import ConversationContext, Turn
    from assistant.understanding.local import OPERATION_OF_ACT, local_understanding
    from assistant.understanding.schema import ItemRef
    from assistant.understanding.service import Understander, local_intent_provider, user_zone

    settings = get_settings()
    understander = Understander(
        settings, None, chain=build_chain(settings, local_intent_provider(settings), only=provider)
    )
    user_id = uuid.uuid4()
    now = datetime.now(user_zone(None, settings))
    contacts = ContactBook([])
    await understander.understand(
        user_id=user_id, text="warm up", context=ConversationContext(), now=now, contacts=contacts
    )

    service_right = operation_right = intent_right = errors = 0
    recall: dict[str, list[int]] = {}
    recall_exact: dict[str, list[int]] = {}
    latencies: list[float] = []
    ambiguous = asked_when_ambiguous = clear = asked_when_clear = 0
    for row in rows:
        context = ConversationContext()
        for turn in row.get("context", []):
            earlier = await understander.understand(
                user_id=user_id, text=turn["text"], context=context, now=now, contacts=contacts
            )
            items = [ItemRef(position=i, **item) for i, item in enumerate(turn.get("items", []), start=1)]
            context.turns.append(Turn(role="user", text=turn["text"], frame=earlier.frame))
            context.turns.append(Turn(role="assistant", text="", items=items))
        started = time.perf_counter()
        try:
            meaning = await understander.understand(
                user_id=user_id, text=row["text"], context=context, now=now, contacts=contacts
            )
        except Exception:  # noqa: BLE001 - a failed request scores as wrong and is counted
            errors += 1
            continue
        finally:
            latencies.append((time.perf_counter() - started) * 1000)
        frame = meaning.frame
        service_ok = bool(frame.services) and frame.services[0] == row["service"]
        # The labels name the models' operations; a frame's act is one of them (free time and
        # preparing for a meeting look things up).
        operation_ok = OPERATION_OF_ACT.get(frame.act, "search") in row["operations"]
        service_right += service_ok
        operation_right += operation_ok
        intent_right += service_ok and operation_ok
        if row.get("ambiguous"):
            ambiguous += 1
            asked_when_ambiguous += meaning.clarification is not None
        else:
            clear += 1
            asked_when_clear += meaning.clarification is not None
        # Spans are the offline tagger's (a language model's frame holds no spans).
        spans = local_understanding(settings).understand(row["text"], context).slot_values()
        for slot_type, values in row.get("slots", {}).items():
            predicted = spans.get(slot_type, [])
            for value in values:
                for table, exact in ((recall, False), (recall_exact, True)):
                    counts = table.setdefault(slot_type, [0, 0])
                    counts[0] += slot_found(value, predicted, exact=exact)
                    counts[1] += 1
    n = len(rows)
    result: dict[str, Any] = {
        "n": n,
        "provider": provider,
        "service_accuracy": round(service_right / n, 4),
        "operation_accuracy": round(operation_right / n, 4),
        "intent_accuracy": round(intent_right / n, 4),
        "slot_recall": {k: round(hit / total, 4) for k, (hit, total) in sorted(recall.items())},
        "slot_recall_exact": {k: round(hit / total, 4) for k, (hit, total) in sorted(recall_exact.items())},
        "slot_support": {k: total for k, (_, total) in sorted(recall.items())},
        "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95),
        "errors": errors,
    }
    if ambiguous:
        result["clarification_recall"] = round(asked_when_ambiguous / ambiguous, 4)
    if clear:
        result["clarification_rate_when_clear"] = round(asked_when_clear / clear, 4)
    return result


def run(args: argparse.Namespace) -> int:
    from assistant.core.settings import get_settings
    from assistant.llm.factory import configured_providers

    if args.provider != "local" and args.provider not in configured_providers(get_settings()):
        key = "OPENAI_API_KEY (or OPENAI_BASE_URL)" if args.provider == "openai" else "ANTHROPIC_API_KEY"
        print(f"--provider {args.provider} needs {key}", file=sys.stderr)
        return 2
    rows = load_rows(args.data)
    if not rows:
        print(f"{args.data}: no labelled requests")
        return 2
    result = asyncio.run(evaluate(rows, args.provider))
    if not args.json:
        print(f"intent understanding on {args.data} ({result['n']} requests, provider {args.provider})")
    print(json.dumps(result, indent=None if args.json else 2))
    return 0
