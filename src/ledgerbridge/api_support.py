"""What every REST endpoint shares: token auth, the one error body, paging and checked value types.

The error body is the same for every error the API gives (4xx and 500):

    {"detail": "<one sentence>", "errors": [{"field": "lines[0].quantity", "message": "..."}]}

`field` is null for a message about the whole request. The handlers that produce it are
registered on the root API in `ledgerbridge/api.py` by `install_error_handlers`; `json_error_page`
gives the same body for what Django answers before the API is reached (an unknown path).
An unexpected error is a 500 whose detail quotes an error id, logged with its traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from ledgerbridge import dates
from ledgerbridge.accounts.models import ApiToken, User, hash_token
from ledgerbridge.accounts.permissions import can_use, check_area
from ledgerbridge.billing.models import MAX_QUANTITY
from ledgerbridge.deletion import IN_USE
from ledgerbridge.sync.currencies import FORMAT as CURRENCY_FORMAT
from ledgerbridge.sync.currencies import is_code
from ledgerbridge.sync.models import Organisation

log = logging.getLogger("ledgerbridge.api")

# Ids fit a 32-bit signed integer here, so no id can overflow SQLite or PostgreSQL columns.
MAX_ID = 2_147_483_647
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200

# ---------------------------------------------------------------------------------------------
# Authentication and roles


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`, checked against the stored SHA-256 hash of API tokens.

    With areas, it is also the role check, made before the body is read (so a role outside
    the area gets 403, never a validation error): `write` areas for changes, `read` areas
    (default: the same) for GET. The user's role must use at least one of them.
    """

    def __init__(self, *write: str, read: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.write_areas = write
        self.read_areas = write if read is None else read

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            key_hash = hash_token(token)
        except UnicodeError:
            return None
        found = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH_INTERVAL:
            # At most one write a minute per token, so reads stay reads.
            record_token_use(found, now)
        request.user = found.user
        areas = self.read_areas if request.method in SAFE_METHODS else self.write_areas
        if areas and not any(can_use(found.user, area) for area in areas):
            raise PermissionDenied(f"Your role may not use {' or '.join(areas)}.")
        return found.user


def record_token_use(token: ApiToken, now: dt.datetime) -> bool:
    """Best effort: set the token's `last_used_at`. Bookkeeping must not fail the request it
    rides on, nor make it wait: when the database is read-only, or another process holds the
    write lock (SQLite) or the token's row (PostgreSQL), the write is skipped at once and
    logged, and a later request records the use. Returns whether it was recorded."""
    try:
        with _lock_waits_fail_fast(), transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except DatabaseError as exc:
        log.warning("last use of API token %s… not recorded: %s", token.prefix, exc)
        return False
    return True


@contextmanager
def _lock_waits_fail_fast() -> Iterator[None]:
    """SQLite: no busy wait (the connection's 30 s timeout is for real work) while inside."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def login_or_token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Guard the OpenAPI document: a signed-in session or a valid bearer token, else 401."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and not TokenAuth()(request):
            text = "Sign in, or send 'Authorization: Bearer <token>' with a valid API token."
            response = JsonResponse(error_body(text, []), status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        return view(request, *args, **kwargs)

    return guarded


def current_user(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - auth runs before every endpoint
        raise AuthenticationError()
    return user


def require_area(request: HttpRequest, area: str) -> User:
    """The signed-in user, or 403 naming the area when their role may not use it."""
    user = current_user(request)
    check_area(user, area)
    return user


# ---------------------------------------------------------------------------------------------
# Value types


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Remove the NUL character (\\x00) from the text")
    return value


def _date_in_range(value: dt.date) -> dt.date:
    if not dates.in_range(value):
        raise ValueError(dates.OUT_OF_RANGE.rstrip("."))
    return value


def _email_or_empty(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter an email address such as accounts@example.com") from None
    return value


def _currency_or_empty(value: str) -> str:
    if value and not is_code(value):
        raise ValueError(CURRENCY_FORMAT.rstrip(".") + ", or empty")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A currency code (ISO 4217: three capital letters), or "" for the default one (which the
# field's description names). Whether the organisation has enabled it is the service's check.
CurrencyCode = Annotated[
    str,
    AfterValidator(_currency_or_empty),
    WithJsonSchema({"type": "string", "pattern": "^([A-Z]{3})?$", "maxLength": 3}),
]
# An email address, or "" for none (documented as exactly that).
Email = Annotated[
    str,
    Field(max_length=254),
    AfterValidator(_email_or_empty),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "email", "maxLength": 254},
                {"type": "string", "maxLength": 0},
            ]
        }
    ),
]
# The range is documented with formatMinimum/formatMaximum (JSON Schema's keywords for bounds on
# formatted strings), which validators that do not know them ignore.
Date = Annotated[
    dt.date,
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "formatMinimum": dates.EARLIEST_DATE.isoformat(),
            "formatMaximum": dates.LATEST_DATE.isoformat(),
        }
    ),
]
Quantity = Annotated[
    Decimal, Field(gt=0, le=MAX_QUANTITY, max_digits=14, decimal_places=4, allow_inf_nan=False)
]
UnitAmount = Annotated[
    Decimal, Field(ge=0, le=MAX_QUANTITY, max_digits=14, decimal_places=4, allow_inf_nan=False)
]
Hours = Annotated[
    Decimal,
    Field(ge=Decimal("0.01"), le=24, max_digits=5, decimal_places=2, allow_inf_nan=False),
]
Percentage = Annotated[
    Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4, allow_inf_nan=False)
]


def _check_json_type(annotation: Any, value: Any) -> None:
    """Refuse what the document does not allow where it says boolean, integer or date: pydantic's
    lax mode otherwise takes 0/1/"true" for a boolean, false/"5" for an integer and a number
    (of seconds since 1970) for a date."""
    origin = get_origin(annotation)
    if origin is Annotated:
        _check_json_type(get_args(annotation)[0], value)
    elif origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if value is not None and len(options) == 1:
            _check_json_type(options[0], value)
    elif origin is list and isinstance(value, list):
        (item,) = get_args(annotation) or (Any,)
        for element in value:
            # Text that is no number at all is left to pydantic, which names the element.
            if not (isinstance(element, str) and not element.strip().lstrip("+-").isdigit()):
                _check_json_type(item, element)
    elif annotation in (dt.date, dt.datetime) and not isinstance(value, str):
        raise ValueError("Send the date as text, YYYY-MM-DD")
    elif annotation is bool and not isinstance(value, bool):
        raise ValueError("Send true or false")
    elif annotation is int and (
        isinstance(value, bool)
        or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))
    ):
        raise ValueError("Send a whole number")


class Input(Schema):
    """Base of every request body: unknown fields are refused, text is trimmed, no NUL bytes,
    and booleans and integers are JSON's own (see `_check_json_type`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None:
            _check_json_type(cls.model_fields[info.field_name].annotation, value)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _no_nul(value)
        return value


class ListQuery(Schema):
    """Paging and search for every list: `q` searches, `limit`/`offset` page."""

    q: str = Field("", max_length=100, description="Search text (case-insensitive).")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_ID)

    @field_validator("q", mode="after")
    @classmethod
    def _clean_q(cls, value: str) -> str:
        return _no_nul(value.strip())


M = TypeVar("M", bound=Model)


def paged(queryset: QuerySet[M], params: ListQuery) -> dict[str, Any]:
    """A page of a list: `{"count": <all matches>, "items": [...]}`."""
    return {
        "count": queryset.count(),
        "items": list(queryset[params.offset : params.offset + params.limit]),
    }


def fetch(model: type[M], pk: int, label: str) -> M:
    """The record, or 404 naming what was not found."""
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise Http404(f"{label} {pk} does not exist.")
    return found


def fresh(record: M) -> M:
    """The record as stored (decimals at their stored places), to answer a create or change."""
    record.refresh_from_db()
    return record


def resolve(model: type[M], pk: int | None, field: str, label: str) -> M | None:
    """A record named by id in a request body, or a 422 naming the field (never a 404)."""
    if pk is None:
        return None
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise DjangoValidationError(
            {field: [f"{label} {pk} does not exist; pick an existing one."]}
        )
    return found


def resolve_required(model: type[M], pk: int, field: str, label: str) -> M:
    found = resolve(model, pk, field, label)
    assert found is not None
    return found


# ---------------------------------------------------------------------------------------------
# Errors


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    500: ErrorOut,
}


class UnsupportedMediaType(HttpError):
    def __init__(self, content_type: str) -> None:
        super().__init__(
            415,
            f"Send the body as JSON with 'Content-Type: application/json' "
            f"(not {content_type or 'no content type'}).",
        )


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class JsonParser(Parser):
    """Bodies are JSON only: any other content type is a 415, never parsed as JSON anyway."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if not _is_json(request.content_type or ""):
            raise UnsupportedMediaType(request.content_type or "")
        return super().parse_body(request)


def _field_path(loc: Iterable[Any]) -> str | None:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]  # ("body", <parameter name>, field, ...)
    elif parts:
        parts = parts[1:]  # ("query" | "path", field, ...)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


_PYDANTIC_HINTS = {
    "missing": "This field is required; send a value.",
    "extra_forbidden": "Unknown field; remove it.",
    "model_attributes_type": "Send a JSON object.",
    "model_type": "Send a JSON object.",
}


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def error_body(detail: str, errors: list[tuple[str | None, str]]) -> dict[str, Any]:
    return {"detail": detail, "errors": [{"field": f, "message": m} for f, m in errors]}


def _summary(errors: list[tuple[str | None, str]]) -> str:
    fields = [f for f, _ in errors if f]
    if not fields:
        return errors[0][1] if errors else "The request is not valid."
    if len(errors) == 1:
        return f"{fields[0]}: {errors[0][1]}"
    shown = ", ".join(dict.fromkeys(fields))
    return f"Fix these fields and send again: {shown}."


def _ninja_validation(
    request: HttpRequest, exc: NinjaValidationError, api: NinjaAPI
) -> HttpResponse:
    errors: list[tuple[str | None, str]] = []
    for err in exc.errors:
        message = _PYDANTIC_HINTS.get(str(err.get("type")), str(err.get("msg", "Invalid value")))
        message = message.removeprefix("Value error, ")
        errors.append((_field_path(err.get("loc", ())), _sentence(message)))
    return api.create_response(request, error_body(_summary(errors), errors), status=422)


def _django_validation(
    request: HttpRequest, exc: DjangoValidationError, api: NinjaAPI
) -> HttpResponse:
    errors: list[tuple[str | None, str]] = []
    codes: set[str | None] = set()
    if hasattr(exc, "error_dict"):
        for field, items in exc.error_dict.items():
            for item in items:
                codes.add(item.code)
                for message in item.messages:
                    errors.append(
                        (None if field == NON_FIELD_ERRORS else field, _sentence(message))
                    )
    else:
        for item in exc.error_list:
            codes.add(item.code)
            for message in item.messages:
                errors.append((None, _sentence(message)))
    # A duplicate (unique) value, or a deletion refused because the record is in use, is a
    # conflict with the stored records, not a malformed request.
    status = 409 if codes and codes <= {"unique", "unique_together", IN_USE} else 422
    return api.create_response(request, error_body(_summary(errors), errors), status=status)


_UNIQUE_FIELD = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)|Key \((\w+)\)=")


def _integrity(request: HttpRequest, exc: IntegrityError, api: NinjaAPI) -> HttpResponse:
    match = _UNIQUE_FIELD.search(str(exc))
    field = (match.group(1) or match.group(2)) if match else None
    if field:
        message = f"Another record already has this {field.replace('_', ' ')}; choose another."
    else:
        message = (
            "This change conflicts with other records (a duplicate or a rule); check the values."
        )
    return api.create_response(request, error_body(message, [(field, message)]), status=409)


def _protected(request: HttpRequest, exc: ProtectedError, api: NinjaAPI) -> HttpResponse:
    message = "This record is still used by others; change or remove those first."
    return api.create_response(request, error_body(message, [(None, message)]), status=409)


def _not_found(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    text = str(exc) if isinstance(exc, Http404) and str(exc) else "The record does not exist."
    return api.create_response(request, error_body(text, []), status=404)


def _denied(request: HttpRequest, exc: PermissionDenied, api: NinjaAPI) -> HttpResponse:
    text = str(exc) or "Your role may not do this."
    return api.create_response(request, error_body(text, []), status=403)


def _http_error(request: HttpRequest, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        text = (
            "Sign in: send 'Authorization: Bearer <token>' with a valid API token "
            "of an active user."
        )
        response = api.create_response(request, error_body(text, []), status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    # ninja wraps whatever the parser raises in a 400; a 415 from `JsonParser` is kept.
    if isinstance(exc.__cause__, UnsupportedMediaType):
        exc = exc.__cause__
    text = _sentence(str(exc))
    if exc.status_code == 400:
        text = "The request body is not valid JSON; send a JSON object."
    return api.create_response(request, error_body(text, []), status=exc.status_code)


def _too_big(request: HttpRequest, exc: RequestDataTooBig, api: NinjaAPI) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    text = f"The request body is larger than the limit of {limit} bytes; send less at a time."
    return api.create_response(request, error_body(text, []), status=413)


def server_error(request: HttpRequest, exc: BaseException | None = None) -> JsonResponse:
    """The 500 body: no detail of the failure (that is in the log), an id to quote instead."""
    error_id = secrets.token_hex(6)
    log.error(
        "unexpected error %s on %s %s",
        error_id,
        request.method,
        request.path,
        exc_info=exc if exc is not None else True,
    )
    text = f"Something went wrong on our side; quote error id {error_id} when reporting it."
    response = JsonResponse(error_body(text, []), status=500)
    response["X-Error-Id"] = error_id
    return response


def _unexpected(request: HttpRequest, exc: Exception, api: NinjaAPI) -> HttpResponse:
    return server_error(request, exc)


def json_error_page(status: int, text: str) -> Callable[..., HttpResponse]:
    """A Django error handler (handler404...) answering the API's JSON body under /api/."""

    def handler(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return JsonResponse(error_body(text, []), status=status)

    return handler


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every error the API gives share one body (see the module docstring)."""

    def bind(handler: Callable[[HttpRequest, Any, NinjaAPI], HttpResponse]) -> Any:
        return lambda request, exc: handler(request, exc, api)

    api.add_exception_handler(NinjaValidationError, bind(_ninja_validation))
    api.add_exception_handler(DjangoValidationError, bind(_django_validation))
    api.add_exception_handler(IntegrityError, bind(_integrity))
    api.add_exception_handler(ProtectedError, bind(_protected))
    api.add_exception_handler(Http404, bind(_not_found))
    api.add_exception_handler(ObjectDoesNotExist, bind(_not_found))
    api.add_exception_handler(PermissionDenied, bind(_denied))
    api.add_exception_handler(HttpError, bind(_http_error))
    api.add_exception_handler(RequestDataTooBig, bind(_too_big))
    api.add_exception_handler(Exception, bind(_unexpected))


def organisation_fields(payload: Schema, field: str = "organisation") -> dict[str, Any]:
    """The organisation a body names, as service fields: {"organisation": it} (null: none);
    {} when the body leaves it out (a new record then gets the default one, a stored record
    keeps its own). An unknown id is a 422 naming the field."""
    if field not in payload.model_fields_set:
        return {}
    return {"organisation": resolve(Organisation, getattr(payload, field), field, "Organisation")}
