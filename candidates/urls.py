from django.urls import path

from . import views

app_name = "candidates"

urlpatterns = [
    path("", views.home, name="home"),
    path("candidates/<int:pk>/", views.candidate_detail, name="detail"),
]
