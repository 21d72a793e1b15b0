# Load Celery's app with Django so that @shared_task binds to it (cookiecutter's layout).
from .celery import app as celery_app

__all__ = ("celery_app",)
