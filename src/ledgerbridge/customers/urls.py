from django.urls import path

from ledgerbridge.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_edit, name="edit"),
    path("<int:pk>/settings/", views.customer_settings, name="settings"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
]
