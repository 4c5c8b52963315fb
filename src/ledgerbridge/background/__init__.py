"""Background work's own bookkeeping: which workers are alive, and recovery of the work of
those that died (see `recovery`)."""
