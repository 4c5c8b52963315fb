"""The Xero integration; only this package speaks Xero.

Map:
- `models.py`       the module switch, token sets (encrypted), connections, authorisation attempts
- `connections.py`  connect (OAuth2 code flow with state and PKCE, via Authlib), save,
                    disconnect, delete; single-flight token refresh (CONN-1..6)
- `client.py`       the ONLY code that sends HTTP to Xero: rate limits, retries, Idempotency-Key,
                    paging, If-Modified-Since
- `limits.py`       per-organisation and per-app budgets (5 in flight, 60/min, 5,000/day,
                    10,000/min per app)
- `errors.py`       what each Xero answer means, decided once: retry, wait, reconnect, fix
- `views.py`, `api.py`  Configuration > Integrations > Xero screens and REST endpoints
- `tracking.py`     tracking categories on our side: the setting and placeholders, options on
                    product groups, products and invoice lines, which option wins (TRK-1, 3, 4);
                    `tracking_views.py` is its Configuration screen
"""
