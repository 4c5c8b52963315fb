"""Xero Accounting API resources: one module per resource family, routed by `router`.

`router` maps method and path to a handler; `common` holds envelopes, list queries and batched
writes; `documents` the line maths shared by invoices and purchase orders.
"""
