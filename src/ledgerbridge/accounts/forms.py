"""Forms for users (created with a role, edited, deactivated) and API tokens."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from ledgerbridge.accounts.models import User


class NewUserForm(UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "role")


class UserForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "role", "is_active")
        labels = {"is_active": "Active (may sign in)"}

    def __init__(self, *args: object, editor: User | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.editor = editor

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.editor is not None and self.instance.pk == self.editor.pk:
            if data.get("is_active") is False:
                self.add_error("is_active", "You cannot deactivate yourself; ask another admin.")
            if data.get("role") and data.get("role") != self.instance.role:
                self.add_error("role", "You cannot change your own role; ask another admin.")
        return data


class TokenForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        help_text="The token acts with this user's role.",
    )
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “RMM sync”.")
