from django.urls import path

from ledgerbridge.purchasing import views

app_name = "purchasing"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_form, name="create"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/edit/", views.order_form, name="edit"),
    path("<int:pk>/delete/", views.order_delete, name="delete"),
]
