"""The purchase-order header form (its lines use billing's shared lines formset)."""

from __future__ import annotations

from django import forms

from ledgerbridge.billing.forms import OPEN_STATUSES
from ledgerbridge.billing.models import AmountTypes, DocumentStatus
from ledgerbridge.dates import DateInRangeField
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.forms import WithOrganisation, add_currency_field
from ledgerbridge.sync.models import SyncSettings


class PurchaseOrderForm(forms.Form):
    supplier = WithOrganisation(queryset=Supplier.objects.filter(active=True))
    date = DateInRangeField()
    delivery_date = DateInRangeField(required=False)
    status = forms.ChoiceField(choices=OPEN_STATUSES, initial=DocumentStatus.DRAFT)
    reference = forms.CharField(max_length=255, required=False)
    delivery_instructions = forms.CharField(max_length=500, required=False)
    amount_type = forms.ChoiceField(
        label="Amounts are", choices=AmountTypes.choices, initial=AmountTypes.EXCLUSIVE
    )

    def __init__(
        self,
        *args: object,
        editing: bool = False,
        organisation_id: int | None = None,
        sent_to: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        add_currency_field(self, organisation_id=organisation_id, party="supplier", sent_to=sent_to)
        if editing:
            # Orders keep their supplier, but an inactive one must still show as chosen.
            self.fields["supplier"].queryset = Supplier.objects.all()  # type: ignore[attr-defined]
        else:  # GEN-2: a new order starts in the default status
            self.fields["status"].initial = SyncSettings.get().default_purchase_order_status
