"""Imports from Xero, one module per capability: tax rates, customers, suppliers, products,
tracking categories, branding themes and currencies (TAX-1..3, CUST-1..6, SUP-1, PROD-1..4,
TRK-2).

Contract of `run_import(run_id)`:
- streams Xero's pages (pageSize 1000 where Xero pages) into bulk upserts, one transaction per
  page that also records the run's progress, so memory stays flat and a crash loses at most the
  page in flight;
- idempotent: records are matched by their Xero ID first (see `matching`), so running it again,
  or resuming an interrupted run from its next page, never makes a duplicate;
- incremental: sends the watermark as If-Modified-Since and filters again locally (Xero
  compares by date only); the watermark moves, to when the run started, only when a complete
  import finishes, so nothing changed meanwhile is missed;
- a record Xero gives that cannot be imported (no name, over-long fields, a clashing code, an
  unlinked tax type) is reported with its reason and the rest goes on;
- minute limits are waited out by the client; a day limit leaves the run "waiting" and a task
  resumes it when the organisation's budget resets.

Modules: `runs` (start, claim, run, finish; the handler per kind), `common` (page outcomes,
applying a page safely), `tax_rates`, `contacts`, `items`, `tracking` (and branding themes),
`currencies` (also refreshed on connect and periodically, without a run).
Linking one tax rate by hand (TAX-2) is not an import: see `xero.tax_links`.
"""

from ledgerbridge.xero.imports.contacts import apply_contacts, wanted_contact
from ledgerbridge.xero.imports.items import apply_items
from ledgerbridge.xero.imports.runs import (
    linked_model,
    open_run,
    run_import,
    set_queue,
    start_import,
)

__all__ = [
    "apply_contacts",
    "apply_items",
    "linked_model",
    "open_run",
    "run_import",
    "set_queue",
    "start_import",
    "wanted_contact",
]
