"""Forms of the Xero screens."""

from __future__ import annotations

from django import forms

from ledgerbridge.xero.models import Connection


class ModuleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Enable the Xero integration")


class ConnectionForm(forms.Form):
    name = forms.CharField(
        label="Display name",
        max_length=100,
        help_text="What the rest of Ledgerbridge calls this organisation, e.g. “NZ books”.",
    )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError("Enter a display name.")
        if Connection.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(f"A connection named “{name}” exists; pick another name.")
        return name
