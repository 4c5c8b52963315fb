from django.urls import path

from ledgerbridge.work import views

app_name = "work"
urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("new/", views.ticket_form, name="ticket_create"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/edit/", views.ticket_form, name="ticket_edit"),
    path("<int:pk>/delete/", views.ticket_delete, name="ticket_delete"),
    path("time/<int:pk>/", views.time_edit, name="time_edit"),
    path("time/<int:pk>/delete/", views.time_delete, name="time_delete"),
]
