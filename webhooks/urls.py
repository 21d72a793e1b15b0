from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("<int:pk>/secret/", views.secret_roll, name="secret_roll"),
    path("<int:pk>/test/", views.test_send, name="test"),
    path("deliveries/<int:pk>/again/", views.redeliver, name="redeliver"),
]
