"""An LTI launch in Chromium, inside the LMS's iframe, across sites, over HTTPS.

The LMS (tests/lti_platform.py) serves a course page on http://127.0.0.1 that
frames the tool; the tool is served over HTTPS on https://localhost (a
self-signed certificate made here), another site. So the browser really
applies what an LMS iframe needs: the state cookie of the OIDC login and the
session and CSRF cookies must be ``SameSite=None; Secure`` to reach the tool,
and the tool's CSP ``frame-ancestors`` must name the LMS or the frame stays empty.
"""

import datetime
import ssl
import tempfile
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test import Client
from playwright.sync_api import expect

from lessons.models import Enrollment, ScoreOutbox, SelfCheckQuestion
from lessons.services import lti as services
from tests.axe import assert_accessible
from tests.lti_platform import LTI, ROLE_INSTRUCTOR, ROLE_LEARNER, Platform, register

# The HTTPS server thread opens its own database connection: SQLite's in-memory test database is not
# shared between connections (Django's live_server works around that; a thread of our own cannot).
pytestmark = [pytest.mark.browser, pytest.mark.postgres]

TESS = {"sub": "u-tess", "name": "Tess Ward", "given_name": "Tess", "family_name": "Ward", "email": "tess@school.edu"}
ALICE = {
    "sub": "u-alice",
    "name": "Alice Martin",
    "given_name": "Alice",
    "family_name": "Martin",
    "email": "alice@school.edu",
}


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class HttpsHandler(WSGIRequestHandler):
    def get_environ(self):
        environ = super().get_environ()
        environ["HTTPS"] = "on"  # wsgiref then reports wsgi.url_scheme "https": request.is_secure()
        return environ

    def log_message(self, *args):
        pass


class ClosingWSGIHandler(WSGIHandler):
    """Each request thread closes its database connection, as Django's live server does."""

    def __call__(self, environ, start_response):
        try:
            return super().__call__(environ, start_response)
        finally:
            connections.close_all()


@pytest.fixture
def https_tool(transactional_db):
    """The site over HTTPS on https://localhost:<port>, in a thread of this process."""
    with tempfile.TemporaryDirectory() as directory:
        cert, key = self_signed_certificate(Path(directory))
        server = make_server(
            "localhost", 0, StaticFilesHandler(ClosingWSGIHandler()), ThreadingWSGIServer, handler_class=HttpsHandler
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"https://localhost:{server.server_address[1]}"
        server.shutdown()
        server.server_close()


@pytest.fixture
def lms(https_tool):
    platform = Platform()
    platform.tool_launch_url = f"{https_tool}/lti/launch/"
    platform.tool_login_url = f"{https_tool}/lti/login/"
    register(platform, Client())
    yield platform
    platform.close()
    services.frame_origins_forget()


def test_a_student_launches_a_lesson_inside_the_lms_iframe_and_practises(
    browser, https_tool, lms, make_lesson, settings
):
    settings.LTI_IFRAME_COOKIES = True
    lesson = make_lesson("cells", size=2)
    lms.users["alice"] = {"claims": ALICE}
    lms.launches["cells"] = {"lesson": "cells", "role": ROLE_LEARNER}

    # CSP enforced (no bypass) and the self-signed certificate accepted, on a phone-sized screen.
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"{lms.url}/course?user=alice&launch=cells")
    expect(page.get_by_role("heading", name="Biology 101 in the LMS")).to_be_visible()

    tool = page.frame_locator("#tool")
    expect(tool.get_by_role("heading", level=1)).to_have_text(lesson.title, timeout=15000)

    # The session and CSRF cookies reach the framed site: a form posts and is answered in the frame.
    question = SelfCheckQuestion.objects.filter(lesson=lesson).order_by("position").first()
    tool.locator(f"#question-{question.pk} summary").click()  # the question is a disclosure (issue 17)
    tool.locator(f"#question-{question.pk}").get_by_role("button", name="Show answer").click()
    expect(tool.locator(f"#question-{question.pk}")).to_contain_text(question.answer)

    cookies = {cookie["name"]: cookie for cookie in context.cookies(https_tool)}
    assert (cookies["sessionid"]["sameSite"], cookies["sessionid"]["secure"]) == ("None", True)
    assert (cookies["csrftoken"]["sameSite"], cookies["csrftoken"]["secure"]) == ("None", True)

    alice = Enrollment.objects.select_related("student").get(classroom__name="Biology 101").student
    assert alice.get_full_name() == "Alice Martin"
    assert ScoreOutbox.objects.get(student=alice).progress == pytest.approx(1 / 3)
    context.close()


def test_an_instructor_adds_lessons_to_the_lms_course_by_deep_linking(browser, https_tool, lms, make_lesson, settings):
    settings.LTI_IFRAME_COOKIES = True
    cells = make_lesson("cells")
    genes = make_lesson("genes")
    make_lesson("misc")
    lms.users["tess"] = {"claims": TESS}
    lms.launches["pick"] = {"message_type": "LtiDeepLinkingRequest", "role": ROLE_INSTRUCTOR}

    # bypass_csp only so that axe-core can be injected; the framing itself is the first test's subject.
    context = browser.new_context(ignore_https_errors=True, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{lms.url}/course?user=tess&launch=pick")
    tool = page.frame_locator("#tool")
    expect(tool.get_by_role("heading", level=1)).to_have_text("Add lessons to your course", timeout=15000)
    assert_accessible(page.frame(url=lambda url: url.endswith("/lti/deep-link/")))

    tool.get_by_label(f"{cells.course.title}: {cells.title}").check()
    tool.get_by_label(f"{genes.course.title}: {genes.title}").check()
    tool.get_by_role("button", name="Add to my course").click()
    # The tool's page hands the signed links back to the LMS by itself (static script, no click).
    expect(tool.get_by_role("heading", level=1)).to_have_text("Added 2 links", timeout=15000)

    (token,) = lms.deep_link_responses
    claims = lms.verify_tool_jwt(token, audience=lms.issuer)
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert [item["custom"]["lesson"] for item in items] == ["cells", "genes"]
    context.close()
