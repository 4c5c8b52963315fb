"""Organisations records belong to, and one row per record and organisation saying what the
remote system holds and whether it has our latest version (the link and its sync state)."""

from __future__ import annotations

from django.db import models


class Organisation(models.Model):
    """An accounting organisation (a Xero organisation, for instance) that records belong to.

    It outlives any connection to it: deleting a connection loses no record's organisation, and
    connecting the same organisation again finds it here (CONN-5). Account numbers, product codes
    and tax-rate names are unique per organisation.
    """

    integration = models.CharField(max_length=30)
    remote_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    # The currency its books are kept in (blank until its currencies are first brought across,
    # see `currencies_refreshed_at` and `sync.currencies`).
    base_currency = models.CharField(max_length=3, blank=True, default="")
    # When its enabled currencies (`Currency`) were last brought across; None: never, so no
    # currency is refused for not being enabled.
    currencies_refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "remote_id"], name="one_organisation_per_remote_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Currency(models.Model):
    """A currency an organisation has enabled (its base currency among them), as its last
    refresh brought them (`sync.currencies.record_currencies`)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="currencies"
    )
    code = models.CharField(max_length=3)  # ISO 4217, three capital letters
    name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="one_currency_code_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.code


class RecordKind(models.TextChoices):
    """The kinds of record the sync table knows, in the order they are sent (dependencies)."""

    TAX_RATE = "tax_rate", "Tax rate"
    CUSTOMER = "customer", "Customer"
    SUPPLIER = "supplier", "Supplier"
    PRODUCT = "product", "Product"
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    # A credit note's credit applied to the invoice it was raised against (local id: the
    # credit note's), sent once both are in the accounting system.
    ALLOCATION = "allocation", "Credit allocation"
    PURCHASE_ORDER = "purchase_order", "Purchase order"


class SyncState(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Not synced"
    PENDING = "pending", "Waiting"
    IN_FLIGHT = "in_flight", "Sending"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"


class Link(models.Model):
    """One record in one organisation: its remote id and sync state.

    No foreign key to the record (`kind` + `local_id` name it), so the row outlives a deleted
    record as its tombstone (`deleted_at`) until the remote side has deleted or voided it too.
    `version` is bumped in the same transaction as every change the remote would see; the record
    is in step when `synced_version == version`.
    """

    kind = models.CharField(max_length=30, choices=RecordKind.choices)
    local_id = models.BigIntegerField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="links")
    remote_id = models.CharField(max_length=64, blank=True, default="")
    version = models.PositiveIntegerField(default=0)
    synced_version = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=20, choices=SyncState.choices, default=SyncState.PENDING)
    # Why it is not eligible, or what the remote answered when it failed, in words.
    reason = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    # What the remote holds, as it last said (for panels, comparisons and conflict checks).
    snapshot = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "local_id", "organisation"], name="one_link_per_record"
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "remote_id"],
                condition=~models.Q(remote_id=""),
                name="one_link_per_remote_id",
            ),
        ]
        indexes = [
            # "The next 50 pending records of this organisation" is one range of this index.
            models.Index(
                fields=["organisation", "state", "kind", "not_before", "id"],
                name="sync_link_queue",
            ),
            models.Index(fields=["kind", "local_id"], name="sync_link_record"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.local_id} in {self.organisation_id}: {self.state}"

    @property
    def in_step(self) -> bool:
        return self.synced_version == self.version and self.deleted_at is None


DOCUMENT_STATUSES = [("DRAFT", "Draft"), ("SUBMITTED", "Submitted"), ("AUTHORISED", "Authorised")]


LINE_TEXTS = [
    ("description", "The line's description"),
    ("item", "The item's name (product or charge rate)"),
    ("ticket", "The ticket's reference and summary, and the date of the work"),
]


def default_synced_statuses() -> list[str]:
    return ["DRAFT", "SUBMITTED", "AUTHORISED"]


class SyncSettings(models.Model):
    """What is synced and how (SYNC-1..3, GEN-1, GEN-3..5): a single row, read on every use, so
    a change takes effect at once. Integration-neutral: the domain reads the defaults too."""

    sync_customers = models.BooleanField("customers", default=False)
    sync_suppliers = models.BooleanField("suppliers", default=False)
    sync_products = models.BooleanField("products", default=False)
    sync_invoices = models.BooleanField("invoices", default=False)
    sync_purchase_orders = models.BooleanField("purchase orders", default=False)
    success_message = models.BooleanField(
        "show a message after each successful sync", default=False
    )
    archive_inactive = models.BooleanField(
        "archive the contact when a customer or supplier is made inactive (and restore it)",
        default=False,
    )
    default_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="New customers, suppliers and products belong to it unless another is chosen.",
    )
    product_linking = models.BooleanField(
        "product linking (child products are billed under their parent's codes)", default=False
    )
    generate_account_numbers = models.BooleanField(
        "generate account numbers for new customers", default=False
    )
    generate_product_codes = models.BooleanField(
        "generate product codes for new products", default=False
    )
    default_sales_account_code = models.CharField(max_length=10, blank=True, default="")
    default_purchase_account_code = models.CharField(max_length=10, blank=True, default="")
    # GEN-2: the status new documents start in (manual and recurring invoices may override).
    default_invoice_status = models.CharField(
        max_length=12, choices=DOCUMENT_STATUSES, default="DRAFT"
    )
    default_purchase_order_status = models.CharField(
        max_length=12, choices=DOCUMENT_STATUSES, default="DRAFT"
    )
    # Invoices are synced only in these statuses (teams that approve before Xero sees them).
    sync_invoice_statuses = models.JSONField(default=default_synced_statuses, blank=True)
    # INV-10: the text a synced invoice line carries.
    invoice_line_text = models.CharField(
        max_length=20,
        choices=LINE_TEXTS,
        default="description",
        help_text="What each invoice line says in Xero.",
    )
    # SYNC-4: the item code a line without one carries when its document is sent.
    default_invoice_item_code = models.CharField(
        "default item code for invoice lines", max_length=30, blank=True, default=""
    )
    default_purchase_order_item_code = models.CharField(
        "default item code for purchase-order lines", max_length=30, blank=True, default=""
    )
    # INV-2: an invoice may carry another number in the accounting system than its own.
    allow_number_override = models.BooleanField(
        "invoices may carry their own number in Xero",
        default=False,
        help_text="Offers an override of the Xero invoice number on each invoice.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "sync settings"

    def __str__(self) -> str:
        return "Sync settings"

    @classmethod
    def get(cls) -> SyncSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row

    def syncs(self, kind: str) -> bool:
        """SYNC-1: whether records of `kind` are chosen for sync (credit notes and their
        allocations go with invoices)."""
        if kind in (RecordKind.CREDIT_NOTE, RecordKind.ALLOCATION):
            kind = RecordKind.INVOICE
        return bool(getattr(self, f"sync_{kind}s", False))


class Lease(models.Model):
    """One worker at a time drains an organisation: the holder (host, pid and a token) and until
    when. A lease whose time has passed, or whose holder's process on this host is gone, may be
    taken over at once."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    holder = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Lease on {self.organisation_id}: {self.holder or 'free'}"


class SyncIssue(models.Model):
    """A failed sync of one record, as a person acts on it (ERR-1..3): what was sent, what the
    remote answered in words, when, how many times. Identical failures are counted, not listed
    again; a later success of the record resolves it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="issues")
    kind = models.CharField(max_length=30, choices=RecordKind.choices)
    local_id = models.BigIntegerField()
    label = models.CharField(max_length=300)
    message = models.TextField()
    sent = models.JSONField(default=dict, blank=True)
    answer = models.TextField(blank=True, default="")
    fingerprint = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "local_id", "fingerprint"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_issue_per_failure",
            )
        ]
        indexes = [models.Index(fields=["organisation", "-last_at"], name="sync_issue_newest")]

    def __str__(self) -> str:
        return f"{self.label}: {self.message[:60]}"
