"""What every screen shares: search, paging, and putting a service's errors onto its forms.

Views stay thin: parse a form, call one service, redirect with a message. When the service
refuses with a `ValidationError`, `apply_errors` moves each message to the field it names
(`customer`, `lines[2].quantity`, or nowhere in particular) and the view re-renders the page
with `invalid()`, which answers 400 so a client never mistakes a refusal for success.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

PAGE_SIZE = 25
MAX_QUERY = 200
LINE_KEY = re.compile(r"^lines\[(\d+)\]\.(\w+)$")

M = TypeVar("M", bound=Model)


class DecimalInput(forms.DecimalField):
    """A decimal field that gives one message: Django's checks each add theirs, so a huge number
    was told both "at most 1000000000" and "no more than 14 digits", and 12.123456 "no more
    than 7 digits in total" where the hint says "up to 4 decimals". Too many decimals is said
    as such; otherwise the range; otherwise Django's first message."""

    def run_validators(self, value: Any) -> None:
        try:
            super().run_validators(value)
        except ValidationError as exc:
            errors = exc.error_list
            exponent = value.as_tuple().exponent if value is not None else 0
            places = self.decimal_places
            if places is not None and isinstance(exponent, int) and -exponent > places:
                message = f"Ensure that there are no more than {places} decimal places."
                raise ValidationError(message, code="max_decimal_places") from None
            ranged = [e for e in errors if e.code in {"max_value", "min_value"}]
            raise ValidationError((ranged or errors)[:1]) from None


def search(queryset: QuerySet[M], query: str, fields: Sequence[str]) -> QuerySet[M]:
    """Rows where any of `fields` contains every word of `query` (case-insensitive)."""
    for word in query[:MAX_QUERY].split():
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(match)
    return queryset


def paginate(request: HttpRequest, items: QuerySet[M], per_page: int = PAGE_SIZE) -> Page[M]:
    """The requested page; a page number that is not a number or is out of range gives the
    nearest real page instead of an error."""
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def apply_errors(
    form: forms.BaseForm,
    error: ValidationError,
    lines: Sequence[forms.BaseForm] = (),
    rename: Mapping[str, str] | None = None,
) -> None:
    """Attach a service's ValidationError to the form field (or line form field) it names.

    `lines[i]` refers to the i-th line the service was given, so `lines` must list the line
    forms in that same order. Keys no form knows become form-wide errors naming the key.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, texts in error.message_dict.items():
        name = (rename or {}).get(key, key)
        found = LINE_KEY.match(name)
        if found and int(found.group(1)) < len(lines):
            line_form = lines[int(found.group(1))]
            field = found.group(2)
            line_form.add_error(field if field in line_form.fields else None, texts)
        elif name in form.fields:
            form.add_error(name, texts)
        elif name == "__all__":
            form.add_error(None, texts)
        else:
            label = name.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {message}" for message in texts])


def _errors_of(form: forms.BaseForm, where: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, errors in form.errors.items():
        label = str(form[name].label) if name in form.fields else name
        place = where if name == "__all__" else f"{where}{label}"
        found.extend((place or "Form", str(message)) for message in errors)
    return found


def error_summary(
    form: forms.BaseForm | None,
    line_forms: Iterable[forms.BaseForm] = (),
    extra: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """(where, message) pairs for the summary above a form; each names the field to fix."""
    summary = _errors_of(form, "") if form is not None else []
    for number, line_form in enumerate(line_forms, start=1):
        summary.extend(_errors_of(line_form, f"Line {number}: "))
    summary.extend(("Lines", message) for message in extra)
    return summary


def invalid(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 400
) -> HttpResponse:
    """Re-render a form page that was refused: 400, the fields' errors and a summary."""
    return render(request, template, context, status=status)


def fieldsets(
    form: forms.BaseForm, groups: Sequence[tuple[str, Sequence[str]]]
) -> list[tuple[str, list[forms.BoundField]]]:
    """Group a form's fields under legends, in the given order; unknown names are skipped."""
    return [
        (legend, [form[name] for name in names if name in form.fields]) for legend, names in groups
    ]


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    template: str = "form_page.html",
    **extra: Any,
) -> HttpResponse:
    """Render a form page; a bound form with errors answers 400 with a summary naming fields."""
    refused = form.is_bound and bool(form.errors)
    context: dict[str, Any] = {
        "form": form,
        "title": title,
        "summary": error_summary(form) if refused else [],
        **extra,
    }
    return render(request, template, context, status=400 if refused else 200)


def posted(request: HttpRequest) -> Any:
    """The POST data when the request is a POST (even an empty one), else None: an empty
    POST must still be validated and refused, not shown as a fresh form."""
    return request.POST if request.method == "POST" else None


def delete_page(
    request: HttpRequest,
    obj: Model,
    *,
    kind: str,
    delete: Callable[[], object],
    back_url: str,
    done_url: str,
    consequence: str = "",
    section: str = "",
) -> HttpResponse:
    """Ask before deleting; on POST call the service. A refusal (ValidationError) is shown
    with its reason and a 409, and nothing is deleted."""
    context: dict[str, Any] = {
        "object": obj,
        "kind": kind,
        "back_url": back_url,
        "consequence": consequence,
        "section": section,
    }
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            return render(request, "confirm_delete.html", context, status=409)
        messages.success(request, f"{kind.capitalize()} {obj} deleted.")
        return redirect(done_url)
    return render(request, "confirm_delete.html", context)
