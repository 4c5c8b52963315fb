"""A Xero-compatible server for tests, demos and evaluation; imports nothing from ledgerbridge.

Map: `server.start()` runs one in-process; `cli` is the command line; `core.Sandbox` routes
requests (identity in `oauth`, Accounting API in `api/`, admin in `admin`) and owns `store`
(state and its JSON file), `limits`, `idempotency`, `faults`, `webhooks` and `clock`.
`settings` lists every knob; `regions` and `seed` build organisations; `money` and `wire`
hold Xero's arithmetic and formats. See docs/sandbox.md.
"""
