from django.urls import path

from ledgerbridge.catalog import views

app_name = "catalog"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_form, name="product_create"),
    path("products/<int:pk>/", views.product_form, name="product_edit"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_form, name="group_create"),
    path("groups/<int:pk>/", views.group_form, name="group_edit"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
    path("tax-rates/", views.taxrate_list, name="taxrate_list"),
    path("tax-rates/new/", views.taxrate_form, name="taxrate_create"),
    path("tax-rates/<int:pk>/", views.taxrate_form, name="taxrate_edit"),
    path("tax-rates/<int:pk>/delete/", views.taxrate_delete, name="taxrate_delete"),
    path("charge-rates/", views.chargerate_list, name="chargerate_list"),
    path("charge-rates/new/", views.chargerate_form, name="chargerate_create"),
    path("charge-rates/<int:pk>/", views.chargerate_form, name="chargerate_edit"),
    path("charge-rates/<int:pk>/delete/", views.chargerate_delete, name="chargerate_delete"),
]
