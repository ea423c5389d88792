"""A small LTI 1.3 platform (an LMS) for the tests: real RSA keys, real signed JWTs, real HTTP on 127.0.0.1.

It serves what a platform serves to a tool: its key set, an OAuth2 token
endpoint (client credentials with a JWT client assertion, checked against the
tool's published key set), a Names and Roles roster, AGS score endpoints that
record what they accept (and can be told to fail), and, for the browser test,
the OIDC auth endpoint and a course page that frames the tool.

It never touches our database: the tool's key set is handed to it as the tool
serves it (``/lti/jwks.json``), as a platform would fetch it.
"""

import html
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def new_key() -> tuple[JWK, str]:
    """An RSA key pair: (JWK with a kid, private PEM)."""
    key = JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex)
    return key, key.export_to_pem(private_key=True, password=None).decode()


class Platform:
    """One LMS with one tool registration (``client_id``) and one deployment (``deployment_id``)."""

    def __init__(self, *, client_id="quizsite-tool", deployment_id="deployment-1"):
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.key, self.private_pem = new_key()
        self.tool_jwks: dict = {"keys": []}
        self.tool_launch_url = ""
        self.tool_login_url = ""
        self.lock = threading.Lock()
        self.scores: list[dict] = []  # accepted score posts: {"lineitem", "body"}
        self.score_posts = 0  # every score post received, accepted or not
        self.fail_next_scores = 0  # answer this many score posts with a 500
        self.tokens: dict[str, list[str]] = {}  # access token -> scopes
        self.members: dict[str, list[dict]] = {}  # context id -> NRPS members
        self.users: dict[str, dict] = {}  # login hint -> user claims (browser flow)
        self.launches: dict[str, dict] = {}  # message hint -> launch claims (browser flow)
        self.deep_link_responses: list[str] = []  # JWTs posted back by the tool's deep linking
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # URLs the tool is configured with
    @property
    def auth_url(self):
        return f"{self.url}/auth"

    @property
    def token_url(self):
        return f"{self.url}/token"

    @property
    def keyset_url(self):
        return f"{self.url}/jwks"

    def lineitem_url(self, name: str) -> str:
        return f"{self.url}/lineitems/{name}"

    def memberships_url(self, context_id: str) -> str:
        return f"{self.url}/nrps/{context_id}"

    # ------------------------------------------------------------ JWTs

    def sign(self, claims: dict, *, private_pem=None, kid=None) -> str:
        return jwt.encode(
            claims,
            private_pem or self.private_pem,
            algorithm="RS256",
            headers={"kid": kid or self.key.kid},
        )

    def launch_claims(
        self,
        *,
        user: dict,
        nonce: str,
        role=ROLE_LEARNER,
        context: dict | None = None,
        resource_link: str = "link-1",
        lesson: str | None = None,
        lineitem: str | None = "item-1",
        message_type="LtiResourceLinkRequest",
        deployment_id=None,
        audience=None,
        issued_at=None,
        expires_in=300,
    ) -> dict:
        """The claims of a launch by ``user`` ({"sub", "name", "given_name", "family_name", "email"})."""
        now = int(issued_at if issued_at is not None else time.time())
        context = context or {"id": "course-1", "title": "Biology 101", "label": "BIO101"}
        claims = {
            "iss": self.issuer,
            "aud": audience or self.client_id,
            "iat": now,
            "exp": now + expires_in,
            "nonce": nonce,
            **user,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": deployment_id or self.deployment_id,
            LTI + "target_link_uri": self.tool_launch_url,
            LTI + "roles": [role],
            LTI + "context": {**context, "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "tool_platform": {"guid": "test-lms", "name": "Test LMS", "product_family_code": "test"},
            LTI + "launch_presentation": {"document_target": "iframe"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.memberships_url(context["id"]),
                "service_versions": ["2.0"],
            },
        }
        ags = {"scope": [SCORE_SCOPE, LINEITEM_SCOPE], "lineitems": f"{self.url}/lineitems"}
        if message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": resource_link, "title": "A lesson"}
            if lesson:
                claims[LTI + "custom"] = {"lesson": lesson}
            if lineitem:
                ags["lineitem"] = self.lineitem_url(lineitem)
        else:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "opaque-platform-data",
            }
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = ags
        return claims

    def verify_tool_jwt(self, token: str, *, audience: str) -> dict:
        """Check a JWT the tool signed against the tool's published key set (raises on any failure)."""
        kid = jwt.get_unverified_header(token)["kid"]
        (found,) = [key for key in self.tool_jwks["keys"] if key["kid"] == kid]
        public_pem = JWK(**found).export_to_pem()
        return jwt.decode(token, public_pem, algorithms=["RS256"], audience=audience)

    # ------------------------------------------------------------ HTTP

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status, body, content_type="application/json", headers=()):
                data = (
                    body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _scopes(self) -> list[str] | None:
                auth = self.headers.get("Authorization", "")
                return platform.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/jwks":
                    public = json.loads(platform.key.export_public())
                    return self._send(200, {"keys": [{**public, "alg": "RS256", "use": "sig"}]})
                if parts.path.startswith("/nrps/"):
                    scopes = self._scopes()
                    if scopes is None or NRPS_SCOPE not in scopes:
                        return self._send(401, {"error": "invalid token"})
                    context_id = parts.path.removeprefix("/nrps/")
                    body = {
                        "id": platform.memberships_url(context_id),
                        "context": {"id": context_id},
                        "members": platform.members.get(context_id, []),
                    }
                    return self._send(200, body, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
                if parts.path == "/auth":
                    return self._auth(query)
                if parts.path == "/course":
                    return self._course(query)
                if parts.path == "/autosubmit.js":
                    script = 'document.addEventListener("DOMContentLoaded",()=>document.forms[0].submit());'
                    return self._send(200, script, "text/javascript")
                return self._send(404, {"error": "not found"})

            def do_POST(self):
                parts = urlsplit(self.path)
                if parts.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                    try:
                        claims = platform.verify_tool_jwt(form["client_assertion"], audience=platform.token_url)
                    except Exception as error:  # any bad assertion is a 401, as on a real platform
                        return self._send(401, {"error": "invalid_client", "detail": str(error)})
                    if claims["iss"] != platform.client_id or claims["sub"] != platform.client_id:
                        return self._send(401, {"error": "invalid_client"})
                    token = secrets.token_urlsafe(16)
                    platform.tokens[token] = form.get("scope", "").split()
                    return self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
                if parts.path.startswith("/lineitems/") and parts.path.endswith("/scores"):
                    body = self._body()
                    with platform.lock:
                        platform.score_posts += 1
                        if platform.fail_next_scores > 0:
                            platform.fail_next_scores -= 1
                            return self._send(500, {"error": "gradebook is down"})
                    scopes = self._scopes()
                    if scopes is None or SCORE_SCOPE not in scopes:
                        return self._send(401, {"error": "invalid token"})
                    if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                        return self._send(415, {"error": "wrong media type"})
                    lineitem = parts.path.removeprefix("/lineitems/").removesuffix("/scores")
                    with platform.lock:
                        platform.scores.append({"lineitem": lineitem, "body": json.loads(body)})
                    return self._send(200, {})
                if parts.path == "/deep-link-return":
                    form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                    platform.deep_link_responses.append(form["JWT"])
                    claims = platform.verify_tool_jwt(form["JWT"], audience=platform.issuer)
                    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
                    titles = "".join(f"<li>{html.escape(item['title'])}</li>" for item in items)
                    page = f"<!doctype html><html lang=en><title>Added</title><h1>Added {len(items)} links</h1><ul>{titles}</ul>"
                    return self._send(200, page, "text/html")
                return self._send(404, {"error": "not found"})

            def _auth(self, query):
                """OIDC auth: answer the tool's login redirect with an auto-posted id_token (browser flow)."""
                user = platform.users[query["login_hint"]]
                launch = platform.launches[query["lti_message_hint"]]
                claims = platform.launch_claims(user=user["claims"], nonce=query["nonce"], **launch)
                token = platform.sign(claims)
                page = (
                    "<!doctype html><html lang=en><title>Launching</title>"
                    '<script src="/autosubmit.js"></script>'
                    f'<form method=post action="{html.escape(query["redirect_uri"])}">'
                    f'<input type=hidden name=id_token value="{token}">'
                    f'<input type=hidden name=state value="{html.escape(query["state"])}">'
                    "<button>Continue</button></form></html>"
                )
                return self._send(200, page, "text/html")

            def _course(self, query):
                """The LMS course page: the tool in an iframe, started by a third-party login."""
                login = (
                    platform.tool_login_url
                    + "?"
                    + urlencode(
                        {
                            "iss": platform.issuer,
                            "client_id": platform.client_id,
                            "lti_deployment_id": platform.deployment_id,
                            "login_hint": query["user"],
                            "lti_message_hint": query["launch"],
                            "target_link_uri": platform.tool_launch_url,
                        }
                    )
                )
                page = (
                    "<!doctype html><html lang=en><title>Course</title><h1>Biology 101 in the LMS</h1>"
                    f'<iframe id=tool title="Quizsite" src="{html.escape(login)}" width=1000 height=800></iframe></html>'
                )
                return self._send(200, page, "text/html")

        return Handler


def register(platform, client):
    """Register ``platform`` with the tool, as an admin would, and hand it the tool's key set as the tool
    publishes it (``client`` fetches ``/lti/jwks.json``). Returns the registration."""
    from lti_tool.models import LtiDeployment, LtiRegistration

    from lessons.services import lti as services

    registration = LtiRegistration.objects.create(
        name="Test LMS",
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        keyset_url=platform.keyset_url,
    )
    LtiDeployment.objects.create(registration=registration, deployment_id=platform.deployment_id, is_active=True)
    services.tool_key_ensure()
    services.frame_origins_forget()
    platform.tool_jwks = client.get("/lti/jwks.json").json()
    return registration
