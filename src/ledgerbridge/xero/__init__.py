"""The Xero integration; only this package speaks Xero.

Map:
- `models.py`       the module switch, token sets (encrypted), connections, authorisation attempts
- `connections.py`  connect (OAuth2 code flow with state and PKCE, via Authlib), save,
                    disconnect, delete; single-flight token refresh (CONN-1..6)
- `transport.py`    the one place httpx clients for Xero are made (and the request log written)
- `endpoints.py`    Xero's URLs and paths, and the app's credentials
- `client.py`       the Accounting API for one organisation: rate limits, retries,
                    Idempotency-Key, paging, If-Modified-Since, the interactive deadline
- `limits.py`       per-organisation and per-app budgets (5 in flight, 60/min, 5,000/day,
                    10,000/min per app)
- `errors.py`       what each Xero answer means, decided once: retry, wait, reconnect, fix
- `views.py`, `api.py`  Configuration > Integrations > Xero screens and REST endpoints
- `imports/`        imports from Xero, a module per capability (tax rates, contacts, items,
                    tracking categories and branding themes) and `runs.py` to run them
- `matching.py`     which record a Xero record is (Xero ID via the sync table, code, name)
- `mapping.py`      pure functions between Xero's JSON and the product's records
- `tax_links.py`    linking one tax rate by hand (TAX-2), with its screen
- `panels.py`       what the integration adds to the product's screens (Xero panels, actions),
                    plugged in through `ledgerbridge.integrations` (the product never imports us)
- `tracking_views.py`  the tracking setting and placeholders screen (the models and rules are
                    the product's own: `ledgerbridge.tracking`)
- `outbound.py`     the sync engine: an organisation's waiting records to Xero in batches of 50
                    (a pushed customer starts at `sync.services.mark_changed` in its service and
                    ends in `outbound._succeed`, which stores the ContactID on its link)
- `leases.py`       one worker per organisation; `issues.py` the errors tab's records
- `sync_state.py`, `sync_views.py`, `sync_api.py`  a record's state in words, the settings, the
                    errors tab, "Sync now", the connection's sync summary
- `tasks.py`        the Django Tasks entry points (imports, sync per organisation, the sweep)

Links between records and Xero (remote ids, snapshots, sync state) live in `ledgerbridge.sync`.
"""
