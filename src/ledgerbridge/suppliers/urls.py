from django.urls import path

from ledgerbridge.suppliers import views

app_name = "suppliers"
urlpatterns = [
    path("", views.supplier_list, name="list"),
    path("new/", views.supplier_form, name="create"),
    path("<int:pk>/", views.supplier_form, name="edit"),
    path("<int:pk>/delete/", views.supplier_delete, name="delete"),
]
