"""LTI 1.3 pages: the tool's key set, OIDC login, launch, deep linking, and the roster refresh.

The LMS posts to ``login`` and ``launch`` from its own pages, so those two are
CSRF-exempt (a signed JWT, a state cookie and a one-time nonce protect them)
and open to anonymous users (the launch is what signs the user in).
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import Key

from lessons.errors import ApplicationError
from lessons.models import Classroom
from lessons.roles import instructor_required
from lessons.selectors.lti import LAUNCH_SESSION_KEY, deep_link_catalogue
from lessons.services import lti as services
from lessons.views.htmx import alert_response

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _launch_url(request) -> str:
    return request.build_absolute_uri(reverse("lti_launch"))


def _has_nul(request) -> bool:
    """A NUL byte cannot be stored or looked up in Postgres text: such a request is refused up front."""
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


@login_not_required
@require_GET
def jwks(request):
    """Our public signing keys, for platforms to check what we sign (deep links, service tokens)."""
    return JsonResponse(Key.objects.as_jwks())


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request):
    """Step 1 of a launch: the LMS names itself; we send the browser back to it with a state and a nonce.

    The launch always returns to our launch URL, whatever ``target_link_uri`` says
    (a login never redirects elsewhere).
    """
    request.lti_framed = True
    if _has_nul(request):
        return alert_response(request, "This LMS login could not start: its parameters are malformed.")
    try:
        return services.oidc_login_redirect(request=request, launch_url=_launch_url(request))
    except ApplicationError as refused:
        return alert_response(request, str(refused), status=refused.status)


@login_not_required
@csrf_exempt
@require_POST
def launch(request):
    """Step 2: the LMS posts a signed id_token. Checked, it signs the person in and opens the lesson."""
    request.lti_framed = True
    if _has_nul(request):
        return alert_response(request, "This launch was refused: its parameters are malformed.", status=403)
    try:
        checked = services.launch_validate(request=request)
        result = services.launch_accept(launch=checked)
    except ApplicationError as refused:
        return alert_response(request, str(refused), status=refused.status)
    login(request, result.user, backend=BACKEND)
    request.session[LAUNCH_SESSION_KEY] = checked.get_launch_id()
    if checked.is_deep_link_launch:
        return redirect("lti_deep_link")
    if result.teaches and result.classroom:
        return redirect(result.classroom)
    if result.lesson:
        return redirect(result.lesson)
    messages.info(request, "This link from your course does not open a lesson. Here are your classes.")
    return redirect("class_list")


class DeepLinkForm(forms.Form):
    lessons = forms.ModelMultipleChoiceField(
        queryset=deep_link_catalogue(),
        widget=forms.CheckboxSelectMultiple,
        label="Lessons to add to your course",
        error_messages={"required": "Choose at least one lesson."},
    )

    def __init__(self, *args, accept_multiple=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.accept_multiple = accept_multiple
        self.fields["lessons"].label_from_instance = lambda lesson: f"{lesson.course.title}: {lesson.title}"

    def clean_lessons(self):
        lessons = self.cleaned_data["lessons"]
        if not self.accept_multiple and len(lessons) > 1:
            raise forms.ValidationError("Your LMS takes one lesson at a time here: choose one.")
        return lessons


@instructor_required
@require_http_methods(["GET", "POST"])
def deep_link(request):
    """An instructor adding the tool in their LMS picks lessons; the LMS gets one link per lesson back."""
    try:
        checked = services.deep_link_launch(request=request, launch_id=request.session.get(LAUNCH_SESSION_KEY))
    except ApplicationError as refused:
        return alert_response(request, str(refused), status=refused.status)
    settings = checked.get_message_launch().get_launch_data()[services.DEEP_LINKING_SETTINGS_CLAIM]
    form = DeepLinkForm(
        request.POST if request.method == "POST" else None,
        accept_multiple=settings.get("accept_multiple", True) is not False,
    )
    if request.method == "POST" and form.is_valid():
        lessons = list(form.cleaned_data["lessons"])
        token = services.deep_link_response_jwt(launch=checked, lessons=lessons, launch_url=_launch_url(request))
        return_url = settings["deep_link_return_url"]
        response = render(
            request, "lti/deep_link_return.html", {"return_url": return_url, "jwt": token, "lessons": lessons}
        )
        # Our CSP allows forms to post to this site only; this one page posts to the LMS.
        parts = urlsplit(return_url)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
        return response
    return render(request, "lti/deep_link.html", {"form": form})


@instructor_required
@require_POST
def roster_refresh(request, class_id):
    """Fetch the class's roster from its LMS now (Names and Roles)."""
    classroom = get_object_or_404(
        Classroom.objects.taught_by(request.user).filter(lti_binding__isnull=False), pk=class_id
    )
    try:
        result = services.roster_sync(classroom=classroom)
    except ApplicationError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            f"Roster refreshed from the LMS: {result.students} students, {result.instructors} instructors"
            + (f"; {result.removed} no longer in the course." if result.removed else "."),
        )
    return redirect(classroom)
