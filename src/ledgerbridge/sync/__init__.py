"""Integration-neutral sync state: the organisations records belong to, and one link row per
record and organisation (remote id, version, synced version, state). Domain services call
`sync.services.mark_changed` in the transaction of every change; integrations read the rows."""
