"""Class pages outside the admin: my classes, join/leave, create/edit, the dashboard, item view, CSV exports.

Instructors are staff with the class permission (the Instructors group has it).
A student gets 403 on instructor pages; an instructor gets 404 for a class
they do not teach, so class ids reveal nothing.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lessons import throttle
from lessons.errors import ApplicationError
from lessons.forms.classes import ClassroomForm, JoinForm, expires_on
from lessons.models import ClassLesson, Classroom, Lesson
from lessons.roles import instructor_required, is_instructor
from lessons.selectors.class_dashboard import SORTS, class_dashboard, parse_page, parse_sort
from lessons.selectors.class_report import lesson_report
from lessons.selectors.class_student import student_report
from lessons.selectors.classes import classroom_for_code, joined_classes, normalize_code
from lessons.selectors.exports import long_rows, wide_rows
from lessons.services import classes as services

from .htmx import csv_response, page_or_fragment


def _taught(request, class_id):
    """A class the user teaches, or 404: other instructors' classes do not exist for them."""
    return get_object_or_404(Classroom.objects.taught_by(request.user), pk=class_id)


# ---------------------------------------------------------------- students and instructors


@require_GET
def class_list(request):
    user = request.user
    teaching = is_instructor(user)
    context = {
        "joined": joined_classes(user, today=timezone.localdate()),
        "is_instructor": teaching,
        "taught": Classroom.objects.taught_by(user).prefetch_related("instructors") if teaching else [],
        "join_form": JoinForm(),
        "now": timezone.now(),
    }
    return render(request, "classes/class_list.html", context)


@require_http_methods(["GET", "POST"])
def join(request):
    if request.method == "POST" and (refused := throttle.over_limit(request, "join_failure")):
        return refused
    form = JoinForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.enrollment_join(user=request.user, code=form.cleaned_data["code"])
        except ApplicationError as refused:
            throttle.count(request, "join_failure")  # code guessing is limited per address
            form.add_error("code", refused.message)
        else:
            if result.created:
                messages.success(request, f"You joined {result.classroom}.")
            else:
                messages.info(request, f"You are already in {result.classroom}.")
            return redirect("class_list")
    return render(request, "classes/join.html", {"form": form})


@require_GET
def join_link(request, code):
    """The link an instructor shares: shows the class and asks to confirm (a GET never joins)."""
    if too_many := throttle.over_limit(request, "join_failure"):
        return too_many
    refused = None
    classroom = None
    try:
        classroom = classroom_for_code(code=code)
    except ApplicationError as error:
        throttle.count(request, "join_failure")
        refused = error.message
    already = bool(classroom and classroom.enrollments.filter(student=request.user).exists())
    teaches = bool(classroom and classroom.instructors.filter(pk=request.user.pk).exists())
    context = {
        "classroom": classroom,
        "refused": refused,
        "already": already,
        "teaches": teaches,
        "code": normalize_code(code),
    }
    return render(request, "classes/join_link.html", context, status=404 if refused else 200)


@require_POST
def leave(request, class_id):
    classroom = Classroom.objects.joined_by(request.user).filter(pk=class_id).first()
    if classroom and services.enrollment_leave(user=request.user, classroom=classroom):
        messages.success(request, f"You left {classroom}. Your own work on its lessons is kept.")
    else:  # a double click, or an id that is not yours: say nothing about that class
        messages.info(request, "You are not in that class.")
    return redirect("class_list")


# ---------------------------------------------------------------- instructors


def _lessons_for_form():
    return Lesson.objects.select_related("course").order_by("course__position", "course__title", "position", "title")


def _save_form(request, form, classroom):
    return services.classroom_save(
        user=request.user,
        classroom=classroom,
        name=form.cleaned_data["name"],
        section=form.cleaned_data["section"],
        join_enabled=form.cleaned_data["join_enabled"],
        join_expires_at=services.end_of_day(form.cleaned_data["join_expires_on"]),
        instructors=form.cleaned_data["instructor_names"],
        lessons=form.assigned_lessons(),
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = ClassroomForm(request.POST or None, user=request.user, lessons=_lessons_for_form(), assigned={})
    if request.method == "POST" and form.is_valid():
        classroom = _save_form(request, form, None)
        messages.success(request, f"Class created. Students join with the code {classroom.join_code}.")
        return redirect(classroom)
    return render(request, "classes/class_form.html", {"form": form, "classroom": None})


@instructor_required
@require_http_methods(["GET", "POST"])
def edit(request, class_id):
    classroom = _taught(request, class_id)
    assigned = {cl.lesson_id: cl for cl in ClassLesson.objects.filter(classroom=classroom)}
    initial = {
        "instructor_names": ", ".join(u.username for u in classroom.instructors.order_by("username")),
        "join_expires_on": expires_on(classroom),
    }
    form = ClassroomForm(
        request.POST or None,
        instance=classroom,
        initial=initial,
        user=request.user,
        lessons=_lessons_for_form(),
        assigned=assigned,
    )
    if request.method == "POST" and form.is_valid():
        _save_form(request, form, classroom)
        messages.success(request, "Class saved.")
        return redirect(classroom)
    return render(request, "classes/class_form.html", {"form": form, "classroom": classroom})


@instructor_required
@require_POST
def reset_code(request, class_id):
    classroom = _taught(request, class_id)
    code = services.classroom_code_reset(classroom=classroom)
    messages.success(request, f"New join code: {code}. The old code no longer works.")
    return redirect("class_edit", classroom.pk)


def _sort_headings(classroom, board):
    """Column headings that sort the grid: a click sorts ascending, a second click descending."""
    base = reverse("class_dashboard", args=[classroom.pk])
    headings = []
    for key, label in (("name", "Student"), ("last_active", "Last active"), ("progress", "Completed")):
        current = board.sort == key
        query = {"sort": f"-{key}" if current and not board.descending else key}
        if board.attention_only:
            query["attention"] = "1"
        aria_sort = ("descending" if board.descending else "ascending") if current else "none"
        headings.append((key, {"label": label, "url": f"{base}?{urlencode(query)}", "aria_sort": aria_sort}))
    return headings


def _page_links(classroom, board):
    """(number, url, current) for each section of a large class's grid, keeping its sort and filter."""
    if board.pages < 2:
        return []
    base = reverse("class_dashboard", args=[classroom.pk])
    query = {"sort": f"-{board.sort}" if board.descending else board.sort}
    if board.attention_only:
        query["attention"] = "1"
    return [
        (number, f"{base}?{urlencode({**query, 'page': number})}", number == board.page)
        for number in range(1, board.pages + 1)
    ]


@instructor_required
@require_GET
def dashboard(request, class_id):
    classroom = get_object_or_404(
        Classroom.objects.taught_by(request.user).select_related("lti_binding__context"), pk=class_id
    )
    sort, descending = parse_sort(request.GET.get("sort"))
    attention_only = request.GET.get("attention") == "1"
    board = class_dashboard(
        classroom,
        now=timezone.now(),
        sort=sort,
        descending=descending,
        attention_only=attention_only,
        page=parse_page(request.GET.get("page")),
    )
    context = {
        "classroom": classroom,
        "board": board,
        "sorts": SORTS,
        "sort_headings": _sort_headings(classroom, board),
        "page_links": _page_links(classroom, board),
        "join_url": request.build_absolute_uri(classroom.get_join_url()),
        "binding": getattr(classroom, "lti_binding", None),  # the LMS course the class mirrors, if any
    }
    return page_or_fragment(request, "classes/dashboard.html", context, fragment="grid")


@instructor_required
@require_GET
def lesson_items(request, class_id, lesson_id):
    classroom = _taught(request, class_id)
    class_lesson = get_object_or_404(ClassLesson.objects.for_classroom(classroom), lesson_id=lesson_id)
    lesson = Lesson.objects.with_archived_items().get(pk=class_lesson.lesson_id)
    report = lesson_report(classroom, lesson)
    return render(request, "classes/lesson_items.html", {"classroom": classroom, "report": report})


@instructor_required
@require_GET
def export_wide(request, class_id):
    classroom = _taught(request, class_id)
    return csv_response(wide_rows(classroom), f"class-{classroom.pk}-progress-wide.csv")


@instructor_required
@require_GET
def export_long(request, class_id):
    classroom = _taught(request, class_id)
    return csv_response(long_rows(classroom), f"class-{classroom.pk}-events-long.csv")


# ---------------------------------------------------------------- one student of the class


def _class_student(classroom, user_id):
    """A student enrolled in the class, or 404 (a student of another class does not exist here)."""
    return get_object_or_404(get_user_model(), pk=user_id, enrollments__classroom=classroom)


@instructor_required
@require_GET
def student_detail(request, class_id, user_id):
    classroom = _taught(request, class_id)
    student = _class_student(classroom, user_id)
    report = student_report(classroom, student, now=timezone.now())
    return render(request, "classes/student.html", {"classroom": classroom, "report": report})


@instructor_required
@require_POST
def student_remove(request, class_id, user_id):
    classroom = _taught(request, class_id)
    student = _class_student(classroom, user_id)
    services.enrollment_remove(classroom=classroom, student=student)
    name = student.get_full_name() or student.username
    messages.success(request, f"{name} is no longer in {classroom}. Their own work is kept.")
    return redirect("class_dashboard", class_id=classroom.pk)


@instructor_required
@require_POST
def remind_behind(request, class_id):
    classroom = _taught(request, class_id)
    class_url = request.build_absolute_uri(reverse("class_list"))
    result = services.behind_reminders_send(
        classroom=classroom, sender=request.user, now=timezone.now(), class_url=class_url
    )
    if result.sent or result.without_email:
        text = f"Emailed {result.sent} student{'s' if result.sent != 1 else ''} who are behind."
        if result.without_email:
            text += f" {result.without_email} behind have no email address on their account."
        messages.success(request, text)
    else:
        messages.info(request, "Nobody is behind: no email was sent.")
    return redirect("class_dashboard", class_id=classroom.pk)
