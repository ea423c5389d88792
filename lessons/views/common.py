"""Helpers shared by the views."""

from django.shortcuts import redirect, render


def error_response(request, message, *, status=400):
    """A clear 4xx message; htmx shows it in the page's alert area (see base.html)."""
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def fragment_or_redirect(request, template, context, *, anchor):
    """One code path: htmx gets the fragment, a plain POST redirects back to the page."""
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, template, context)
    return redirect(f"{context['lesson'].get_absolute_url()}#{anchor}")
