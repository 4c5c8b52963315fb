from django.urls import path

from ledgerbridge.billing import credit_note_views, views

app_name = "billing"
urlpatterns = [
    path("ready/", views.ready, name="ready"),
    path("ready/billed/", views.billed, name="billed"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/delete/", views.invoice_delete, name="invoice_delete"),
    path(
        "invoices/<int:invoice_pk>/credit/",
        credit_note_views.credit_note_create,
        name="invoice_credit",
    ),
    path("credit-notes/", credit_note_views.credit_note_list, name="credit_note_list"),
    path("credit-notes/new/", credit_note_views.credit_note_create, name="credit_note_create"),
    path("credit-notes/<int:pk>/", credit_note_views.credit_note_detail, name="credit_note_detail"),
    path(
        "credit-notes/<int:pk>/edit/", credit_note_views.credit_note_edit, name="credit_note_edit"
    ),
    path(
        "credit-notes/<int:pk>/delete/",
        credit_note_views.credit_note_delete,
        name="credit_note_delete",
    ),
    path("customers/<int:pk>/", credit_note_views.customer_account, name="customer_account"),
    path("recurring/", views.recurring_list, name="recurring_list"),
    path("recurring/new/", views.recurring_form, name="recurring_create"),
    path("recurring/raise/", views.recurring_raise, name="recurring_raise"),
    path("recurring/<int:pk>/", views.recurring_form, name="recurring_edit"),
    path("recurring/<int:pk>/delete/", views.recurring_delete, name="recurring_delete"),
    path("recurring/<int:pk>/confirm/", views.recurring_confirm, name="recurring_confirm"),
]
