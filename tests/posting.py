"""What a billing document's form posts (its header and its lines formset), for the screen
tests (tests/ is on the path)."""

from __future__ import annotations

from typing import Any


def invoice_post(party, lines: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": party.pk,
        "date": "2026-11-24",
        "status": "DRAFT",
        "amount_type": "Exclusive",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        **header,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


def line(gst, **change: Any) -> dict[str, Any]:
    return {
        "description": "Consulting",
        "quantity": "2",
        "unit_price": "100",
        "tax_rate": gst.pk,
        **change,
    }
