"""A row per running worker process, touched every few seconds while it lives."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A live worker's heartbeat. A worker deletes its row when it stops cleanly; a row left
    behind, gone silent, is a worker that died (SIGKILL, power cut, lost machine)."""

    # The id django-tasks-db records in a task's `worker_ids` (host-pid-random).
    worker_id = models.CharField(max_length=200, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} (last seen {self.beat_at:%Y-%m-%d %H:%M:%S})"
