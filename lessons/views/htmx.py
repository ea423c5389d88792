"""The one place that decides fragment or page, and how a refusal is shown.

Every view that can answer htmx with a fragment asks ``wants_fragment``: an htmx
request that is not a history restore (a restore needs the whole page). GET views
that answer both ways vary on ``HX-Request`` so a cache never serves one for the other.
"""

import csv
import io

from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django_htmx.http import reswap, retarget


def wants_fragment(request) -> bool:
    """htmx asked, and not to restore its history (which needs the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def page_or_fragment(request, template, context, *, fragment):
    """A GET answered with the whole page, or with its ``fragment`` partial for htmx; varies on HX-Request."""
    name = f"{template}#{fragment}" if wants_fragment(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def fragment_or_redirect(request, template, context, *, anchor):
    """One code path for a POST: htmx gets the fragment, a plain POST redirects back to the page (POST/redirect/GET)."""
    if wants_fragment(request):
        return render(request, template, context)
    return redirect(f"{context['lesson'].get_absolute_url()}#{anchor}")


def alert_response(request, message, *, status=400):
    """A clear 4xx message; htmx shows it in the page's alert area (see base.html's responseHandling)."""
    return render(request, "error.html", {"message": message, "status": status}, status=status)


def redrawn_with_alert(request, response, message, *, status, target):
    """Swap ``response`` (the thing as it now is) over the stale ``target`` and put ``message`` in the alert area.

    For a stale htmx form (409): the student sees what changed instead of buttons that can only fail again.
    """
    response.content += render_to_string("error.html#alert-oob", {"message": message}, request=request).encode()
    response.status_code = status
    response["HX-Reselect"] = target
    return reswap(retarget(response, target), "outerHTML")


CSV_ROWS_PER_CHUNK = 500


def _csv_chunks(rows):
    """The CSV text in chunks of a few hundred rows (one chunk per row made 200,000 tiny writes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(rows, filename):
    """Stream ``rows`` (lists of cells, already safe for spreadsheets) as a CSV download."""
    response = StreamingHttpResponse(_csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
