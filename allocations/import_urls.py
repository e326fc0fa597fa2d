from django.urls import path

from . import import_views as views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("jobs/<int:pk>/", views.import_job, name="job"),
    path("jobs/<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<slug:kind>/template/", views.import_template, name="template"),
    path("<slug:kind>/upload/", views.import_upload, name="upload"),
]
