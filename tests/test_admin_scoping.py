"""In the admin too, an instructor only ever sees the students of their own classes (superusers see all)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.admin.responses import StudentRecordsAdmin
from lessons.models import Classroom, Confidence, Enrollment, LessonCompletion, PredictionSubmission
from lessons.services.prediction import prediction_submit

from .test_permissions_matrix import STUDENT_DATA_MODULES

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:lessons_predictionsubmission_changelist")


@pytest.fixture
def two_classes(make_user, diffusion):
    """Two instructors with a class each (two students, one student), and a student in no class; each submitted."""
    exercise = diffusion.predictions.get()
    people = {}
    for teacher, student in (("teacher_a", "pupil_a"), ("teacher_b", "pupil_b")):
        instructor, pupil = make_user(teacher, instructor=True), make_user(student)
        classroom = Classroom.objects.create(name=f"Class of {teacher}")
        classroom.instructors.add(instructor)
        Enrollment.objects.create(classroom=classroom, student=pupil)
        people[teacher], people[student] = instructor, pupil
    people["pupil_a2"] = make_user("pupil_a2")
    Enrollment.objects.create(classroom=Classroom.objects.get(name="Class of teacher_a"), student=people["pupil_a2"])
    people["loner"] = make_user("loner")
    for name in ("pupil_a", "pupil_a2", "pupil_b", "loner"):
        prediction_submit(
            user=people[name], exercise=exercise, number=1, text=f"Words of {name}.", confidence=Confidence.LOW
        )
    return people


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_instructor_lists_and_filters_only_their_students(two_classes):
    client = client_of(two_classes["teacher_a"])
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert "Words of pupil_a." in html and "Words of pupil_a2." in html
    assert "Words of pupil_b." not in html and "Words of loner." not in html
    assert response.context["cl"].result_count == 2
    user_filter = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "user")
    assert sorted(label for _, label in user_filter.lookup_choices) == ["pupil_a", "pupil_a2"], "only their students"
    assert "pupil_b" not in html and "loner" not in html

    # A forged filter or search for another student finds nothing.
    forged = client.get(CHANGELIST, {"user__id__exact": two_classes["pupil_b"].pk})
    assert forged.context["cl"].result_count == 0
    assert client.get(CHANGELIST, {"q": "loner"}).context["cl"].result_count == 0


def test_another_students_record_is_not_found(two_classes):
    theirs = PredictionSubmission.objects.get(user=two_classes["pupil_b"])
    url = reverse("admin:lessons_predictionsubmission_change", args=[theirs.pk])
    response = client_of(two_classes["teacher_a"]).get(url, follow=True)
    assert "Words of pupil_b." not in response.content.decode()
    assert "doesn’t exist" in response.content.decode()
    assert client_of(two_classes["teacher_b"]).get(url).status_code == 200


def test_a_superuser_sees_every_student(two_classes, admin_client):
    response = admin_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 4
    completion = LessonCompletion.objects.create(
        user=two_classes["loner"],
        lesson=PredictionSubmission.objects.first().exercise.lesson,
        completed_at=timezone.now(),
    )
    completions = admin_client.get(reverse("admin:lessons_lessoncompletion_changelist"))
    assert list(completions.context["cl"].result_list) == [completion]


def test_every_admin_of_student_records_is_scoped():
    """A model of the student-data modules with a foreign key to the user needs the scoped admin."""
    user_model = get_user_model()
    unscoped = []
    for model in apps.get_app_config("lessons").get_models():
        if model.__module__ not in STUDENT_DATA_MODULES or not admin.site.is_registered(model):
            continue
        points_at_students = any(
            field.many_to_one and field.related_model is user_model for field in model._meta.get_fields()
        )
        if points_at_students and not isinstance(admin.site.get_model_admin(model), StudentRecordsAdmin):
            unscoped.append(model.__name__)
    assert unscoped == []


# ---------------------------------------------------------------- display names with usernames (issue 17)


def test_the_user_admin_calls_the_name_a_display_name_lists_it_and_searches_it(admin_client, make_user):
    ada = make_user("ada")
    get_user_model().objects.filter(pk=ada.pk).update(first_name="Ada Lovelace")
    changelist = reverse("admin:auth_user_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "Display name" in page and "Ada Lovelace" in page and "First name" not in page
    found = admin_client.get(changelist, {"q": "Lovelace"})
    assert [user.username for user in found.context["cl"].result_list] == ["ada"]
    change = admin_client.get(reverse("admin:auth_user_change", args=[ada.pk])).content.decode()
    assert 'for="id_first_name">Display name:</label>' in change
    assert "First name" not in change


def test_student_records_in_the_admin_name_the_student_with_the_username(two_classes):
    get_user_model().objects.filter(username="pupil_a").update(first_name="Pia Park")
    client = client_of(two_classes["teacher_a"])
    page = client.get(CHANGELIST).content.decode()
    assert "Pia Park (pupil_a)" in page and "pupil_a2" in page
    classroom = Classroom.objects.get(name="Class of teacher_a")
    get_user_model().objects.filter(username="teacher_a").update(first_name="Tess Avery")
    form = client.get(reverse("admin:lessons_classroom_change", args=[classroom.pk])).content.decode()
    assert "Pia Park (pupil_a)" in form and ">Tess Avery (teacher_a)</option>" in form
