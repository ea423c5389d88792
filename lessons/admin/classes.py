"""Admin for classes."""

from django.contrib import admin

from lessons.models import Classroom

admin.site.register(Classroom)
