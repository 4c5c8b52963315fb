"""The Xero module's switch, token sets (encrypted), connections to organisations, and
authorisation attempts (state and PKCE verifier, one use each)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from ledgerbridge import crypto


class XeroModule(models.Model):
    """The integration's switch (CONN-1): a single row."""

    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Xero module (enabled)" if self.enabled else "Xero module (disabled)"

    @classmethod
    def get(cls) -> XeroModule:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class TokenSet(models.Model):
    """One Xero login's tokens. Every organisation that login granted shares this one row, so
    a refresh rotates the refresh token in exactly one place (XERO-FACTS 1: a token set must live
    in one place). Tokens are stored only encrypted (see `crypto`)."""

    xero_user_id = models.CharField(max_length=64, blank=True, default="")
    auth_event_id = models.CharField(max_length=64, blank=True, default="")
    access_token_enc = models.TextField()
    refresh_token_enc = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField()
    scopes = models.TextField(blank=True, default="")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)
    # Set when Xero answered invalid_grant: a person must connect again (CONN-6).
    needs_reauth_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Xero token set {self.pk}"

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_enc)

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_enc) if self.refresh_token_enc else ""

    def store(self, token: dict[str, object], now: dt.datetime) -> None:
        """Put a token response from Xero in this row (encrypted); does not save."""
        self.access_token_enc = crypto.encrypt(str(token["access_token"]))
        if token.get("refresh_token"):
            self.refresh_token_enc = crypto.encrypt(str(token["refresh_token"]))
        self.expires_at = now + dt.timedelta(seconds=int(str(token.get("expires_in", 1800))))
        if token.get("scope"):
            self.scopes = str(token["scope"])

    def expires_within(self, seconds: int, now: dt.datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now()) + dt.timedelta(seconds=seconds)


class ConnectionState(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
    DISCONNECTED = "disconnected", "Disconnected"


class Connection(models.Model):
    """A Xero organisation (tenant) connected to Ledgerbridge, under a display name (CONN-2)."""

    name = models.CharField("display name", max_length=100, unique=True)
    tenant_id = models.CharField(max_length=64, blank=True, default="")
    tenant_name = models.CharField(max_length=255, blank=True, default="")
    tenant_type = models.CharField(max_length=20, blank=True, default="")
    # Xero's id for the connection (GET /connections), needed to remove it.
    xero_connection_id = models.CharField(max_length=64, blank=True, default="")
    token_set = models.ForeignKey(
        TokenSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="connections"
    )
    state = models.CharField(
        max_length=20, choices=ConnectionState.choices, default=ConnectionState.DISCONNECTED
    )
    # CONN-4: a finished authorisation stays "disconnected" until a person saves it.
    saved = models.BooleanField(default=False)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # The quota as Xero last reported it, and when this organisation may call again.
    minute_remaining = models.IntegerField(null=True, blank=True)
    day_remaining = models.IntegerField(null=True, blank=True)
    app_minute_remaining = models.IntegerField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_call_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    # WH-1: which of Xero's events this organisation's webhooks apply (each switched separately).
    wh_contacts_created = models.BooleanField("contacts created", default=False)
    wh_contacts_updated = models.BooleanField("contacts updated", default=False)
    wh_invoices_created = models.BooleanField("invoices created", default=False)
    wh_invoices_updated = models.BooleanField("invoices updated", default=False)
    # The last poll of Xero's changes (the catch-up for what webhooks missed).
    polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id"],
                condition=~models.Q(tenant_id=""),
                name="one_connection_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_connected(self) -> bool:
        return self.state == ConnectionState.CONNECTED and self.saved

    @property
    def awaiting_save(self) -> bool:
        return bool(self.tenant_id) and not self.saved and self.token_set_id is not None

    @property
    def scopes(self) -> list[str]:
        return self.token_set.scopes.split() if self.token_set else []


class AuthorisationAttempt(models.Model):
    """One "Connect now": the OAuth2 state and PKCE verifier (encrypted), usable once."""

    state = models.CharField(max_length=64, unique=True)
    code_verifier_enc = models.TextField()
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Authorisation for {self.connection_id} at {self.created_at:%Y-%m-%d %H:%M}"


# --- how imports are tracked (their themes live in billing, their tracking in tracking) --


class ImportKind(models.TextChoices):
    TAX_RATES = "tax-rates", "Tax rates"
    CUSTOMERS = "customers", "Customers"
    SUPPLIERS = "suppliers", "Suppliers"
    PRODUCTS = "products", "Products"
    TRACKING = "tracking", "Tracking categories"
    BRANDING = "branding", "Branding themes"
    CURRENCIES = "currencies", "Currencies"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for Xero's limit"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportRun(models.Model):
    """One import, with its live progress and outcome. Progress is committed page by page, so
    an interrupted run can be resumed from the next page (see `imports.run_import`)."""

    xero_tenant_id = models.CharField(max_length=64)
    connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    params = models.JSONField(default=dict, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    # Xero's clock (the envelope's DateTimeUTC) at the run's first answer: the next watermark.
    xero_started_at = models.DateTimeField(null=True, blank=True)
    next_page = models.PositiveIntegerField(default=1)
    pages_done = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resume_after = models.DateTimeField(null=True, blank=True)
    # Touched after every page: a "running" run whose heartbeat is old was interrupted.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED}


class ImportWatermark(models.Model):
    """Per organisation and record type: import only what changed since this moment."""

    xero_tenant_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["xero_tenant_id", "kind"], name="one_watermark")
        ]

    def __str__(self) -> str:
        return f"{self.kind} since {self.since:%Y-%m-%d %H:%M}"


class WebhookKey(models.Model):
    """The app's webhook signing key (one row), encrypted at rest and never shown again once
    saved, and what Xero's intent-to-receive check last did (WH-4)."""

    signing_key = models.TextField(blank=True, default="")  # Fernet token (see `crypto`)
    saved_at = models.DateTimeField(null=True, blank=True)
    intent_passed_at = models.DateTimeField(null=True, blank=True)  # a good probe answered
    refused_at = models.DateTimeField(null=True, blank=True)  # the last bad signature
    last_delivery_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Webhook signing key" + (" (set)" if self.signing_key else " (not set)")

    @classmethod
    def get(cls) -> WebhookKey:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class EventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    APPLIED = "applied", "Applied"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """One event of a verified delivery from Xero (the inbox): stored before the delivery is
    answered, applied afterwards by the worker. An event delivered twice is stored once."""

    tenant_id = models.CharField(max_length=64)
    category = models.CharField(max_length=20)  # CONTACT, INVOICE, CREDITNOTE
    event_type = models.CharField(max_length=20)  # CREATE, UPDATE
    resource_id = models.CharField(max_length=64)
    event_date = models.CharField(max_length=40)  # as Xero wrote it (it identifies the event)
    sequence = models.BigIntegerField(null=True, blank=True)  # its delivery's first sequence
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    reason = models.TextField(blank=True, default="")  # why ignored, or the error
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "category", "event_type", "resource_id", "event_date"],
                name="one_row_per_xero_event",
            )
        ]
        indexes = [models.Index(fields=["status", "id"], name="webhook_event_status")]

    def __str__(self) -> str:
        return f"{self.category} {self.event_type} {self.resource_id}: {self.status}"


class ComparisonStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Comparison(models.Model):
    """One "Compare with Xero" of a connection's organisation (see `compare` and
    `comparisons`): its progress while it runs, then what it read, compared and found."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="comparisons")
    status = models.CharField(
        max_length=10, choices=ComparisonStatus.choices, default=ComparisonStatus.QUEUED
    )
    fix_requested = models.BooleanField(default=False)
    phase = models.CharField(max_length=200, blank=True, default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    read = models.JSONField(default=dict, blank=True)  # Xero records read, per kind
    checked = models.JSONField(default=dict, blank=True)  # PSA records compared, per kind
    waiting = models.JSONField(default=dict, blank=True)  # not compared: waiting or failed
    differences = models.JSONField(default=list, blank=True)  # the first `compare.MAX_KEPT`
    difference_count = models.PositiveIntegerField(default=0)
    fixed = models.JSONField(default=dict, blank=True)  # {"sent", "linked", "left"}
    calls = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Comparison {self.pk} of {self.connection_id}: {self.status}"


class RequestLog(models.Model):
    """One attempt to reach Xero or its identity service, as `transport` saw it leave.

    Written after the answer (never before the call, so no write lock is held while Xero is
    waited for). The excerpts have every token and secret removed (`transport.redact`). Kept
    XERO_REQUEST_LOG_DAYS days (`tasks.prune_request_log`)."""

    connection = models.ForeignKey(
        Connection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    tenant_id = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    host = models.CharField(max_length=255, blank=True, default="")
    path = models.CharField(max_length=500)
    idempotency_key = models.CharField(max_length=128, blank=True, default="")
    # None when no answer came: `error` then says what happened on the way (timeout, reset).
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    correlation_id = models.CharField(max_length=64, blank=True, default="")
    request_excerpt = models.TextField(blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["connection", "-at"], name="xero_requestlog_conn_at"),
            models.Index(fields=["at"], name="xero_requestlog_at"),
        ]

    def __str__(self) -> str:
        outcome = self.status if self.status is not None else self.error or "no answer"
        return f"{self.method} {self.path} → {outcome}"

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 400


# The request log's filters, as the connection's page and the REST API offer them.
REQUEST_FILTERS: dict[str, tuple[str, models.Q]] = {
    "all": ("All", models.Q()),
    "errors": ("Errors", models.Q(status__isnull=True) | models.Q(status__gte=400)),
    "2xx": ("2xx", models.Q(status__gte=200, status__lt=300)),
    "4xx": ("4xx", models.Q(status__gte=400, status__lt=500)),
    "429": ("429 (limits)", models.Q(status=429)),
    "5xx": ("5xx", models.Q(status__gte=500)),
    "no-answer": ("No answer", models.Q(status__isnull=True)),
}


def filtered_requests(connection: Connection, status: str = "all") -> models.QuerySet[RequestLog]:
    """The connection's request log, newest first, filtered by one of REQUEST_FILTERS (an
    unknown name raises KeyError)."""
    return RequestLog.objects.filter(connection=connection).filter(REQUEST_FILTERS[status][1])


class CallWindow(models.Model):
    """The calls made to Xero in the last minute by every process, for one scope:
    "app:<client id>" (Xero's per-app minute limit) or "org:<client id>:<tenant id>" (an
    organisation's, which Xero also counts per app). `slots` maps a slot number (whole
    Xero-seconds since the epoch) to the calls made in it; slots older than a minute are dropped
    as it is rewritten. Kept by `call_windows`; nothing else reads or writes it."""

    scope = models.CharField(max_length=80, primary_key=True)
    slots = models.TextField(default="{}")

    def __str__(self) -> str:
        return self.scope
